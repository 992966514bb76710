// Audit (A1): every change writes one event in the same transaction, with actor, time,
// organization, target and before/after; owners and admins read it, newest first, paged.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

TEST_CASE("every change is audited with before and after", "[A1]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto bob = Fixture::user("bob");
  auto org = f.org(owner);
  f.clock->advance(std::chrono::minutes(1));
  f.add(owner, org.id, bob, "member");
  f.clock->advance(std::chrono::minutes(1));
  REQUIRE_OK(f.kit->change_member_role(owner, org.id, bob.id, "admin"));
  OrganizationUpdate u;
  u.name = "Acme 2";
  REQUIRE_OK(f.kit->update_organization(owner, org.id, u));
  REQUIRE_OK(f.kit->transfer_ownership(owner, org.id, bob.id));
  REQUIRE_OK(f.kit->leave_organization(owner, org.id));

  AuditQuery q;
  auto page = f.kit->list_audit_events(bob, org.id, q);
  REQUIRE_OK(page);
  const auto& e = page->items;
  REQUIRE(e.size() == 6);
  CHECK(e[0].action == "member.left");
  CHECK(e[1].action == "ownership.transferred");
  CHECK(e[2].action == "organization.updated");
  CHECK(e[3].action == "member.role_changed");
  CHECK(e[4].action == "member.added");
  CHECK(e[5].action == "organization.created");

  CHECK(e[3].actor == owner.id);
  CHECK(e[3].target == "bob");
  CHECK(e[3].org == org.id);
  CHECK(e[3].at == f.clock->now());
  REQUIRE(e[3].changes.size() == 1);
  CHECK(e[3].changes[0].field == "role");
  CHECK(e[3].changes[0].before == std::optional<std::string>("member"));
  CHECK(e[3].changes[0].after == std::optional<std::string>("admin"));
  CHECK(e[4].at < e[3].at);
  REQUIRE(e[2].changes.size() == 1);
  CHECK(e[2].changes[0].before == std::optional<std::string>("Acme"));
  CHECK(e[2].changes[0].after == std::optional<std::string>("Acme 2"));
  CHECK(e[4].changes[0].before == std::nullopt);
}

TEST_CASE("refused and invalid changes write no audit event", "[A1][E2]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  const auto before = f.actions(owner, org.id).size();
  REQUIRE_ERROR(f.kit->change_member_role(owner, org.id, owner.id, "admin"), ErrorCode::conflict);
  REQUIRE_ERROR(f.kit->remove_member(member, org.id, owner.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->add_member(owner, org.id, {UserId("x"), "bad", "", "member"}),
                ErrorCode::invalid_argument);
  OrganizationUpdate same;
  same.name = "Acme";  // unchanged: nothing to record
  REQUIRE_OK(f.kit->update_organization(owner, org.id, same));
  CHECK(f.actions(owner, org.id).size() == before);
}

TEST_CASE("only owners and admins read the audit trail, a page at a time", "[A1]") {
  test::Team team;
  auto& [f, owner, admin, member, org] = team;
  for (int i = 0; i < 12; ++i) {
    REQUIRE_OK(f.kit->change_member_role(admin, org.id, member.id, i % 2 ? "member" : "viewer"));
  }
  REQUIRE_ERROR(f.kit->list_audit_events(member, org.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->list_audit_events(Fixture::user("x"), org.id), ErrorCode::not_found);

  AuditQuery q;
  q.limit = 5;
  std::vector<std::int64_t> ids;
  for (;;) {
    auto page = f.kit->list_audit_events(admin, org.id, q);
    REQUIRE_OK(page);
    for (const auto& e : page->items) ids.push_back(e.id.value());
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  CHECK(ids.size() == 15);  // created, 2 added, 12 role changes
  CHECK(std::is_sorted(ids.rbegin(), ids.rend()));

  AuditQuery bad;
  bad.cursor = "a:notanumber";
  REQUIRE_ERROR(f.kit->list_audit_events(owner, org.id, bad), ErrorCode::invalid_argument);
  bad.cursor = "";
  bad.limit = 5000;
  REQUIRE_ERROR(f.kit->list_audit_events(owner, org.id, bad), ErrorCode::invalid_argument);
}
