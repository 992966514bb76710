// The unit of work's steps that need no template: begin, delivery, backoff.
#include "service/unit_of_work.hpp"

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include <fmt/format.h>

namespace orgkit::detail {

Result<AuditEventId> Work::append_audit_event(const AuditEvent& event) {
  auto id = StorageTransactionWrapper::append_audit_event(event);
  if (id) {
    changes_.push_back(Change{event, std::nullopt});
    changes_.back().event.id = *id;
  }
  return id;
}

Result<AuditEventId> Work::record(AuditEvent&& event) {
  auto id = StorageTransactionWrapper::append_audit_event(event);
  if (id) {
    event.id = *id;
    changes_.push_back(Change{std::move(event), std::nullopt});
  }
  return id;
}

std::size_t Work::attach_message(std::optional<OutgoingMessage> message) {
  // A message always follows the audit event of its change; there is one.
  changes_.back().message = std::move(message);
  return changes_.size() - 1;
}

Result<std::unique_ptr<Work>> begin_work(Core& core, const WriteScope& scope) {
  auto tx = core.storage->begin_write(scope);
  if (!tx) return fail(std::move(tx).error());
  return std::make_unique<Work>(std::move(*tx));
}

namespace {

// Calls one sink; an Error or an exception becomes the failure text. Never throws.
std::optional<Error> call(EventSink& sink, const ChangeEvent& event) {
  try {
    auto r = sink.on_event(event);
    if (r) return std::nullopt;
    return std::move(r).error();
  } catch (const std::exception& e) {
    return Error::storage_failure(std::string("the event sink threw: ") + e.what());
  } catch (...) {
    return Error::storage_failure("the event sink threw an unknown exception");
  }
}

void report(Core& core, const SinkFailure& failure) {
  try {
    if (core.on_sink_failure) {
      core.on_sink_failure(failure);
    } else {
      std::clog << fmt::format("orgkit: an event sink failed on {} (organization {}, {}): {}\n",
                               failure.action, failure.org.value(),
                               failure.commit_token.to_string(), failure.error.message);
    }
  } catch (...) {
    // A reporter that throws has nowhere left to report to; the change stands.
  }
}

}  // namespace

Delivery deliver(Core& core, std::vector<Work::Change>& changes, CommitToken token) {
  Delivery out;
  out.message_errors.resize(changes.size());
  if (core.sinks.empty()) return out;  // nobody listens: no event is built
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const AuditEvent& e = changes[i].event;
    ChangeEvent event{
        e.action, e.tenant,  e.org, e.actor, e.actor_kind,
        e.target, e.changes, e.at,  token,   changes[i].message ? &*changes[i].message : nullptr};
    for (const auto& sink : core.sinks) {
      auto failed = call(*sink, event);
      if (!failed) continue;
      if (sink == core.notifier && event.message != nullptr) {
        out.message_errors[i] = failed->message;
      }
      report(core, SinkFailure{sink.get(), e.action, e.org, token, std::move(*failed)});
    }
  }
  return out;
}

void backoff(int attempt) {
  // Full jitter: a random pause up to a cap that doubles per attempt (2, 4, 8 ... ms), so that
  // the losers of one race do not meet again in the next.
  thread_local std::minstd_rand random{std::random_device{}()};
  const int cap_us = 1000 << std::min(attempt, 6);
  std::uniform_int_distribution<int> pause(cap_us / 4, cap_us);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(random)));
}

}  // namespace orgkit::detail
