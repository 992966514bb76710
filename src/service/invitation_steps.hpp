// Steps shared by the invitation use cases (invitations.cpp, invitation_lifecycle.cpp,
// csv_import.cpp) and the message text they render (invitation_text.cpp).
#pragma once

#include <string>
#include <string_view>

#include <orgkit/notifier.hpp>
#include <orgkit/service.hpp>

#include "rules/rules.hpp"

namespace orgkit::detail {

/// The key emails are matched by (I2, I8): trimmed, ASCII lower-cased. Both backends store
/// the key computed here, so they agree.
std::string email_key(std::string_view email);

/// What audit events about an invitation name: the address, or the link's id (never a token).
std::string audit_target(const Invitation& inv);

using rules::format_time;

/// The message for `inv`, from the templates (checked at Service creation) and the host's
/// placeholder values.
Result<OutgoingMessage> render(const InvitationSettings& settings, OutgoingMessage::Kind kind,
                               const Organization& org, const Actor& inviter, const Invitation& inv,
                               const std::string& accept_url);

}  // namespace orgkit::detail
