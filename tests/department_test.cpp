// The department reaches the membership (issue 8, seed 004: "onboarding an entire
// department", the CSV's department column): an accepted invitation brings its department,
// and it can be read and changed with the rules of a role change (P4).
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

Actor person(const std::string& id) {
  return Actor{UserId(id), id + "@company.com", "Person " + id, default_tenant()};
}

}  // namespace

TEST_CASE("an accepted invitation brings its department to the membership",
          "[issue8][I1][I6][seed004]") {
  test::Team t;
  SECTION("one email invitation") {
    InviteRequest r;
    r.email = "alice@company.com";
    r.role = "member";
    r.department = "engineering";
    auto issued = t.f.kit->invite(t.admin, t.org.id, r);
    REQUIRE_OK(issued);
    auto joined = t.f.kit->accept_invitation(person("alice"), issued->token);
    REQUIRE_OK(joined);
    CHECK(joined->membership.department == "engineering");
    auto read = t.f.kit->get_membership(t.owner, t.org.id, UserId("alice"));
    REQUIRE_OK(read);
    CHECK(read->department == "engineering");
  }
  SECTION("the rows of 004's CSV, each with its own department") {
    auto imported = t.f.kit->import_invitations_csv(
        t.owner, t.org.id,
        "email,role,department,message\n"
        "alice@company.com,admin,engineering,\"Welcome to our dev team!\"\n"
        "bob@company.com,member,marketing,\"Excited to have you join us!\"\n");
    REQUIRE_OK(imported);
    REQUIRE(imported->invited == 2);
    // The host delivered the links; each invitee accepts theirs.
    for (const auto& row : imported->rows) {
      const std::string token = row.accept_url.substr(row.accept_url.find("token=") + 6);
      const std::string id = row.email.substr(0, row.email.find('@'));
      REQUIRE_OK(t.f.kit->accept_invitation(person(id), token));
    }
    auto members = t.f.kit->list_members(t.owner, t.org.id);
    REQUIRE_OK(members);
    std::map<std::string, std::string> departments;
    for (const auto& m : members->items) departments[m.user.value()] = m.department;
    CHECK(departments["alice"] == "engineering");
    CHECK(departments["bob"] == "marketing");
    CHECK(departments["owner"].empty());
  }
  SECTION("a link has no department, and neither has its member") {
    auto link = t.f.kit->create_invite_link(t.owner, t.org.id, "member", LinkExpiry::one_day);
    REQUIRE_OK(link);
    auto joined = t.f.kit->accept_invitation(person("carol"), link->token);
    REQUIRE_OK(joined);
    CHECK(joined->membership.department.empty());
  }
}

TEST_CASE("set_member_department follows the rules of a role change", "[issue8][P4][A1]") {
  test::Team t;
  SECTION("allowed: an admin moves a member; audited with before and after") {
    auto moved = t.f.kit->set_member_department(t.admin, t.org.id, t.member.id, "sales");
    REQUIRE_OK(moved);
    CHECK(moved->department == "sales");
    CHECK(moved->role == "member");
    auto again = t.f.kit->set_member_department(t.admin, t.org.id, t.member.id, "support");
    REQUIRE_OK(again);
    auto events = t.f.kit->list_audit_events(t.owner, t.org.id);
    REQUIRE_OK(events);
    REQUIRE_FALSE(events->items.empty());
    const AuditEvent& last = events->items.front();
    CHECK(last.action == "member.department_changed");
    CHECK(last.target == t.member.id.value());
    REQUIRE(last.changes.size() == 1);
    CHECK(last.changes[0].before == std::optional<std::string>("sales"));
    CHECK(last.changes[0].after == std::optional<std::string>("support"));
    // Clearing it; setting the same value again writes nothing.
    REQUIRE_OK(t.f.kit->set_member_department(t.admin, t.org.id, t.member.id, ""));
    const auto count = t.f.actions(t.owner, t.org.id).size();
    REQUIRE_OK(t.f.kit->set_member_department(t.admin, t.org.id, t.member.id, ""));
    CHECK(t.f.actions(t.owner, t.org.id).size() == count);
    CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->department.empty());
  }
  SECTION("denied: a member may not, an admin may not move the owner") {
    REQUIRE_ERROR(t.f.kit->set_member_department(t.member, t.org.id, t.admin.id, "sales"),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->set_member_department(t.admin, t.org.id, t.owner.id, "sales"),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(
        t.f.kit->set_member_department(Fixture::user("stranger"), t.org.id, t.member.id, "x"),
        ErrorCode::not_found);
    CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.owner.id)->department.empty());
    // The owner may set their own.
    REQUIRE_OK(t.f.kit->set_member_department(t.owner, t.org.id, t.owner.id, "board"));
  }
  SECTION("bad input") {
    auto long_name = t.f.kit->set_member_department(t.owner, t.org.id, t.member.id,
                                                    std::string(101, 'd'));
    REQUIRE_ERROR(long_name, ErrorCode::invalid_argument);
    CHECK(long_name.error().field == "department");
    REQUIRE_ERROR(t.f.kit->set_member_department(t.owner, t.org.id, UserId("ghost"), "x"),
                  ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->set_member_department(t.owner, t.org.id, UserId(""), "x"),
                  ErrorCode::invalid_argument);
    REQUIRE_ERROR(t.f.kit->set_member_department(t.owner, t.org.id, t.member.id, "a\nb"),
                  ErrorCode::invalid_argument);
  }
}
