// Member use cases: add, change role, remove, list, get (P3, P4, P10, O2, O7).
#include <fmt/format.h>

#include "service_internal.hpp"
#include "validate.hpp"

namespace orgkit {

namespace {

// Cursors are opaque to callers: "m:" and the hex of the last user id of the page.
std::string member_cursor(const UserId& last) {
  std::string out = "m:";
  for (unsigned char c : last.value()) out += fmt::format("{:02x}", c);
  return out;
}

Result<std::string> decode_member_cursor(const std::string& cursor) {
  if (cursor.empty()) return std::string();
  auto bad = [] {
    return fail(Error::invalid("cursor", "is not a cursor returned by list_members"));
  };
  if (cursor.size() < 4 || cursor.compare(0, 2, "m:") != 0 || cursor.size() % 2 != 0) return bad();
  std::string out;
  for (std::size_t i = 2; i < cursor.size(); i += 2) {
    unsigned value = 0;
    for (std::size_t k = 0; k < 2; ++k) {
      const char c = cursor[i + k];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else return bad();
    }
    out += static_cast<char>(value);
  }
  return out;
}

}  // namespace

Result<Membership> Service::add_member(const Actor& actor, OrgId org, const NewMember& member) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", member.id.value()));
  ORGKIT_TRY(email, validate::email("email", member.email));
  ORGKIT_TRY(display_name, validate::text("display_name", member.display_name,
                                          validate::max_name_chars));
  ORGKIT_CHECK(validate::role_name("role", member.role));

  ORGKIT_TRY(tx, Impl::write(*this));
  ORGKIT_TRY(a, Impl::access(*this, *tx, actor, org, permissions::members_add, "add members"));
  ORGKIT_TRY(role, Impl::requested_role(*this, *tx, org, "role", member.role));
  ORGKIT_TRY(organization, Impl::organization(*tx, actor, org));
  if (organization.personal) {
    return fail(Error::conflict("org_id", "a personal organization has exactly one member and "
                                          "accepts no members"));
  }
  if (!PermissionPolicy::may_grant(*a.role, *role)) {
    return fail(Error::denied("role", fmt::format("role '{}' may not grant '{}', which ranks "
                                                  "above it",
                                                  a.role->name, role->name)));
  }
  ORGKIT_TRY(existing, tx->find_membership(actor.tenant, org, member.id));
  if (!existing) ORGKIT_CHECK(Impl::ensure_seat(*this, *tx, organization, true));
  if (existing) {
    return fail(Error::exists("user_id", fmt::format("'{}' is already a member (to change their "
                                                     "email, remove and add them again)",
                                                     member.id.value())));
  }
  Membership m{org, member.id, std::move(email), std::move(display_name), role->name,
               clock_->now()};
  ORGKIT_CHECK(tx->insert_membership(actor.tenant, m));
  ORGKIT_CHECK(Impl::audit(*this, *tx, actor, org, "member.added", m.user.value(),
                           {{"role", std::nullopt, m.role}, {"email", std::nullopt, m.email}}));
  return Impl::commit(*tx, std::move(m));
}

Result<Membership> Service::change_member_role(const Actor& actor, OrgId org, const UserId& user,
                                               std::string_view role_name) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_CHECK(validate::role_name("role", role_name));

  ORGKIT_TRY(tx, Impl::write(*this));
  ORGKIT_TRY(a, Impl::access(*this, *tx, actor, org, permissions::members_update_role,
                             "change member roles"));
  ORGKIT_TRY(role, Impl::requested_role(*this, *tx, org, "role", role_name));
  ORGKIT_TRY(target, tx->find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  // A role that no longer exists ranks below everything, so it can be repaired.
  ORGKIT_TRY(current, Impl::find_role(*this, *tx, org, target->role));
  if (current && !PermissionPolicy::may_manage(*a.role, *current)) {
    return fail(Error::denied("user_id", fmt::format("role '{}' may not change the role of '{}', "
                                                     "who holds '{}' (only lower ranks)",
                                                     a.role->name, user.value(), current->name)));
  }
  if (!PermissionPolicy::may_grant(*a.role, *role)) {
    return fail(Error::denied("role", fmt::format("role '{}' may not grant '{}', which ranks "
                                                  "above it",
                                                  a.role->name, role->name)));
  }
  if (target->role == role->name) return Impl::commit(*tx, std::move(*target));
  if (!policy_.role_change_allowed(target->role, role->name)) {
    return fail(Error::denied("role", fmt::format("the policy does not allow changing a role from "
                                                  "'{}' to '{}'; contact support",
                                                  target->role, role->name)));
  }
  if (role->name != policy_.owner_role().name) {
    ORGKIT_CHECK(Impl::ensure_owner_remains(*this, *tx, org, *target, "this role change"));
  }
  ORGKIT_CHECK(tx->update_membership_role(org, user, role->name));
  ORGKIT_CHECK(Impl::audit(*this, *tx, actor, org, "member.role_changed", user.value(),
                           {{"role", target->role, role->name}}));
  target->role = role->name;
  return Impl::commit(*tx, std::move(*target));
}

Result<void> Service::remove_member(const Actor& actor, OrgId org, const UserId& user) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  if (user == actor.id) return leave_organization(actor, org);

  ORGKIT_TRY(tx, Impl::write(*this));
  ORGKIT_TRY(a, Impl::access(*this, *tx, actor, org, permissions::members_remove,
                             "remove members"));
  ORGKIT_TRY(target, tx->find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  ORGKIT_TRY(current, Impl::find_role(*this, *tx, org, target->role));
  if (!policy_.removal_allowed(target->role)) {
    return fail(Error::denied("user_id", fmt::format("the policy does not allow removing a "
                                                     "member who holds '{}'; contact "
                                                     "support",
                                                     target->role)));
  }
  if (current && !PermissionPolicy::may_manage(*a.role, *current)) {
    return fail(Error::denied("user_id", fmt::format("role '{}' may not remove '{}', who holds "
                                                     "'{}' (only lower ranks)",
                                                     a.role->name, user.value(), current->name)));
  }
  ORGKIT_CHECK(Impl::ensure_owner_remains(*this, *tx, org, *target, "removing them"));
  ORGKIT_CHECK(tx->delete_membership(org, user));
  ORGKIT_CHECK(Impl::audit(*this, *tx, actor, org, "member.removed", user.value(),
                           {{"role", target->role, std::nullopt},
                            {"email", target->email, std::nullopt}}));
  return Impl::commit(*tx);
}

Result<Page<Membership>> Service::list_members(const Actor& actor, OrgId org,
                                               const MemberQuery& query) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  if (query.role) ORGKIT_CHECK(validate::role_name("role", *query.role));
  ORGKIT_TRY(after, decode_member_cursor(query.cursor));

  ORGKIT_TRY(tx, Impl::read(*this));
  ORGKIT_TRY(a, Impl::access(*this, *tx, actor, org, permissions::members_read, "list members"));
  (void)a;
  if (query.role) {
    ORGKIT_TRY(r, Impl::requested_role(*this, *tx, org, "role", *query.role));
    (void)r;
  }
  ORGKIT_TRY(items, tx->list_memberships(org, query.role, after, query.limit + 1));
  Page<Membership> page;
  if (items.size() > static_cast<std::size_t>(query.limit)) {
    items.pop_back();
    page.next_cursor = member_cursor(items.back().user);
  }
  page.items = std::move(items);
  return page;
}

Result<Membership> Service::get_membership(const Actor& actor, OrgId org, const UserId& user) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_TRY(tx, Impl::read(*this));
  ORGKIT_TRY(mine, Impl::actor_membership(*tx, actor, org));
  if (user == actor.id) return mine;
  ORGKIT_TRY(role, Impl::stored_role(*this, *tx, mine));
  ORGKIT_CHECK(Impl::require(*this, *role, permissions::members_read, "read other members"));
  ORGKIT_TRY(target, tx->find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  return std::move(*target);
}

}  // namespace orgkit
