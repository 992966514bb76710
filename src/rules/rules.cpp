#include "rules/rules.hpp"

#include <ctime>
#include <optional>

#include <fmt/format.h>

#include <orgkit/service.hpp>

namespace orgkit::rules {

Result<void> owner_remains(const PermissionPolicy& policy, std::string_view losing_role,
                           std::int64_t owners, std::string_view user, std::string_view what) {
  if (losing_role != policy.owner_role().name || owners > 1) return {};
  return fail(Error::conflict(
      "user_id", fmt::format("'{}' is the last owner; {} would leave the organization without "
                             "an owner (transfer ownership or delete the organization first)",
                             user, what)));
}

Result<void> seats_fit(const Plan* plan, std::int64_t taken, std::int64_t adding,
                       bool pending_use_seats) {
  if (plan == nullptr || !plan->max_members || taken + adding <= *plan->max_members) return {};
  return fail(Error::limit(
      "plan.max_members",
      fmt::format("plan '{}' allows {} members and {} seats are taken{}", plan->name,
                  *plan->max_members, taken,
                  pending_use_seats ? " by members and pending invitations" : "")));
}

Result<void> invitations_allowed(const Plan* plan) {
  if (plan == nullptr || plan->invitations) return {};
  return fail(Error::denied("plan", fmt::format("plan '{}' does not include invitations; "
                                                "upgrade the plan to add or invite members",
                                                plan->name)));
}

InvitationState effective_state(const Invitation& inv, Timestamp now) {
  return inv.state == InvitationState::pending && inv.expires_at <= now ? InvitationState::expired
                                                                        : inv.state;
}

std::string format_time(Timestamp t) {
  const std::time_t secs = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  // The text shows minutes: a thread remembers the last minute it wrote (a CSV import gives
  // every row the same expiry).
  thread_local std::time_t last_minute = -1;
  thread_local std::string last_text;
  const std::time_t minute = secs >= 0 ? secs / 60 : (secs - 59) / 60;
  if (minute == last_minute) return last_text;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  last_text = buf;
  last_minute = minute;
  return last_text;
}

namespace {

// The policy's index of permission `name`, without the allocation of an error.
std::optional<std::size_t> index_of(const PermissionPolicy& policy, std::string_view name) {
  const auto& names = policy.permission_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}

}  // namespace

Result<void> may_open(const Invitation& inv, Timestamp now) {
  switch (inv.state) {
    case InvitationState::accepted:
      return fail(Error{ErrorCode::already_used, "token",
                        "this invitation has already been used; ask an administrator for a new "
                        "one"});
    case InvitationState::revoked:
      return fail(Error{ErrorCode::revoked, "token",
                        "this invitation was revoked by an administrator; ask for a new one"});
    case InvitationState::declined:
      return fail(Error::conflict("token", "this invitation was declined"));
    case InvitationState::pending:
    case InvitationState::expired:
      break;
  }
  if (inv.expires_at <= now) {
    return fail(Error{ErrorCode::expired, "token",
                      fmt::format("this invitation expired on {}; ask an administrator for a "
                                  "new one",
                                  format_time(inv.expires_at))});
  }
  return {};
}

Result<void> may_manage(const Invitation& inv) {
  if (inv.state == InvitationState::revoked) {
    return fail(Error{ErrorCode::revoked, "invitation_id", "the invitation is revoked already"});
  }
  if (inv.state != InvitationState::pending) {
    return fail(Error::conflict("invitation_id", fmt::format("the invitation is {}, not pending",
                                                             to_string(inv.state))));
  }
  return {};
}

PermissionSet permission_set(const PermissionPolicy& policy, std::string_view names) {
  PermissionSet out;
  while (!names.empty()) {
    const auto end = names.find(' ');
    const std::string_view name = names.substr(0, end);
    if (auto i = index_of(policy, name)) out.set(*i);
    if (end == std::string_view::npos) break;
    names.remove_prefix(end + 1);
  }
  return out;
}

bool grants(const PermissionPolicy& policy, std::string_view role, bool custom,
            std::string_view custom_permissions, Permission p) {
  // The policy's role wins over a custom role of the same name, as in every lookup: the
  // check and the operations must agree on what a role is.
  if (const RoleDefinition* def = policy.find_role(role)) return PermissionPolicy::holds(*def, p);
  return custom && p.index < max_permissions && !policy.owner_reserved().test(p.index) &&
         permission_set(policy, custom_permissions).test(p.index);
}

PermissionSet granted(const PermissionPolicy& policy, std::string_view role, bool custom,
                      std::string_view custom_permissions) {
  if (const RoleDefinition* def = policy.find_role(role)) return def->permissions;
  if (!custom) return {};
  return permission_set(policy, custom_permissions) & ~policy.owner_reserved();
}

}  // namespace orgkit::rules
