// orgkit/notifier.hpp: how invitations reach people.
//
// orgkit does not send email. When an invitation is issued or resent, it renders a message
// (subject and body) from the configured templates and hands it to the Notifier the host
// provides, after the invitation is committed, so nobody is told about an invitation that
// does not exist. A delivery failure does not undo the invitation: the issuing call reports
// it (IssuedInvitation::delivery_error) and the invitation can be resent.
//
// Templates use {name} placeholders (fmt syntax; write {{ and }} for literal braces):
//   {organization} {inviter} {inviter_email} {role} {message} {department} {accept_url}
//   {expires_at} (UTC, "2026-12-23 10:00 UTC") {email}
// An unknown placeholder is an error when the Service is built with the templates
// (Service::validate_options), never a half-rendered message.
//
// Thread safety: deliver() may be called from several threads at once.
#pragma once

#include <orgkit/export.hpp>

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <orgkit/error.hpp>
#include <orgkit/events.hpp>
#include <orgkit/ids.hpp>

namespace orgkit {

/// A rendered message for one recipient.
struct OutgoingMessage {
  enum class Kind { invitation, resend };
  Kind kind = Kind::invitation;
  std::string to;  ///< The invitee's email address.
  std::string subject;
  std::string body;
  OrgId org;
  InvitationId invitation;
  // The same facts as fields, for hosts that render their own (HTML) messages.
  std::string organization_name;
  std::string role;
  std::string accept_url;  ///< Holds the token: a secret, never log it.
  std::string expires_at;  ///< UTC, "2026-12-23 10:00 UTC".
};

/// Implemented by the host to deliver messages (SMTP, a mail API, a queue, ...). It is an
/// EventSink (orgkit/events.hpp) that acts on the events carrying a message.
class ORGKIT_EXPORT Notifier : public EventSink {
 public:
  /// Delivers one message. Return an Error to report a failure; an exception is caught and
  /// reported the same way.
  [[nodiscard]] virtual Result<void> deliver(const OutgoingMessage& message) = 0;

  /// Delivers the event's message, if it has one.
  Result<void> on_event(const ChangeEvent& event) final {
    if (event.message == nullptr) return {};
    return deliver(*event.message);
  }
};

/// Prints each message to a stream. For examples and development.
class ConsoleNotifier final : public Notifier {
 public:
  explicit ConsoleNotifier(std::ostream& out) : out_(out) {}
  Result<void> deliver(const OutgoingMessage& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    out_ << "To: " << message.to << "\nSubject: " << message.subject << "\n\n"
         << message.body << "\n";
    return {};
  }

 private:
  std::ostream& out_;
  std::mutex mutex_;
};

/// The subject and body templates of invitation messages.
struct MessageTemplates {
  std::string subject = "{inviter} invited you to join {organization}";
  std::string body =
      "Hi,\n\n{inviter} ({inviter_email}) invited you to join {organization} as {role}.\n"
      "{message}\n\nAccept the invitation: {accept_url}\n"
      "The invitation expires on {expires_at}.\n";
};

}  // namespace orgkit
