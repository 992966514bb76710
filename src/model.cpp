#include <orgkit/model.hpp>

namespace orgkit {

std::string_view to_string(InvitationState state) noexcept {
  switch (state) {
    case InvitationState::pending: return "pending";
    case InvitationState::accepted: return "accepted";
    case InvitationState::declined: return "declined";
    case InvitationState::revoked: return "revoked";
    case InvitationState::expired: return "expired";
  }
  return "unknown";
}

std::string_view to_string(InvitationKind kind) noexcept {
  switch (kind) {
    case InvitationKind::email: return "email";
    case InvitationKind::link: return "link";
  }
  return "unknown";
}

std::string_view to_string(PrincipalKind kind) noexcept {
  switch (kind) {
    case PrincipalKind::member: return "member";
    case PrincipalKind::tenant_admin: return "tenant_admin";
    case PrincipalKind::host: return "host";
  }
  return "member";
}

std::string_view to_string(RosterStatus status) noexcept {
  switch (status) {
    case RosterStatus::active: return "active";
    case RosterStatus::pending: return "pending";
  }
  return "unknown";
}

}  // namespace orgkit
