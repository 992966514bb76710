// Permission checks: deny by default (P2), the standard matrix through check (P3), resource
// ownership (P7), E1 (the check reads the current role: no stale allow after a change).
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

bool may(Fixture& f, const Actor& a, OrgId org, std::string_view perm) {
  auto r = f.kit->check(a, org, perm);
  REQUIRE_OK(r);
  return *r;
}

}  // namespace

TEST_CASE("check follows the standard matrix", "[P2][P3][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  auto member = Fixture::user("member");
  auto viewer = Fixture::user("viewer");
  auto org = f.org(owner);
  f.add(owner, org.id, admin, "admin");
  f.add(owner, org.id, member, "member");
  f.add(owner, org.id, viewer, "viewer");

  CHECK(may(f, owner, org.id, "billing:manage"));
  CHECK(may(f, owner, org.id, "ownership:transfer"));
  CHECK(may(f, admin, org.id, "members:invite"));
  CHECK_FALSE(may(f, admin, org.id, "billing:manage"));
  CHECK_FALSE(may(f, admin, org.id, "ownership:transfer"));
  CHECK(may(f, member, org.id, "resources:create"));
  CHECK_FALSE(may(f, member, org.id, "members:invite"));
  CHECK(may(f, viewer, org.id, "resources:read"));
  CHECK_FALSE(may(f, viewer, org.id, "resources:create"));
}

TEST_CASE("deny by default: strangers, unknown organizations, other tenants", "[P2][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  CHECK_FALSE(may(f, Fixture::user("stranger"), org.id, "resources:read"));
  CHECK_FALSE(may(f, owner, OrgId(12345), "resources:read"));
  CHECK_FALSE(may(f, Fixture::user("owner", "other-tenant"), org.id, "resources:read"));

  auto unknown = f.kit->check(owner, org.id, "resources:teleport");
  REQUIRE_ERROR(unknown, ErrorCode::invalid_argument);
  CHECK(unknown.error().field == "permission");
}

TEST_CASE("a role change takes effect on the next check (no stale allow)", "[P2][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  auto org = f.org(owner);
  f.add(owner, org.id, admin, "admin");
  CHECK(may(f, admin, org.id, "members:remove"));
  REQUIRE_OK(f.kit->change_member_role(owner, org.id, admin.id, "viewer"));
  CHECK_FALSE(may(f, admin, org.id, "members:remove"));
  REQUIRE_OK(f.kit->remove_member(owner, org.id, admin.id));
  CHECK_FALSE(may(f, admin, org.id, "resources:read"));
}

TEST_CASE("a role changed through another instance is seen by the next check",
          "[P2][check][sqlite]") {
  // Two Services on one file stand for two processes. The reading instance keeps its pooled
  // connection between calls; it must not answer from an old snapshot (PITFALLS 12).
  test::TempFile file("orgkit-stale");
  auto a = Service::open_sqlite(file.path());
  auto b = Service::open_sqlite(file.path());
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*a)->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK((*a)->add_member(owner, org->id, {admin.id, admin.email, "", "admin"}));
  for (int round = 0; round < 3; ++round) {
    // Reads that stop at their first row are what used to pin a snapshot.
    REQUIRE_OK((*a)->get_membership(admin, org->id, admin.id));
    REQUIRE_OK((*a)->list_members(owner, org->id));
    auto before = (*a)->check(admin, org->id, "members:remove");
    REQUIRE_OK(before);
    CHECK(*before == (round % 2 == 0));
    REQUIRE_OK((*b)->change_member_role(owner, org->id, admin.id,
                                        round % 2 == 0 ? "viewer" : "admin"));
    auto after = (*a)->check(admin, org->id, "members:remove");
    REQUIRE_OK(after);
    CHECK(*after == (round % 2 != 0));
    auto membership = (*a)->get_membership(owner, org->id, admin.id);
    REQUIRE_OK(membership);
    CHECK(membership->role == (round % 2 == 0 ? "viewer" : "admin"));
  }
}

TEST_CASE("resource ownership: manage_own only on one's own, manage_all on any", "[P7][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  auto alice = Fixture::user("alice");
  auto bob = Fixture::user("bob");
  auto viewer = Fixture::user("viewer");
  auto org = f.org(owner);
  f.add(owner, org.id, admin, "admin");
  f.add(owner, org.id, alice, "member");
  f.add(owner, org.id, bob, "member");
  f.add(owner, org.id, viewer, "viewer");
  const auto& policy = f.kit->policy();
  auto manage_own = policy.permission("resources:manage_own");
  auto manage_all = policy.permission("resources:manage_all");
  REQUIRE_OK(manage_own);
  REQUIRE_OK(manage_all);

  auto on = [&](const Actor& a, Permission p, const Actor& resource_owner) {
    auto r = f.kit->check(a, org.id, p, resource_owner.id);
    REQUIRE_OK(r);
    return *r;
  };
  CHECK(on(alice, *manage_own, alice));
  CHECK_FALSE(on(alice, *manage_own, bob));
  CHECK_FALSE(on(alice, *manage_all, bob));
  CHECK(on(admin, *manage_own, bob));  // manage_all covers the "own" question too
  CHECK(on(admin, *manage_all, bob));
  CHECK_FALSE(on(viewer, *manage_own, viewer));
  CHECK_FALSE(on(Fixture::user("stranger"), *manage_own, Fixture::user("stranger")));

  // A permission outside any own/all pair ignores the resource owner.
  auto read = policy.permission("resources:read");
  REQUIRE_OK(read);
  CHECK(on(viewer, *read, bob));
}

TEST_CASE("authorize explains a denial", "[P2][E1][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  REQUIRE_OK(f.kit->authorize(owner, org.id, "members:invite"));
  auto denied = f.kit->authorize(member, org.id, "members:invite");
  REQUIRE_ERROR(denied, ErrorCode::permission_denied);
  CHECK(denied.error().message.find("member") != std::string::npos);
  CHECK(denied.error().message.find("members:invite") != std::string::npos);
  // Not a member: the organization is invisible, as everywhere (no existence leak).
  REQUIRE_ERROR(f.kit->authorize(Fixture::user("x"), org.id, "members:invite"),
                ErrorCode::not_found);
  REQUIRE_ERROR(f.kit->authorize(owner, org.id, "nope:nope"), ErrorCode::invalid_argument);
}

TEST_CASE("a custom policy drives every decision", "[P2][P3][check]") {
  // 001's reading of P3: admins edit settings, members only view.
  auto policy = PolicyBuilder()
                    .permissions({"org:update", "members:read", "members:add", "executions:review",
                                  "org:delete", "ownership:transfer", "audit:read"})
                    .role({"owner", 100,
                           {"org:update", "members:read", "members:add", "executions:review",
                            "org:delete", "ownership:transfer", "audit:read"},
                           true, true})
                    .role({"admin", 50, {"org:update", "members:read", "members:add"}})
                    .role({"member", 10, {"members:read", "executions:review"}})
                    .build();
  REQUIRE_OK(policy);
  ServiceOptions options;
  options.policy = *policy;
  Fixture f(options);
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  CHECK(may(f, member, org.id, "executions:review"));
  CHECK_FALSE(may(f, member, org.id, "org:update"));
  REQUIRE_ERROR(f.kit->check(member, org.id, "resources:read"), ErrorCode::invalid_argument);
  REQUIRE_ERROR(f.kit->add_member(owner, org.id, {UserId("v"), "v@example.com", "", "viewer"}),
                ErrorCode::not_found);
}

TEST_CASE("checks by name with a resource owner, and for API keys", "[P7][P9][check]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto mo = Fixture::user("mo");
  auto org = f.org(owner);
  f.add(owner, org.id, mo, "member");
  CHECK(*f.kit->check(mo, org.id, "resources:manage_own", mo.id));
  CHECK_FALSE(*f.kit->check(mo, org.id, "resources:manage_own", owner.id));
  REQUIRE_ERROR(f.kit->check(mo, org.id, "resources:manage_mine", mo.id),
                ErrorCode::invalid_argument);

  NewApiKey spec;
  spec.name = "ci";
  spec.role = "member";
  auto key = f.kit->create_api_key(owner, org.id, spec);
  REQUIRE_OK(key);
  auto verified = f.kit->verify_api_key(key->secret);
  REQUIRE_OK(verified);
  CHECK(*f.kit->check(*verified, "resources:create"));
  CHECK_FALSE(*f.kit->check(*verified, "members:invite"));
  REQUIRE_ERROR(f.kit->check(*verified, "resources:craete"), ErrorCode::invalid_argument);
}

TEST_CASE("a policy without a permission an operation needs says so", "[P2]") {
  auto policy = PolicyBuilder()
                    .permissions({"docs:read", "org:update"})
                    .role({"owner", 100, {"docs:read", "org:update"}, true, true})
                    .build();
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  Fixture f(o);
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto r = f.kit->list_members(owner, org.id);
  REQUIRE_ERROR(r, ErrorCode::permission_denied);
  CHECK(r.error().message.find("does not declare 'members:read'") != std::string::npos);
}
