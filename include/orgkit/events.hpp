// orgkit/events.hpp: after-commit events, the extension point for hooks and webhooks (U2).
//
// Every change a Service makes is audited, and every audit event is also handed, as a
// ChangeEvent, to the EventSinks of ServiceOptions after the transaction that made it has
// committed: never before, and never for a change that was rolled back or retried. A
// mutation that changes several things (an import of 50 invitations) sends one event per
// change, in order, all with the same commit token.
//
// Delivery runs on the thread that made the change, after the commit and before the
// mutation returns, one sink after another. A sink that fails (returns an Error or throws)
// does not undo anything and does not stop the other sinks: the failure is reported to
// ServiceOptions::on_sink_failure. A sink that must not slow the caller hands the event to a
// queue of its own.
//
// Notifier (orgkit/notifier.hpp) is one such sink: it delivers the rendered invitation
// messages that travel with invitation events.
//
// Example:
//   struct Webhook final : orgkit::EventSink {
//     orgkit::Result<void> on_event(const orgkit::ChangeEvent& e) override {
//       queue.push(e.action, e.org, e.commit_token.to_string());  // the host's own queue
//       return {};
//     }
//   };
//   options.sinks.push_back(std::make_shared<Webhook>());
#pragma once

#include <orgkit/export.hpp>

#include <functional>
#include <string>
#include <vector>

#include <orgkit/clock.hpp>
#include <orgkit/commit_token.hpp>
#include <orgkit/error.hpp>
#include <orgkit/ids.hpp>
#include <orgkit/model.hpp>

namespace orgkit {

struct OutgoingMessage;

/// One committed change: the audit event's facts and the commit that applied them.
struct ChangeEvent {
  std::string action;  ///< As in the audit trail, e.g. "member.role_changed".
  TenantId tenant;
  OrgId org;
  UserId actor;
  PrincipalKind actor_kind = PrincipalKind::member;
  std::string target;                ///< A user id, slug, invitation id, role name, ...
  std::vector<FieldChange> changes;  ///< Each changed field, before and after.
  Timestamp at;
  CommitToken commit_token;
  /// The invitation message this change sends, if any (invitation created, refreshed or
  /// resent), for the Notifier. Valid only during on_event. Its accept_url holds a secret:
  /// never log or forward it.
  const OutgoingMessage* message = nullptr;
};

/// Receives committed changes. Thread safety: on_event may be called from several threads
/// at once.
class ORGKIT_EXPORT EventSink {
 public:
  EventSink() = default;
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;
  virtual ~EventSink() = default;

  /// Called once per committed change. An Error (or an exception) is reported, never undone.
  [[nodiscard]] virtual Result<void> on_event(const ChangeEvent& event) = 0;
};

/// A sink's failure, as reported to ServiceOptions::on_sink_failure.
struct SinkFailure {
  const EventSink* sink = nullptr;
  std::string action;  ///< The event's action.
  OrgId org;
  CommitToken commit_token;
  Error error;  ///< What the sink returned; code storage with the text of a thrown exception.
};

}  // namespace orgkit
