// Principals beyond members (U3): tenant administrators and the host act in every
// organization of their own tenant, are audited as what they are, and never cross tenants.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

NewOrganization owned_by(const std::string& name, const std::string& owner) {
  NewOrganization spec;
  spec.name = name;
  spec.owner = NewOwner{UserId(owner), owner + "@example.com", "User " + owner};
  return spec;
}

}  // namespace

TEST_CASE("a tenant administrator creates an organization with a named owner", "[U3][O1]") {
  Fixture f;
  const Actor admin = Actor::tenant_admin(TenantId("acme-corp"), "ops-1");
  auto org = f.kit->create_organization(admin, owned_by("Support", "alice"));
  REQUIRE_OK(org);
  CHECK(org->tenant == TenantId("acme-corp"));
  const Actor alice = Fixture::user("alice", "acme-corp");
  auto mine = f.kit->get_membership(alice, org->id, alice.id);
  REQUIRE_OK(mine);
  CHECK(mine->role == "owner");
  auto trail = f.kit->list_audit_events(alice, org->id);
  REQUIRE_OK(trail);
  REQUIRE(trail->items.size() == 1);
  CHECK(trail->items[0].action == "organization.created");
  CHECK(trail->items[0].actor == UserId("ops-1"));
  CHECK(trail->items[0].actor_kind == PrincipalKind::tenant_admin);

  SECTION("an organization never exists without an owner") {
    NewOrganization spec;
    spec.name = "Orphan";
    auto orphan = f.kit->create_organization(admin, spec);
    REQUIRE_ERROR(orphan, ErrorCode::invalid_argument);
    CHECK(orphan.error().field == "owner");
    auto bad_email = owned_by("Bad", "bob");
    bad_email.owner->email = "not an email";
    auto refused = f.kit->create_organization(admin, bad_email);
    REQUIRE_ERROR(refused, ErrorCode::invalid_argument);
    CHECK(refused.error().field == "owner.email");
  }
  SECTION("a member who names someone else as owner is refused") {
    auto spec = owned_by("Mine", "bob");
    auto refused = f.kit->create_organization(Fixture::user("carol"), spec);
    REQUIRE_ERROR(refused, ErrorCode::invalid_argument);
    CHECK(refused.error().field == "owner");
  }
}

TEST_CASE("a tenant administrator administers any organization of its tenant", "[U3]") {
  test::Team t;
  const Actor ops = Actor::tenant_admin(t.owner.tenant, "ops-1");

  auto got = t.f.kit->get_organization(ops, t.org.id);
  REQUIRE_OK(got);
  CHECK(got->name == "Acme");
  OrganizationUpdate update;
  update.name = "Acme Renamed";
  REQUIRE_OK(t.f.kit->update_organization(ops, t.org.id, update));
  REQUIRE_OK(t.f.kit->add_member(ops, t.org.id, {UserId("dan"), "dan@example.com", "", "owner"}));
  // Above every role: it may demote an owner while another owner remains...
  REQUIRE_OK(t.f.kit->change_member_role(ops, t.org.id, t.owner.id, "admin"));
  // ...but the invariants bind it too: the last owner stays.
  auto last = t.f.kit->remove_member(ops, t.org.id, UserId("dan"));
  REQUIRE_ERROR(last, ErrorCode::conflict);
  REQUIRE_OK(t.f.kit->remove_member(ops, t.org.id, t.member.id));
  auto members = t.f.kit->list_members(ops, t.org.id);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 3);

  auto trail = t.f.kit->list_audit_events(ops, t.org.id);
  REQUIRE_OK(trail);
  int by_ops = 0;
  for (const auto& e : trail->items) {
    if (e.actor == UserId("ops-1")) {
      CHECK(e.actor_kind == PrincipalKind::tenant_admin);
      ++by_ops;
    }
  }
  CHECK(by_ops == 4);  // updated, added, role changed, removed

  SECTION("it may delete the organization") {
    REQUIRE_OK(t.f.kit->delete_organization(ops, t.org.id));
    REQUIRE_ERROR(t.f.kit->get_organization(ops, t.org.id), ErrorCode::not_found);
  }
}

TEST_CASE("tenant administrators and the host never cross tenants", "[U3][O9]") {
  test::Team t;  // in the default tenant
  for (const Actor& other : {Actor::tenant_admin(TenantId("other"), "ops-2"),
                             Actor::host(TenantId("other"))}) {
    INFO(to_string(other.kind));
    REQUIRE_ERROR(t.f.kit->get_organization(other, t.org.id), ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->list_members(other, t.org.id), ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->add_member(other, t.org.id, {UserId("eve"), "eve@example.com", "", "owner"}),
                  ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->delete_organization(other, t.org.id), ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->list_audit_events(other, t.org.id), ErrorCode::not_found);
  }
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.owner.id).has_value());
}

TEST_CASE("the host provisions and is audited as the host", "[U3]") {
  Fixture f;
  const Actor host = Actor::host();
  auto org = f.kit->create_organization(host, owned_by("Provisioned", "alice"));
  REQUIRE_OK(org);
  REQUIRE_OK(f.kit->add_member(host, org->id, {UserId("bob"), "bob@example.com", "", "admin"}));
  auto trail = f.kit->list_audit_events(host, org->id);
  REQUIRE_OK(trail);
  REQUIRE(trail->items.size() == 2);
  for (const auto& e : trail->items) {
    CHECK(e.actor_kind == PrincipalKind::host);
    CHECK(e.actor == UserId("host"));
  }
}

TEST_CASE("operations only a user can do refuse the other principals", "[U3][E2]") {
  test::Team t;
  const Actor ops = Actor::tenant_admin(t.owner.tenant, "ops-1");
  auto link = t.f.kit->create_invite_link(t.owner, t.org.id, "member", LinkExpiry::one_day);
  REQUIRE_OK(link);
  auto accept = t.f.kit->accept_invitation(ops, link->token);
  REQUIRE_ERROR(accept, ErrorCode::invalid_argument);
  CHECK(accept.error().field == "actor");
  REQUIRE_ERROR(t.f.kit->leave_organization(ops, t.org.id), ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->my_organizations(ops), ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->ensure_personal_organization(Actor::host()), ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->transfer_ownership(ops, t.org.id, t.admin.id), ErrorCode::invalid_argument);
  // The link is still good for a user.
  REQUIRE_OK(t.f.kit->accept_invitation(Fixture::user("newcomer"), link->token));
}
