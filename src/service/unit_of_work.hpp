// The unit of work: how every mutation runs (S1, S2, U1, U2).
//
// Core::write runs a use case's body in one write transaction for a declared scope, in this
// order: the body authorizes the principal, applies the pure rules and writes, auditing each
// change; then the transaction commits and yields its commit token; then, and only then, one
// ChangeEvent per audited change goes to the event sinks (the Notifier first). A body must
// have no effect outside its transaction (no delivery, no shared state), because a lost race
// (ErrorCode::aborted, from begin, any statement or commit) rolls the attempt back and runs
// the body again, up to Core::max_attempts times with a jittered pause between attempts.
// So a retried use case takes effect once: one change, one audit event, one event per sink.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <orgkit/notifier.hpp>
#include <orgkit/storage_wrapper.hpp>

#include "service/core.hpp"

namespace orgkit::detail {

/// One attempt's transaction. Every audit event written through it is also kept, to become
/// an after-commit event; a change that sends an invitation message attaches it here.
class Work final : public StorageTransactionWrapper {
 public:
  explicit Work(std::unique_ptr<StorageTransaction> tx)
      : StorageTransactionWrapper(std::move(tx)) {}

  Result<AuditEventId> append_audit_event(const AuditEvent& event) override;
  /// append_audit_event for an event the caller gives up: kept without a copy.
  Result<AuditEventId> record(AuditEvent&& event);

  /// Attaches `message` to the change audited last; returns that change's index, by which
  /// Delivery reports what the notifier said.
  std::size_t attach_message(std::optional<OutgoingMessage> message);

  struct Change {
    AuditEvent event;
    std::optional<OutgoingMessage> message;
  };
  std::vector<Change>& changes() { return changes_; }

 private:
  std::vector<Change> changes_;
};

/// What after-commit delivery reported, for the use cases that pass it on to their caller.
struct Delivery {
  /// Per change index: the notifier's failure, for the changes that carried a message.
  std::vector<std::optional<std::string>> message_errors;

  [[nodiscard]] std::optional<std::string> message_error(std::size_t change) const {
    return change < message_errors.size() ? message_errors[change] : std::nullopt;
  }
};

/// Begins and commits one attempt; a body's error rolls it back.
Result<std::unique_ptr<Work>> begin_work(Core& core, const WriteScope& scope);

/// Hands each change to every sink, after the commit; failures are reported, never undone.
Delivery deliver(Core& core, std::vector<Work::Change>& changes, CommitToken token);

/// Sleeps a jittered, growing pause before attempt `attempt` + 1.
void backoff(int attempt);

/// Runs `body(Work&) -> Result<T>` as a unit of work for `scope`, retrying lost races; then
/// `finish(T&, const Delivery&)` may copy delivery reports into the result.
template <class T, class Body, class Finish>
Result<Committed<T>> run_unit_of_work(Core& core, WriteScope scope, Body& body, Finish& finish) {
  for (int attempt = 1;; ++attempt) {
    auto work = begin_work(core, scope);
    Error error;
    if (work) {
      auto value = body(**work);
      if (value) {
        auto token = (*work)->commit();
        if (token) {
          Delivery delivery = deliver(core, (*work)->changes(), *token);
          Committed<T> out;
          if constexpr (!std::is_void_v<T>) {
            static_cast<T&>(out) = std::move(*value);
            finish(static_cast<T&>(out), delivery);
          }
          out.commit_token = *token;
          return out;
        }
        error = std::move(token).error();
      } else {
        error = std::move(value).error();
      }
    } else {
      error = std::move(work).error();
    }
    if (error.code != ErrorCode::aborted || attempt >= core.max_attempts)
      return fail(std::move(error));
    work = fail(Error{});  // roll the attempt back before pausing
    backoff(attempt);
  }
}

template <class T, class Body>
Result<Committed<T>> Core::write(const Actor& actor, WriteScope scope, Body&& body) {
  (void)actor;
  auto nothing = [](auto&, const Delivery&) {};
  return run_unit_of_work<T>(*this, std::move(scope), body, nothing);
}

/// Core::write with a finishing step that sees the delivery reports.
template <class T, class Body, class Finish>
Result<Committed<T>> write_then(Core& core, WriteScope scope, Body&& body, Finish&& finish) {
  return run_unit_of_work<T>(core, std::move(scope), body, finish);
}

/// The scope of a use case on one existing organization of the actor's tenant.
inline WriteScope scope_of(const Actor& actor, OrgId org) {
  return WriteScope{actor.tenant, {org}};
}

/// The scope of a use case that creates, or changes only per-user state.
inline WriteScope tenant_scope(const Actor& actor) {
  return WriteScope{actor.tenant, {}};
}

}  // namespace orgkit::detail
