// Member use cases: add, change role, remove, list, get, find by email, and the member table
// with pending invitations (P3, P4, P10, O2, O7, I4).
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/invitation_steps.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

// Cursors are opaque to callers: "m:" and the hex of the last user id of the page.
std::string member_cursor(const UserId& last, std::string out = "m:") {
  for (unsigned char c : last.value()) out += fmt::format("{:02x}", c);
  return out;
}

// The user id in a cursor made by member_cursor(last, prefix).
Result<std::string> decode_member_cursor(const std::string& cursor, std::string_view prefix = "m:",
                                         std::string_view call = "list_members") {
  if (cursor.empty()) return std::string();
  auto bad = [&] {
    return fail(Error::invalid("cursor", fmt::format("is not a cursor returned by {}", call)));
  };
  if (cursor.size() < prefix.size() + 2 || cursor.compare(0, prefix.size(), prefix) != 0 ||
      (cursor.size() - prefix.size()) % 2 != 0) {
    return bad();
  }
  std::string out;
  for (std::size_t i = prefix.size(); i < cursor.size(); i += 2) {
    unsigned value = 0;
    for (std::size_t k = 0; k < 2; ++k) {
      const char c = cursor[i + k];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<unsigned>(c - 'a' + 10);
      else
        return bad();
    }
    out += static_cast<char>(value);
  }
  return out;
}

}  // namespace

Result<Committed<Membership>> add_member(Core& c, const Actor& actor, OrgId org,
                                         const NewMember& member) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", member.id.value()));
  ORGKIT_TRY(email, validate::email("email", member.email));
  ORGKIT_TRY(display_name,
             validate::text("display_name", member.display_name, validate::max_name_chars));
  ORGKIT_CHECK(validate::role_name("role", member.role));

  return c.write<Membership>(actor, scope_of(actor, org), [&](Work& w) -> Result<Membership> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::members_add, "add members"));
    ORGKIT_TRY(role, requested_role(c, *tx, org, "role", member.role));
    ORGKIT_TRY(organization, organization(*tx, actor, org));
    // A plan without invitations takes no new members from its members either (I7, 001); the
    // host may still provision.
    if (actor.kind != PrincipalKind::host) ORGKIT_CHECK(invitations_allowed(c, organization));
    if (organization.personal) {
      return fail(Error::conflict("org_id",
                                  "a personal organization has exactly one member and "
                                  "accepts no members"));
    }
    if (!PermissionPolicy::may_grant(*a.role, *role)) {
      return fail(Error::denied("role", fmt::format("role '{}' may not grant '{}', which ranks "
                                                    "above it",
                                                    a.role->name, role->name)));
    }
    auto already_member = [&] {
      return fail(Error::exists("user_id", fmt::format("'{}' is already a member (to change their "
                                                       "email, remove and add them again)",
                                                       member.id.value())));
    };
    // "Already a member" is the answer of the insert itself (the storage refuses a second
    // membership as already_exists, field user_id), so the common path spends no read on it
    // (issue 9, item 5). Only when there is no seat is the membership looked up, because
    // "already a member" is then the truer answer.
    if (auto seat = ensure_seat(c, *tx, organization, true); !seat) {
      ORGKIT_TRY(existing, tx->find_membership(actor.tenant, org, member.id));
      if (existing) return already_member();
      return fail(std::move(seat).error());
    }
    Membership m{org, member.id, email, display_name, role->name, c.clock->now(), {}};
    if (auto inserted = tx->insert_membership(actor.tenant, m); !inserted) {
      if (inserted.error().code == ErrorCode::already_exists) return already_member();
      return fail(std::move(inserted).error());
    }
    ORGKIT_CHECK(audit(c, *tx, actor, org, "member.added", m.user.value(),
                       {{"role", std::nullopt, m.role}, {"email", std::nullopt, m.email}}));
    return m;
  });
}

namespace {

// One role change inside `tx`, with every rule of change_member_role (P4, P5, O7's last
// owner). Refusals come before any write, so a refused row of a bulk change writes nothing.
Result<Membership> change_role_step(Core& c, StorageTransaction& tx, const Actor& actor, OrgId org,
                                    const UserId& user, std::string_view role_name) {
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_CHECK(validate::role_name("role", role_name));
  ORGKIT_TRY(a, access(c, tx, actor, org, permissions::members_update_role, "change member roles"));
  ORGKIT_TRY(role, requested_role(c, tx, org, "role", role_name));
  ORGKIT_TRY(target, tx.find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  // A role that no longer exists ranks below everything, so it can be repaired.
  ORGKIT_TRY(current, find_role(c, tx, org, target->role));
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
  if (target->role == role->name) return std::move(*target);
  if (!c.policy.role_change_allowed(target->role, role->name)) {
    return fail(Error::denied("role", fmt::format("the policy does not allow changing a role from "
                                                  "'{}' to '{}'; contact support",
                                                  target->role, role->name)));
  }
  if (role->name != c.policy.owner_role().name) {
    ORGKIT_CHECK(ensure_owner_remains(c, tx, org, *target, "this role change"));
  }
  ORGKIT_CHECK(tx.update_membership_role(org, user, role->name));
  ORGKIT_CHECK(audit(c, tx, actor, org, "member.role_changed", user.value(),
                     {{"role", target->role, role->name}}));
  target->role = role->name;
  return std::move(*target);
}

// One removal inside `tx`, with every rule of remove_member; removing oneself is leaving.
Result<void> remove_step(Core& c, StorageTransaction& tx, const Actor& actor, OrgId org,
                         const UserId& user) {
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  if (actor.is_member() && user == actor.id) return leave_step(c, tx, actor, org);
  ORGKIT_TRY(a, access(c, tx, actor, org, permissions::members_remove, "remove members"));
  ORGKIT_TRY(target, tx.find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  ORGKIT_TRY(current, find_role(c, tx, org, target->role));
  if (!c.policy.removal_allowed(target->role)) {
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
  ORGKIT_CHECK(ensure_owner_remains(c, tx, org, *target, "removing them"));
  ORGKIT_CHECK(tx.delete_membership(org, user));
  return audit(c, tx, actor, org, "member.removed", user.value(),
               {{"role", target->role, std::nullopt}, {"email", target->email, std::nullopt}});
}

constexpr std::size_t max_bulk_rows = 1000;

const UserId& user_of(const MemberRoleChange& row) {
  return row.user;
}
const UserId& user_of(const UserId& row) {
  return row;
}

// A bulk operation: the rows in order in one unit of work, each with the rules of the single
// call and seeing the rows before it. A refused row is that row's answer; storage trouble or
// a lost race ends (and rolls back, or retries) the whole call.
template <class Row, class Step>
Result<Committed<BulkResult>> bulk(Core& c, const Actor& actor, OrgId org,
                                   const std::vector<Row>& rows, std::string_view field,
                                   std::string_view permission, std::string_view what, Step step) {
  ORGKIT_CHECK(validate_actor(actor));
  if (rows.empty()) return fail(Error::invalid(std::string(field), "names no members"));
  if (rows.size() > max_bulk_rows) {
    return fail(Error::limit(std::string(field), fmt::format("{} rows; one call takes at most {}",
                                                             rows.size(), max_bulk_rows)));
  }
  return c.write<BulkResult>(actor, scope_of(actor, org), [&](Work& w) -> Result<BulkResult> {
    // Someone who cannot see the organization, or may not do this at all, learns nothing
    // per row: the call fails as the single call would.
    ORGKIT_TRY(a, access(c, w, actor, org, permission, what));
    (void)a;
    BulkResult result;
    result.rows.reserve(rows.size());
    for (const Row& row : rows) {
      auto done = step(w, row);
      BulkRowResult out;
      out.user = user_of(row);
      if (done) {
        ++result.applied;
      } else {
        if (ends_unit_of_work(done.error().code)) return fail(std::move(done).error());
        out.error = std::move(done).error();
        ++result.failed;
      }
      result.rows.push_back(std::move(out));
    }
    return result;
  });
}

}  // namespace

Result<Committed<Membership>> change_member_role(Core& c, const Actor& actor, OrgId org,
                                                 const UserId& user, std::string_view role_name) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_CHECK(validate::role_name("role", role_name));
  return c.write<Membership>(actor, scope_of(actor, org), [&](Work& w) {
    return change_role_step(c, w, actor, org, user, role_name);
  });
}

Result<Committed<void>> remove_member(Core& c, const Actor& actor, OrgId org, const UserId& user) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  if (actor.is_member() && user == actor.id) return leave_organization(c, actor, org);
  return c.write<void>(actor, scope_of(actor, org),
                       [&](Work& w) { return remove_step(c, w, actor, org, user); });
}

Result<Committed<Membership>> set_member_department(Core& c, const Actor& actor, OrgId org,
                                                    const UserId& user,
                                                    std::string_view department) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_TRY(checked, validate::line("department", department, validate::max_department_chars));
  return c.write<Membership>(actor, scope_of(actor, org), [&](Work& w) -> Result<Membership> {
    // Who may change a member's role may change their department: the same permission and
    // the same rank rule (P4).
    ORGKIT_TRY(
        a, access(c, w, actor, org, permissions::members_update_role, "change member departments"));
    ORGKIT_TRY(target, w.find_membership(actor.tenant, org, user));
    if (!target) {
      return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
    }
    ORGKIT_TRY(current, find_role(c, w, org, target->role));
    const bool self = actor.is_member() && user == actor.id;
    if (!self && current && !PermissionPolicy::may_manage(*a.role, *current)) {
      return fail(Error::denied("user_id", fmt::format("role '{}' may not change '{}', who holds "
                                                       "'{}' (only lower ranks)",
                                                       a.role->name, user.value(), current->name)));
    }
    if (target->department == checked) return std::move(*target);
    ORGKIT_CHECK(w.update_membership_department(org, user, checked));
    ORGKIT_CHECK(audit(c, w, actor, org, "member.department_changed", user.value(),
                       {{"department", target->department, checked}}));
    target->department = checked;
    return std::move(*target);
  });
}

Result<Committed<BulkResult>> change_member_roles(Core& c, const Actor& actor, OrgId org,
                                                  const std::vector<MemberRoleChange>& changes) {
  return bulk(c, actor, org, changes, "changes", permissions::members_update_role,
              "change member roles",
              [&](StorageTransaction& tx, const MemberRoleChange& row) -> Result<void> {
                auto changed = change_role_step(c, tx, actor, org, row.user, row.role);
                return changed ? Result<void>{} : fail(std::move(changed).error());
              });
}

Result<Committed<BulkResult>> remove_members(Core& c, const Actor& actor, OrgId org,
                                             const std::vector<UserId>& users) {
  return bulk(c, actor, org, users, "users", permissions::members_remove, "remove members",
              [&](StorageTransaction& tx, const UserId& user) {
                return remove_step(c, tx, actor, org, user);
              });
}

Result<Page<Membership>> list_members(Core& c, const Actor& actor, OrgId org,
                                      const MemberQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  if (query.role) ORGKIT_CHECK(validate::role_name("role", *query.role));
  ORGKIT_TRY(after, decode_member_cursor(query.cursor));

  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::members_read, "list members"));
  (void)a;
  if (query.role) {
    ORGKIT_TRY(r, requested_role(c, *tx, org, "role", *query.role));
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

Result<Membership> get_membership(Core& c, const Actor& actor, OrgId org, const UserId& user) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("user_id", user.value()));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(mine, visible(c, *tx, actor, org));
  if (actor.is_member() && user == actor.id) return std::move(mine.membership);
  ORGKIT_CHECK(require(c, *mine.role, permissions::members_read, "read other members"));
  ORGKIT_TRY(target, tx->find_membership(actor.tenant, org, user));
  if (!target) {
    return fail(Error::not_found("user_id", fmt::format("'{}' is not a member", user.value())));
  }
  return std::move(*target);
}

Result<Membership> find_member_by_email(Core& c, const Actor& actor, OrgId org,
                                        std::string_view email) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(address, validate::email("email", email));
  const std::string key = email_key(address);
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(mine, visible(c, *tx, actor, org));
  // As with get_membership, anyone may read their own membership.
  if (actor.is_member() && email_key(mine.membership.email) == key) {
    return std::move(mine.membership);
  }
  ORGKIT_CHECK(require(c, *mine.role, permissions::members_read, "read other members"));
  ORGKIT_TRY(found, tx->find_membership_by_email(org, key));
  if (!found) {
    return fail(Error::not_found(
        "email", fmt::format("no member of this organization has the email '{}'", address)));
  }
  return std::move(*found);
}

namespace {

// Roster cursors: "r:m:" and the hex of the last member's user id while members are being
// listed; "r:i:" and the id of the last invitation once the pending invitations are. Members
// come in user id order and invitations in descending id order, and an invitation keeps its
// id when it is resent or refreshed, so each cursor says exactly where the next page starts:
// a row that exists for the whole walk is listed once, and rows added meanwhile never push
// one onto a second page.
constexpr std::string_view roster_member_prefix = "r:m:";
constexpr std::string_view roster_invitation_prefix = "r:i:";

struct RosterCursor {
  bool invitations = false;            // past the members
  std::string after_user;              // members: after this user id ("" from the start)
  std::optional<InvitationId> before;  // invitations: below this id (none from the newest)
};

Result<RosterCursor> decode_roster_cursor(const std::string& cursor) {
  RosterCursor out;
  if (cursor.empty()) return out;
  if (cursor.compare(0, roster_invitation_prefix.size(), roster_invitation_prefix) == 0) {
    std::int64_t id = 0;
    const char* b = cursor.data() + roster_invitation_prefix.size();
    const char* e = cursor.data() + cursor.size();
    if (b == e || std::from_chars(b, e, id).ptr != e || id <= 0) {
      return fail(Error::invalid("cursor", "is not a cursor returned by list_roster"));
    }
    out.invitations = true;
    out.before = InvitationId(id);
    return out;
  }
  ORGKIT_TRY(after, decode_member_cursor(cursor, roster_member_prefix, "list_roster"));
  out.after_user = std::move(after);
  return out;
}

// Up to `want` pending, unexpired email invitations of `org` with an id below `before`,
// newest first. Links are pending too but name nobody, so they are skipped; asking storage
// for whole batches keeps that to a few reads however many links there are.
Result<std::vector<Invitation>> pending_invitees(StorageTransaction& tx, OrgId org, Timestamp now,
                                                 std::optional<InvitationId> before,
                                                 std::size_t want) {
  std::vector<Invitation> out;
  const int batch = static_cast<int>(std::max<std::size_t>(want, 100));
  while (out.size() < want) {
    ORGKIT_TRY(items, tx.list_invitations(org, InvitationState::pending, now, before, batch));
    for (auto& inv : items) {
      if (inv.kind != InvitationKind::email) continue;
      out.push_back(std::move(inv));
      if (out.size() == want) break;
    }
    if (items.size() < static_cast<std::size_t>(batch)) break;
    before = items.back().id;
  }
  return out;
}

RosterEntry active_row(Membership m) {
  RosterEntry row;
  row.status = RosterStatus::active;
  row.user = std::move(m.user);
  row.email = std::move(m.email);
  row.display_name = std::move(m.display_name);
  row.role = std::move(m.role);
  row.since = m.joined_at;
  return row;
}

RosterEntry pending_row(Invitation inv) {
  RosterEntry row;
  row.status = RosterStatus::pending;
  row.email = std::move(inv.email);
  row.role = std::move(inv.role);
  row.since = inv.created_at;
  row.expires_at = inv.expires_at;
  row.invitation = inv.id;
  return row;
}

}  // namespace

Result<Page<RosterEntry>> list_roster(Core& c, const Actor& actor, OrgId org,
                                      const RosterQuery& query) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  ORGKIT_TRY(cursor, decode_roster_cursor(query.cursor));

  ORGKIT_TRY(tx, read(c));  // one snapshot: members and invitations of the same moment
  ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::members_read, "list members"));
  // Pending rows show what list_invitations shows, to those who may list invitations.
  const bool sees_pending =
      require(c, *a.role, permissions::members_invite, "list invitations").has_value();
  const auto limit = static_cast<std::size_t>(query.limit);

  Page<RosterEntry> page;
  if (!cursor.invitations) {
    ORGKIT_TRY(members,
               tx->list_memberships(org, std::nullopt, cursor.after_user, query.limit + 1));
    if (members.size() > limit) {
      members.pop_back();
      page.next_cursor = member_cursor(members.back().user, std::string(roster_member_prefix));
    }
    for (auto& m : members) page.items.push_back(active_row(std::move(m)));
    if (page.next_cursor || !sees_pending) return page;
  } else if (!sees_pending) {
    return page;  // a cursor past the members, from when the actor could list invitations
  }

  // The rest of the page from the pending invitations, plus one to learn whether there are
  // more; with no room left (the members filled the page) that one still decides whether
  // a next page exists, and the cursor then resumes after the last member.
  const std::size_t room = limit - page.items.size();
  ORGKIT_TRY(invitations, pending_invitees(*tx, org, c.clock->now(), cursor.before, room + 1));
  if (invitations.size() > room) {
    invitations.pop_back();
    if (!invitations.empty()) {
      page.next_cursor =
          fmt::format("{}{}", roster_invitation_prefix, invitations.back().id.value());
    } else {
      page.next_cursor = member_cursor(*page.items.back().user, std::string(roster_member_prefix));
    }
  }
  for (auto& inv : invitations) page.items.push_back(pending_row(std::move(inv)));
  return page;
}

}  // namespace orgkit::detail
