// The member table (issue 8): list_roster lists members ("active") and people invited by
// email who have not answered yet ("pending") in one paged list, and find_member_by_email
// looks a member up by address. I4 for what counts as pending, R1 for outsiders.
#include "support/test_support.hpp"

#include <algorithm>
#include <map>
#include <set>

using namespace orgkit;
using test::Fixture;

namespace {

InviteRequest to(const std::string& email, const std::string& role = "member") {
  InviteRequest r;
  r.email = email;
  r.role = role;
  return r;
}

// One row as text, so a whole table compares in one CHECK.
std::string row(const RosterEntry& e) {
  std::string out(to_string(e.status));
  out += " " + e.email + " " + e.role;
  return out;
}

std::vector<std::string> rows(const std::vector<RosterEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(row(e));
  return out;
}

// A row's identity: the member's user id, or the invitation's id.
std::string key(const RosterEntry& e) {
  return e.user ? "user " + e.user->value() : "invitation " + std::to_string(e.invitation->value());
}

// The Team ("owner", "admin", "member" of Acme) and, around it, every kind of invitation:
// two that are pending, and a link, an expired, a revoked, a declined and an accepted one,
// which the table must not list as pending. Beside it, another organization whose rows
// must never appear.
struct Table : test::Team {
  Organization other;
  InvitationId pending_old;
  InvitationId pending_new;
  Table() {
    other = f.org(Fixture::user("boss"), "Other");
    REQUIRE_OK(f.kit->invite(Fixture::user("boss"), other.id, to("elsewhere@example.com")));

    auto first = f.kit->invite(owner, org.id, to("dora@example.com", "viewer"));
    REQUIRE_OK(first);
    pending_old = first->invitation.id;
    f.clock->advance(std::chrono::minutes(1));

    REQUIRE_OK(f.kit->create_invite_link(admin, org.id, "member", LinkExpiry::seven_days));
    InviteRequest brief = to("short@example.com");
    brief.expires_in = std::chrono::minutes(5);
    REQUIRE_OK(f.kit->invite(admin, org.id, brief));
    auto revoked = f.kit->invite(admin, org.id, to("revoked@example.com"));
    REQUIRE_OK(revoked);
    REQUIRE_OK(f.kit->revoke_invitation(admin, org.id, revoked->invitation.id));
    auto declined = f.kit->invite(admin, org.id, to("declined@example.com"));
    REQUIRE_OK(declined);
    REQUIRE_OK(f.kit->decline_invitation(Fixture::user("declined"), declined->token));
    auto accepted = f.kit->invite(admin, org.id, to("joiner@example.com", "viewer"));
    REQUIRE_OK(accepted);
    REQUIRE_OK(f.kit->accept_invitation(Fixture::user("joiner"), accepted->token));

    f.clock->advance(std::chrono::minutes(10));  // "short" has expired now
    auto second = f.kit->invite(admin, org.id, to("Eve@Example.com"));
    REQUIRE_OK(second);
    pending_new = second->invitation.id;
  }

  Page<RosterEntry> page(const Actor& who, int limit = 1000, const std::string& cursor = {}) {
    RosterQuery q;
    q.limit = limit;
    q.cursor = cursor;
    auto p = f.kit->list_roster(who, org.id, q);
    REQUIRE_OK(p);
    return std::move(*p);
  }

  // Every row, `limit` at a time, failing the test on an error.
  std::vector<RosterEntry> walk(const Actor& who, int limit) {
    std::vector<RosterEntry> out;
    std::string cursor;
    for (int n = 0; n < 100; ++n) {
      auto p = page(who, limit, cursor);
      CHECK(p.items.size() <= static_cast<std::size_t>(limit));
      for (auto& e : p.items) out.push_back(std::move(e));
      if (!p.next_cursor) return out;
      CHECK_FALSE(p.items.empty());  // a page that says "more" has rows
      cursor = *p.next_cursor;
    }
    FAIL("the walk did not end");
    return out;
  }
};

const std::vector<std::string> full_table = {
    // Members by user id, then pending email invitations, newest first.
    "active admin@example.com admin",
    "active joiner@example.com viewer",
    "active member@example.com member",
    "active owner@example.com owner",
    "pending Eve@Example.com member",
    "pending dora@example.com viewer",
};

}  // namespace

TEST_CASE("list_roster: members are active, unanswered email invitations are pending",
          "[issue8][I4][members]") {
  Table t;
  auto p = t.page(t.admin);
  CHECK(rows(p.items) == full_table);
  CHECK_FALSE(p.next_cursor);

  // Active rows carry the membership; pending rows the invitation.
  const RosterEntry& admin = p.items[0];
  CHECK(admin.status == RosterStatus::active);
  CHECK(to_string(admin.status) == "active");
  REQUIRE(admin.user);
  CHECK(*admin.user == t.admin.id);
  CHECK(admin.display_name == "User admin");
  auto membership = t.f.kit->get_membership(t.owner, t.org.id, t.admin.id);
  REQUIRE_OK(membership);
  CHECK(admin.since == membership->joined_at);
  CHECK_FALSE(admin.expires_at);
  CHECK_FALSE(admin.invitation);

  const RosterEntry& eve = p.items[4];
  CHECK(eve.status == RosterStatus::pending);
  CHECK(to_string(eve.status) == "pending");
  CHECK_FALSE(eve.user);
  CHECK(eve.display_name.empty());
  REQUIRE(eve.invitation);
  CHECK(*eve.invitation == t.pending_new);
  REQUIRE(eve.expires_at);
  CHECK(eve.since < *eve.expires_at);
  CHECK(*p.items[5].invitation == t.pending_old);
  CHECK(p.items[5].since < eve.since);

  // The pending rows are exactly list_invitations' unexpired pending email invitations.
  InvitationQuery pending;
  pending.state = InvitationState::pending;
  auto invitations = t.f.kit->list_invitations(t.admin, t.org.id, pending);
  REQUIRE_OK(invitations);
  std::vector<std::int64_t> email_ids;
  for (const auto& inv : invitations->items) {
    if (inv.kind == InvitationKind::email) email_ids.push_back(inv.id.value());
  }
  CHECK(email_ids == std::vector<std::int64_t>{t.pending_new.value(), t.pending_old.value()});

  // Owners, tenant administrators and the host see the same table.
  CHECK(rows(t.page(t.owner).items) == full_table);
  CHECK(rows(t.page(Actor::tenant_admin(default_tenant(), "ops")).items) == full_table);
  CHECK(rows(t.page(Actor::host()).items) == full_table);

  SECTION("a pending row becomes active when accepted, and goes when revoked or expired") {
    auto resent = t.f.kit->resend_invitation(t.admin, t.org.id, t.pending_old);
    REQUIRE_OK(resent);
    REQUIRE_OK(t.f.kit->accept_invitation(Fixture::user("dora"), resent->token));
    REQUIRE_OK(t.f.kit->revoke_invitation(t.admin, t.org.id, t.pending_new));
    CHECK(rows(t.page(t.admin).items) == std::vector<std::string>{
                                             "active admin@example.com admin",
                                             "active dora@example.com viewer",
                                             "active joiner@example.com viewer",
                                             "active member@example.com member",
                                             "active owner@example.com owner",
                                         });
  }
  SECTION("an invitation that expires leaves the table without anyone touching it") {
    t.f.clock->advance(std::chrono::hours(24 * 31));
    CHECK(rows(t.page(t.admin).items) ==
          std::vector<std::string>(full_table.begin(), full_table.begin() + 4));
  }
}

TEST_CASE("list_roster: without members:invite the table lists members only",
          "[issue8][I4][members]") {
  Table t;
  // Standard members read members but may not list invitations.
  auto p = t.page(t.member);
  CHECK(rows(p.items) == std::vector<std::string>(full_table.begin(), full_table.begin() + 4));
  CHECK_FALSE(p.next_cursor);
  // A full page of members says nothing more is coming rather than pointing at rows the
  // actor may not see.
  auto short_page = t.page(t.member, 4);
  CHECK(short_page.items.size() == 4);
  CHECK_FALSE(short_page.next_cursor);
  auto paged = t.walk(t.member, 3);
  CHECK(rows(paged) == rows(p.items));

  // A cursor into the pending rows, taken by someone who could see them, reads nothing for
  // someone who cannot.
  auto admin_first = t.page(t.admin, 5);
  REQUIRE(admin_first.next_cursor);
  auto rest = t.page(t.member, 5, *admin_first.next_cursor);
  CHECK(rest.items.empty());
  CHECK_FALSE(rest.next_cursor);
}

TEST_CASE("list_roster: pages never skip or repeat a row, across the members-invitations "
          "boundary",
          "[issue8][I4][members]") {
  Table t;
  const auto expected = rows(t.page(t.admin).items);
  for (int limit = 1; limit <= 7; ++limit) {
    INFO("limit " << limit);
    CHECK(rows(t.walk(t.admin, limit)) == expected);
  }
  // A page that ends on the last member still leads on to the invitations.
  auto members_only = t.page(t.admin, 4);
  CHECK(rows(members_only.items) ==
        std::vector<std::string>(full_table.begin(), full_table.begin() + 4));
  REQUIRE(members_only.next_cursor);
  CHECK(rows(t.page(t.admin, 4, *members_only.next_cursor).items) ==
        std::vector<std::string>(full_table.begin() + 4, full_table.end()));
  // ... and a page that ends on the last row says so.
  auto whole = t.page(t.admin, 6);
  CHECK(whole.items.size() == 6);
  CHECK_FALSE(whole.next_cursor);
}

TEST_CASE("list_roster: rows added between pages never repeat or hide a row that was there",
          "[issue8][I4][members]") {
  Table t;
  const auto before = t.page(t.admin).items;
  std::vector<RosterEntry> seen;
  std::string cursor;
  int added = 0;
  for (int n = 0; n < 100; ++n) {
    auto p = t.page(t.admin, 2, cursor);
    for (auto& e : p.items) seen.push_back(std::move(e));
    if (!p.next_cursor) break;
    cursor = *p.next_cursor;
    // Between pages: a member sorting first, one sorting last, and a new invitation.
    ++added;
    const std::string n_str = std::to_string(added);
    t.f.add(t.owner, t.org.id, Fixture::user("aaa" + n_str), "member");
    t.f.add(t.owner, t.org.id, Fixture::user("zzz" + n_str), "member");
    REQUIRE_OK(t.f.kit->invite(t.admin, t.org.id, to("late" + n_str + "@example.com")));
  }
  REQUIRE(added >= 3);
  std::map<std::string, int> times;
  for (const auto& e : seen) ++times[key(e)];
  for (const auto& [k, n] : times) {
    INFO(k);
    CHECK(n == 1);
  }
  for (const auto& e : before) {
    INFO(key(e));
    CHECK(times.count(key(e)) == 1);
  }
  // Members first, then invitations, whatever was added.
  const auto first_pending =
      std::find_if(seen.begin(), seen.end(),
                   [](const RosterEntry& e) { return e.status == RosterStatus::pending; });
  CHECK(std::all_of(first_pending, seen.end(),
                    [](const RosterEntry& e) { return e.status == RosterStatus::pending; }));
}

TEST_CASE("list_roster: links do not crowd out invitations, however many there are",
          "[issue8][I4][members]") {
  test::Team t;
  REQUIRE_OK(t.f.kit->invite(t.owner, t.org.id, to("first@example.com")));
  for (int i = 0; i < 130; ++i) {
    REQUIRE_OK(t.f.kit->create_invite_link(t.owner, t.org.id, "member", LinkExpiry::one_day));
  }
  REQUIRE_OK(t.f.kit->invite(t.owner, t.org.id, to("last@example.com")));
  for (int limit : {1, 3, 4, 5, 50}) {
    INFO("limit " << limit);
    std::vector<std::string> got;
    RosterQuery q;
    q.limit = limit;
    for (int n = 0; n < 20; ++n) {
      auto p = t.f.kit->list_roster(t.owner, t.org.id, q);
      REQUIRE_OK(p);
      for (const auto& e : p->items) got.push_back(row(e));
      if (!p->next_cursor) break;
      q.cursor = *p->next_cursor;
    }
    CHECK(got == std::vector<std::string>{"active admin@example.com admin",
                                          "active member@example.com member",
                                          "active owner@example.com owner",
                                          "pending last@example.com member",
                                          "pending first@example.com member"});
  }
}

TEST_CASE("list_roster: refused without members:read, invisible to outsiders",
          "[issue8][R1][members]") {
  Table t;
  const Actor viewer = Fixture::user("viewer");
  t.f.add(t.owner, t.org.id, viewer, "viewer");
  REQUIRE_OK(t.f.kit->list_roster(viewer, t.org.id));  // viewers read members (P3)

  auto policy = test::standard_builder([](RoleSpec& r) {
                  if (r.name == "viewer") r.permissions.clear();
                  return true;
                }).build();
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  test::Team strict(o);
  const Actor blind = Fixture::user("blind");
  strict.f.add(strict.owner, strict.org.id, blind, "viewer");
  auto denied = strict.f.kit->list_roster(blind, strict.org.id);
  REQUIRE_ERROR(denied, ErrorCode::permission_denied);

  auto outsider = t.f.kit->list_roster(Fixture::user("stranger"), t.org.id);
  REQUIRE_ERROR(outsider, ErrorCode::not_found);
  CHECK(outsider.error().field == "org_id");
  REQUIRE_ERROR(t.f.kit->list_roster(Fixture::user("admin", "elsewhere"), t.org.id),
                ErrorCode::not_found);
}

TEST_CASE("list_roster: a bad limit or cursor is refused, naming it", "[issue8][E2][members]") {
  Table t;
  for (int limit : {0, -1, 1001}) {
    RosterQuery q;
    q.limit = limit;
    auto r = t.f.kit->list_roster(t.admin, t.org.id, q);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "limit");
  }
  // list_members' and list_invitations' cursors are not the table's, nor is anything made up.
  MemberQuery mq;
  mq.limit = 1;
  auto members = t.f.kit->list_members(t.admin, t.org.id, mq);
  REQUIRE_OK(members);
  REQUIRE(members->next_cursor);
  for (const std::string& cursor :
       {*members->next_cursor, std::string("i:5"), std::string("r:i:"), std::string("r:i:0"),
        std::string("r:i:-3"), std::string("r:i:7x"), std::string("r:m:"), std::string("r:m:zz"),
        std::string("r:m:abc"), std::string("r:x:61"), std::string("garbage")}) {
    INFO("cursor '" << cursor << "'");
    RosterQuery q;
    q.cursor = cursor;
    auto r = t.f.kit->list_roster(t.admin, t.org.id, q);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "cursor");
  }
}

// --- find_member_by_email -----------------------------------------------------------------

TEST_CASE("find_member_by_email: trimmed and case-insensitive, members only",
          "[issue8][I2][P10][members]") {
  Table t;
  auto found = t.f.kit->find_member_by_email(t.admin, t.org.id, "  MEMBER@Example.COM ");
  REQUIRE_OK(found);
  CHECK(found->user == t.member.id);
  CHECK(found->role == "member");
  CHECK(found->org == t.org.id);
  auto joiner = t.f.kit->find_member_by_email(t.owner, t.org.id, "joiner@example.com");
  REQUIRE_OK(joiner);
  CHECK(joiner->user == UserId("joiner"));
  // Anyone who reads members may look up; the host too.
  REQUIRE_OK(t.f.kit->find_member_by_email(t.member, t.org.id, "owner@example.com"));
  REQUIRE_OK(t.f.kit->find_member_by_email(Actor::host(), t.org.id, "owner@example.com"));

  // Not a member: a pending invitee, another organization's member, a near miss.
  for (const char* email : {"eve@example.com", "dora@example.com", "boss@example.com",
                            "elsewhere@example.com", "ember@example.com",
                            "member@example.co", "member@example.com.evil"}) {
    INFO(email);
    auto r = t.f.kit->find_member_by_email(t.admin, t.org.id, email);
    REQUIRE_ERROR(r, ErrorCode::not_found);
    CHECK(r.error().field == "email");
  }
  // The same address in another tenant is another person.
  const Actor far_owner = Fixture::user("owner", "elsewhere");
  const Organization far = t.f.org(far_owner, "Far");
  auto far_found = t.f.kit->find_member_by_email(far_owner, far.id, "member@example.com");
  REQUIRE_ERROR(far_found, ErrorCode::not_found);
  CHECK(far_found.error().field == "email");
}

TEST_CASE("find_member_by_email: needs members:read, except for one's own address",
          "[issue8][P3][members]") {
  auto policy = test::standard_builder([](RoleSpec& r) {
                  if (r.name == "viewer") r.permissions.clear();
                  return true;
                }).build();
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  test::Team t(o);
  const Actor blind = Fixture::user("blind");
  t.f.add(t.owner, t.org.id, blind, "viewer");
  auto mine = t.f.kit->find_member_by_email(blind, t.org.id, "BLIND@example.com");
  REQUIRE_OK(mine);
  CHECK(mine->user == blind.id);
  REQUIRE_ERROR(t.f.kit->find_member_by_email(blind, t.org.id, "owner@example.com"),
                ErrorCode::permission_denied);
  // Denied the same whether or not someone has the address: nothing is learned.
  auto unknown = t.f.kit->find_member_by_email(blind, t.org.id, "nobody@example.com");
  REQUIRE_ERROR(unknown, ErrorCode::permission_denied);
}

TEST_CASE("find_member_by_email: malformed addresses and outsiders", "[issue8][E2][R1][members]") {
  Table t;
  for (const char* email : {"", "   ", "not-an-email", "a@", "@example.com", "a b@example.com"}) {
    INFO("'" << email << "'");
    auto r = t.f.kit->find_member_by_email(t.admin, t.org.id, email);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "email");
  }
  auto outsider = t.f.kit->find_member_by_email(Fixture::user("stranger"), t.org.id,
                                                "member@example.com");
  REQUIRE_ERROR(outsider, ErrorCode::not_found);
  CHECK(outsider.error().field == "org_id");
  auto missing = t.f.kit->find_member_by_email(t.admin, OrgId(t.org.id.value() + 1000),
                                               "member@example.com");
  REQUIRE_ERROR(missing, ErrorCode::not_found);
  CHECK(missing.error().field == "org_id");
}
