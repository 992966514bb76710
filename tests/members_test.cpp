// Members: add, change role, remove, list, get; the rank rule (P4), the owner invariant and
// fixed emails (P10). PITFALLS 3, 4, 6.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

struct Team {
  Fixture f;
  Actor owner = Fixture::user("owner");
  Actor admin = Fixture::user("admin");
  Actor admin2 = Fixture::user("admin2");
  Actor member = Fixture::user("member");
  Actor viewer = Fixture::user("viewer");
  Organization org;
  Team() {
    org = f.org(owner);
    f.add(owner, org.id, admin, "admin");
    f.add(owner, org.id, admin2, "admin");
    f.add(owner, org.id, member, "member");
    f.add(owner, org.id, viewer, "viewer");
  }
  std::string role_of(const Actor& who) {
    auto m = f.kit->get_membership(owner, org.id, who.id);
    return m ? m->role : "<" + orgkit::to_string(m.error()) + ">";
  }
  NewMember newcomer(const std::string& id, const std::string& role) {
    return {UserId(id), id + "@example.com", id, role};
  }
};

}  // namespace

TEST_CASE("add a member with a role", "[P4][members]") {
  Team t;
  auto added = t.f.kit->add_member(t.admin, t.org.id, t.newcomer("new", "member"));
  REQUIRE_OK(added);
  CHECK(added->role == "member");
  CHECK(added->email == "new@example.com");
  CHECK(t.role_of(Fixture::user("new")) == "member");
  // Admins may grant their own rank.
  REQUIRE_OK(t.f.kit->add_member(t.admin, t.org.id, t.newcomer("new-admin", "admin")));

  SECTION("nobody grants above their own rank") {
    auto r = t.f.kit->add_member(t.admin, t.org.id, t.newcomer("x", "owner"));
    REQUIRE_ERROR(r, ErrorCode::permission_denied);
    CHECK(r.error().field == "role");
  }
  SECTION("members and viewers cannot add") {
    REQUIRE_ERROR(t.f.kit->add_member(t.member, t.org.id, t.newcomer("x", "viewer")),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->add_member(t.viewer, t.org.id, t.newcomer("x", "viewer")),
                  ErrorCode::permission_denied);
  }
  SECTION("an existing member cannot be added twice") {
    const auto before = t.f.actions(t.owner, t.org.id).size();
    auto r = t.f.kit->add_member(t.owner, t.org.id, t.newcomer("member", "viewer"));
    REQUIRE_ERROR(r, ErrorCode::already_exists);
    CHECK(r.error().field == "user_id");
    CHECK(r.error().message.find("already a member") != std::string::npos);
    CHECK(t.role_of(t.member) == "member");
    // Refused by the insert itself: the transaction is dropped whole, audit event and all.
    CHECK(t.f.actions(t.owner, t.org.id).size() == before);
  }
  SECTION("bad input names the field") {
    auto bad_role = t.f.kit->add_member(t.owner, t.org.id, t.newcomer("x", "emperor"));
    REQUIRE_ERROR(bad_role, ErrorCode::not_found);
    CHECK(bad_role.error().field == "role");
    auto malformed_role = t.f.kit->add_member(t.owner, t.org.id, t.newcomer("x", "Ad Min"));
    REQUIRE_ERROR(malformed_role, ErrorCode::invalid_argument);
    auto bad_email = t.f.kit->add_member(t.owner, t.org.id, {UserId("x"), "x@", "", "member"});
    REQUIRE_ERROR(bad_email, ErrorCode::invalid_argument);
    CHECK(bad_email.error().field == "email");
    auto bad_id = t.f.kit->add_member(t.owner, t.org.id, {UserId(""), "x@example.com", "", "member"});
    REQUIRE_ERROR(bad_id, ErrorCode::invalid_argument);
    CHECK(bad_id.error().field == "user_id");
    REQUIRE_ERROR(t.f.kit->add_member(t.owner, OrgId(777), t.newcomer("x", "member")),
                  ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->get_membership(t.owner, t.org.id, UserId("x")), ErrorCode::not_found);
  }
  SECTION("a non-member actor is refused without learning anything") {
    auto stranger = Fixture::user("stranger");
    auto r = t.f.kit->add_member(stranger, t.org.id, t.newcomer("x", "member"));
    REQUIRE_ERROR(r, ErrorCode::not_found);
    CHECK(r.error().field == "org_id");
  }
}

TEST_CASE("change a member's role: the rank rule", "[P4][members]") {
  Team t;
  REQUIRE_OK(t.f.kit->change_member_role(t.admin, t.org.id, t.member.id, "viewer"));
  CHECK(t.role_of(t.member) == "viewer");
  REQUIRE_OK(t.f.kit->change_member_role(t.admin, t.org.id, t.viewer.id, "admin"));
  CHECK(t.role_of(t.viewer) == "admin");
  REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.admin2.id, "member"));
  CHECK(t.role_of(t.admin2) == "member");

  SECTION("admins cannot edit, demote or promote other admins or owners") {
    auto r = t.f.kit->change_member_role(t.admin, t.org.id, t.viewer.id, "member");
    REQUIRE_ERROR(r, ErrorCode::permission_denied);  // viewer is an admin now
    CHECK(r.error().field == "user_id");
    REQUIRE_ERROR(t.f.kit->change_member_role(t.admin, t.org.id, t.owner.id, "member"),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->change_member_role(t.admin, t.org.id, t.admin.id, "member"),
                  ErrorCode::permission_denied);
    CHECK(t.role_of(t.owner) == "owner");
    CHECK(t.role_of(t.admin) == "admin");
  }
  SECTION("nobody grants above their own rank") {
    auto r = t.f.kit->change_member_role(t.admin, t.org.id, t.member.id, "owner");
    REQUIRE_ERROR(r, ErrorCode::permission_denied);
    CHECK(r.error().field == "role");
    CHECK(t.role_of(t.member) == "viewer");
  }
  SECTION("members cannot change roles at all") {
    REQUIRE_ERROR(t.f.kit->change_member_role(t.member, t.org.id, t.admin2.id, "viewer"),
                  ErrorCode::permission_denied);
  }
  SECTION("bad input") {
    REQUIRE_ERROR(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id, "emperor"),
                  ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->change_member_role(t.owner, t.org.id, UserId("ghost"), "member"),
                  ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->change_member_role(t.owner, t.org.id, UserId(""), "member"),
                  ErrorCode::invalid_argument);
  }
}

TEST_CASE("an organization never has zero owners", "[P4][O7][members]") {
  Team t;
  auto demote = t.f.kit->change_member_role(t.owner, t.org.id, t.owner.id, "admin");
  REQUIRE_ERROR(demote, ErrorCode::conflict);
  CHECK(demote.error().message.find("last owner") != std::string::npos);
  CHECK(t.role_of(t.owner) == "owner");

  // With a second owner, owners can manage each other, but not remove the last one.
  auto second = Fixture::user("second");
  t.f.add(t.owner, t.org.id, second, "owner");
  REQUIRE_OK(t.f.kit->change_member_role(second, t.org.id, t.owner.id, "admin"));
  REQUIRE_ERROR(t.f.kit->change_member_role(second, t.org.id, second.id, "member"),
                ErrorCode::conflict);
  REQUIRE_OK(t.f.kit->change_member_role(second, t.org.id, t.owner.id, "owner"));
  REQUIRE_OK(t.f.kit->remove_member(t.owner, t.org.id, second.id));
  REQUIRE_ERROR(t.f.kit->remove_member(t.owner, t.org.id, t.owner.id), ErrorCode::conflict);
  auto owners = t.f.kit->list_members(t.owner, t.org.id, MemberQuery{std::string("owner"), "", 50});
  REQUIRE_OK(owners);
  CHECK(owners->items.size() == 1);
}

TEST_CASE("remove a member", "[P4][members]") {
  Team t;
  REQUIRE_OK(t.f.kit->remove_member(t.admin, t.org.id, t.member.id));
  REQUIRE_ERROR(t.f.kit->get_membership(t.owner, t.org.id, t.member.id), ErrorCode::not_found);
  REQUIRE_OK(t.f.kit->remove_member(t.owner, t.org.id, t.admin2.id));

  SECTION("admins cannot remove owners or other admins") {
    auto admin3 = Fixture::user("admin3");
    t.f.add(t.owner, t.org.id, admin3, "admin");
    REQUIRE_ERROR(t.f.kit->remove_member(t.admin, t.org.id, admin3.id),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->remove_member(t.admin, t.org.id, t.owner.id),
                  ErrorCode::permission_denied);
    CHECK(t.role_of(admin3) == "admin");
  }
  SECTION("viewers cannot remove anyone") {
    REQUIRE_ERROR(t.f.kit->remove_member(t.viewer, t.org.id, t.admin.id),
                  ErrorCode::permission_denied);
  }
  SECTION("bad input") {
    REQUIRE_ERROR(t.f.kit->remove_member(t.owner, t.org.id, UserId("ghost")), ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->remove_member(t.owner, t.org.id, UserId(std::string(300, 'x'))),
                  ErrorCode::invalid_argument);
  }
  SECTION("removing oneself is leaving") {
    REQUIRE_OK(t.f.kit->remove_member(t.viewer, t.org.id, t.viewer.id));
    auto actions = t.f.actions(t.owner, t.org.id);
    CHECK(actions.front() == "member.left");
  }
}

TEST_CASE("member operations are keyed by organization (no cross-org IDOR)", "[P4][members]") {
  Team t;
  auto other_owner = Fixture::user("other-owner");
  auto other = t.f.org(other_owner, "Other");
  auto victim = Fixture::user("victim");
  t.f.add(other_owner, other.id, victim, "member");
  // t.admin is an admin of t.org, not of `other`: acting on other's member fails either way.
  REQUIRE_ERROR(t.f.kit->change_member_role(t.admin, other.id, victim.id, "viewer"),
                ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->remove_member(t.admin, t.org.id, victim.id), ErrorCode::not_found);
  auto m = t.f.kit->get_membership(other_owner, other.id, victim.id);
  REQUIRE_OK(m);
  CHECK(m->role == "member");
}

TEST_CASE("a member's email cannot be changed in place: remove and add again", "[P10]") {
  Team t;
  auto again = t.f.kit->add_member(t.owner, t.org.id,
                                   {t.member.id, "member-new@example.com", "", "member"});
  REQUIRE_ERROR(again, ErrorCode::already_exists);
  CHECK(again.error().message.find("remove and add them again") != std::string::npos);
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->email == "member@example.com");

  REQUIRE_OK(t.f.kit->remove_member(t.owner, t.org.id, t.member.id));
  REQUIRE_OK(t.f.kit->add_member(t.owner, t.org.id,
                                 {t.member.id, "member-new@example.com", "", "member"}));
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->email ==
        "member-new@example.com");
  // And a member cannot do it for themself either.
  REQUIRE_ERROR(t.f.kit->add_member(t.member, t.org.id,
                                    {t.member.id, "third@example.com", "", "member"}),
                ErrorCode::permission_denied);
}

TEST_CASE("list members: filter by role, page with a stable cursor", "[members]") {
  Team t;
  for (int i = 0; i < 25; ++i) {
    t.f.add(t.owner, t.org.id, Fixture::user("user-" + std::to_string(100 + i)), "member");
  }
  MemberQuery q;
  q.limit = 10;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = t.f.kit->list_members(t.viewer, t.org.id, q);
    REQUIRE_OK(page);
    ++pages;
    for (const auto& m : page->items) seen.push_back(m.user.value());
    if (!page->next_cursor) break;
    if (pages == 1) {
      // A member joining behind the cursor does not shift what comes next.
      t.f.add(t.owner, t.org.id, Fixture::user("aaa-late"), "viewer");
    }
    q.cursor = *page->next_cursor;
  }
  CHECK(pages == 3);
  CHECK(seen.size() == 30);  // 5 + 25; "aaa-late" sorts before the cursor
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());

  MemberQuery admins;
  admins.role = "admin";
  auto only = t.f.kit->list_members(t.owner, t.org.id, admins);
  REQUIRE_OK(only);
  REQUIRE(only->items.size() == 2);
  CHECK(only->items[0].user == t.admin.id);
  CHECK_FALSE(only->next_cursor.has_value());

  MemberQuery bad;
  bad.cursor = "garbage";
  REQUIRE_ERROR(t.f.kit->list_members(t.owner, t.org.id, bad), ErrorCode::invalid_argument);
  bad.cursor = "m:zz";
  REQUIRE_ERROR(t.f.kit->list_members(t.owner, t.org.id, bad), ErrorCode::invalid_argument);
  MemberQuery big;
  big.limit = 0;
  REQUIRE_ERROR(t.f.kit->list_members(t.owner, t.org.id, big), ErrorCode::invalid_argument);
  MemberQuery unknown_role;
  unknown_role.role = "emperor";
  REQUIRE_ERROR(t.f.kit->list_members(t.owner, t.org.id, unknown_role), ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->list_members(Fixture::user("stranger"), t.org.id), ErrorCode::not_found);
}

TEST_CASE("get one membership", "[members]") {
  Team t;
  auto m = t.f.kit->get_membership(t.viewer, t.org.id, t.admin.id);
  REQUIRE_OK(m);
  CHECK(m->role == "admin");
  CHECK(m->display_name == "User admin");
  CHECK(m->joined_at == t.f.clock->now());
  REQUIRE_ERROR(t.f.kit->get_membership(Fixture::user("stranger"), t.org.id, t.admin.id),
                ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->get_membership(t.viewer, t.org.id, UserId("")),
                ErrorCode::invalid_argument);
}
