// Custom roles per organization (P6): create, rename, change permissions, delete (refused
// while held, or with reassignment), list; never a permission the creator lacks.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

struct Roles : test::Team {
  static CustomRole role(const std::string& name, int rank, std::vector<std::string> perms) {
    CustomRole r;
    r.name = name;
    r.rank = rank;
    r.permissions = std::move(perms);
    return r;
  }
  bool may(const Actor& a, std::string_view perm) {
    auto r = f.kit->check(a, org.id, perm);
    REQUIRE_OK(r);
    return *r;
  }
};

}  // namespace

TEST_CASE("create a custom role and assign it", "[P6]") {
  Roles t;
  auto lead = t.f.kit->create_role(t.admin, t.org.id,
                                   Roles::role("team-lead", 30, {"members:read", "members:invite",
                                                                 "resources:manage_all"}));
  REQUIRE_OK(lead);
  REQUIRE_OK(t.f.kit->change_member_role(t.admin, t.org.id, t.member.id, "team-lead"));
  CHECK(t.may(t.member, "members:invite"));
  CHECK(t.may(t.member, "resources:manage_all"));
  CHECK_FALSE(t.may(t.member, "members:remove"));
  CHECK_FALSE(t.may(t.member, "resources:create"));

  auto roles = t.f.kit->list_roles(t.member, t.org.id);
  REQUIRE_OK(roles);
  REQUIRE(roles->size() == 5);
  CHECK(roles->back().name == "team-lead");
  CHECK(roles->back().custom);

  SECTION("scoped to its organization only") {
    auto other = t.f.org(t.owner, "Other");
    REQUIRE_ERROR(t.f.kit->add_member(t.owner, other.id,
                                      {UserId("x"), "x@example.com", "", "team-lead"}),
                  ErrorCode::not_found);
  }
  SECTION("a team lead can invite to their own role, not above it (P4)") {
    InviteRequest r;
    r.email = "new@example.com";
    r.role = "team-lead";
    REQUIRE_OK(t.f.kit->invite(t.member, t.org.id, r));
    r.role = "admin";
    REQUIRE_ERROR(t.f.kit->invite(t.member, t.org.id, r), ErrorCode::permission_denied);
  }
}

TEST_CASE("a custom role never holds what its creator lacks", "[P6]") {
  Roles t;
  auto billing = t.f.kit->create_role(t.admin, t.org.id,
                                      Roles::role("treasurer", 20, {"billing:manage"}));
  REQUIRE_ERROR(billing, ErrorCode::permission_denied);
  CHECK(billing.error().field == "permissions[0]");
  REQUIRE_ERROR(t.f.kit->create_role(t.admin, t.org.id, Roles::role("boss", 60, {})),
                ErrorCode::permission_denied);  // ranks above the admin
  REQUIRE_ERROR(t.f.kit->create_role(t.member, t.org.id, Roles::role("x", 1, {})),
                ErrorCode::permission_denied);  // no roles:manage
  // Not even the owner gives a custom role what only the owner role holds (R2).
  REQUIRE_ERROR(t.f.kit->create_role(t.owner, t.org.id,
                                     Roles::role("treasurer", 40, {"billing:manage"})),
                ErrorCode::permission_denied);
  REQUIRE_OK(t.f.kit->create_role(t.admin, t.org.id, Roles::role("helper", 10, {"members:read"})));
  auto raise = t.f.kit->update_role(t.admin, t.org.id, "helper",
                                    CustomRoleUpdate{std::nullopt,
                                                     std::vector<std::string>{"ownership:transfer"}});
  REQUIRE_ERROR(raise, ErrorCode::permission_denied);
}

TEST_CASE("bad custom role input", "[P6][E2]") {
  Roles t;
  auto taken = t.f.kit->create_role(t.owner, t.org.id, Roles::role("admin", 10, {}));
  REQUIRE_ERROR(taken, ErrorCode::already_exists);
  CHECK(taken.error().field == "name");
  REQUIRE_ERROR(t.f.kit->create_role(t.owner, t.org.id, Roles::role("Team Lead", 10, {})),
                ErrorCode::invalid_argument);
  auto unknown = t.f.kit->create_role(t.owner, t.org.id, Roles::role("x", 10, {"docs:fly"}));
  REQUIRE_ERROR(unknown, ErrorCode::invalid_argument);
  CHECK(unknown.error().field == "permissions[0]");
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("x", 10, {})));
  REQUIRE_ERROR(t.f.kit->create_role(t.owner, t.org.id, Roles::role("x", 10, {})),
                ErrorCode::already_exists);
  REQUIRE_ERROR(t.f.kit->update_role(t.owner, t.org.id, "ghost", {}), ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->delete_role(t.owner, t.org.id, "ghost"), ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->delete_role(t.owner, t.org.id, "admin"), ErrorCode::not_found);
}

TEST_CASE("rename and change permissions, holders follow", "[P6]") {
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("editor", 15, {"resources:read"})));
  REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id, "editor"));
  CHECK_FALSE(t.may(t.member, "resources:create"));
  CustomRoleUpdate u;
  u.name = "writer";
  u.permissions = std::vector<std::string>{"resources:read", "resources:create"};
  auto updated = t.f.kit->update_role(t.admin, t.org.id, "editor", u);
  REQUIRE_OK(updated);
  CHECK(updated->name == "writer");
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->role == "writer");
  CHECK(t.may(t.member, "resources:create"));  // no stale answer after the change
  auto actions = t.f.actions(t.owner, t.org.id);
  CHECK(actions.front() == "role.updated");
}

TEST_CASE("delete: refused while held, or with an explicit reassignment", "[P6]") {
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("editor", 15, {"resources:read"})));
  REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id, "editor"));
  auto held = t.f.kit->delete_role(t.admin, t.org.id, "editor");
  REQUIRE_ERROR(held, ErrorCode::conflict);
  CHECK(held.error().message.find("reassign") != std::string::npos);
  REQUIRE_ERROR(t.f.kit->delete_role(t.admin, t.org.id, "editor", std::string("owner")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->delete_role(t.admin, t.org.id, "editor", std::string("ghost")),
                ErrorCode::not_found);
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->role == "editor");
  REQUIRE_OK(t.f.kit->delete_role(t.admin, t.org.id, "editor", std::string("viewer")));
  CHECK(t.f.kit->get_membership(t.owner, t.org.id, t.member.id)->role == "viewer");
  auto roles = t.f.kit->list_roles(t.owner, t.org.id);
  REQUIRE_OK(roles);
  CHECK(roles->size() == 4);
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("unused", 1, {})));
  REQUIRE_ERROR(t.f.kit->delete_role(t.member, t.org.id, "unused"), ErrorCode::permission_denied);
  REQUIRE_OK(t.f.kit->delete_role(t.owner, t.org.id, "unused"));
}

TEST_CASE("a role held only by a live API key cannot be deleted, and a revoked one holds nothing",
          "[P6][P9]") {
  // The key is the role's only holder: a store that forgot keys when counting holders would
  // delete the role from under it (and a later key check would meet an unknown role).
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("robot", 15, {"resources:read"})));
  NewApiKey spec;
  spec.name = "ci";
  spec.role = "robot";
  auto key = t.f.kit->create_api_key(t.owner, t.org.id, spec);
  REQUIRE_OK(key);
  auto held = t.f.kit->delete_role(t.owner, t.org.id, "robot");
  REQUIRE_ERROR(held, ErrorCode::conflict);
  auto verified = t.f.kit->verify_api_key(key->secret);
  REQUIRE_OK(verified);
  CHECK(verified->key.role == "robot");
  // With a reassignment the key moves with the role's other holders.
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("robot2", 15, {"resources:read"})));
  REQUIRE_OK(t.f.kit->delete_role(t.owner, t.org.id, "robot", std::string("robot2")));
  auto moved = t.f.kit->verify_api_key(key->secret);
  REQUIRE_OK(moved);
  CHECK(moved->key.role == "robot2");
  // A revoked key holds nothing: its role may go.
  REQUIRE_OK(t.f.kit->revoke_api_key(t.owner, t.org.id, key->key.id));
  REQUIRE_OK(t.f.kit->delete_role(t.owner, t.org.id, "robot2"));
}

TEST_CASE("deleting an organization deletes its custom roles", "[P6][O5]") {
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("editor", 15, {})));
  REQUIRE_OK(t.f.kit->delete_organization(t.owner, t.org.id));
  auto tx = t.f.storage->begin_read();
  REQUIRE_OK(tx);
  auto roles = (*tx)->list_custom_roles(t.org.id);
  REQUIRE_OK(roles);
  CHECK(roles->empty());
}

TEST_CASE("a custom role's holders cannot grant what the role lacks", "[P6][P4]") {
  Roles t;
  // Same rank as admin, but without members:remove or roles:manage.
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id,
                                  Roles::role("recruiter", 50, {"members:read", "members:add",
                                                                "members:invite",
                                                                "api_keys:manage"})));
  REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id, "recruiter"));
  auto add_admin = t.f.kit->add_member(t.member, t.org.id,
                                       {UserId("sock"), "sock@example.com", "", "admin"});
  REQUIRE_ERROR(add_admin, ErrorCode::permission_denied);
  NewApiKey key;
  key.name = "k";
  key.role = "admin";
  REQUIRE_ERROR(t.f.kit->create_api_key(t.member, t.org.id, key), ErrorCode::permission_denied);
  InviteRequest invite;
  invite.email = "new@example.com";
  invite.role = "member";  // member holds resources:create, which recruiter lacks
  REQUIRE_ERROR(t.f.kit->invite(t.member, t.org.id, invite), ErrorCode::permission_denied);
  invite.role = "recruiter";
  REQUIRE_OK(t.f.kit->invite(t.member, t.org.id, invite));
}

TEST_CASE("changing or deleting a role is managing its holders (P4)", "[P6][P4]") {
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("lead", 50, {"audit:read"})));
  REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id, "lead"));
  CustomRoleUpdate strip;
  strip.permissions = std::vector<std::string>{};
  REQUIRE_ERROR(t.f.kit->update_role(t.admin, t.org.id, "lead", strip),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->delete_role(t.admin, t.org.id, "lead", std::string("viewer")),
                ErrorCode::permission_denied);
  auto check = t.f.kit->check(t.member, t.org.id, "audit:read");
  REQUIRE_OK(check);
  CHECK(*check);
  REQUIRE_OK(t.f.kit->update_role(t.owner, t.org.id, "lead", strip));  // owners manage peers
}

TEST_CASE("pending invitations hold a role: deleting it cannot revive them later", "[P6][I4]") {
  Roles t;
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, Roles::role("helper", 10, {"members:read"})));
  auto link = t.f.kit->create_invite_link(t.admin, t.org.id, "helper", LinkExpiry::one_day);
  REQUIRE_OK(link);
  auto refused = t.f.kit->delete_role(t.owner, t.org.id, "helper");
  REQUIRE_ERROR(refused, ErrorCode::conflict);
  CHECK(refused.error().message.find("invitations") != std::string::npos);
  REQUIRE_OK(t.f.kit->delete_role(t.owner, t.org.id, "helper", std::string("viewer")));
  // Re-creating the name with more power does not upgrade the old link.
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id,
                                  Roles::role("helper", 50, {"members:read", "members:remove"})));
  auto joined = t.f.kit->accept_invitation(Fixture::user("eve"), link->token);
  REQUIRE_OK(joined);
  CHECK(joined->membership.role == "viewer");
}

TEST_CASE("a policy role and a custom role of one name: check and operations agree",
          "[P6][P2][sqlite]") {
  if (test::storage_kind() != "file") return;  // needs the database to outlive the policy
  test::TempFile file("orgkit-collide");
  auto owner = Fixture::user("owner");
  auto bob = Fixture::user("bob");
  OrgId org;
  {
    auto kit = Service::open_sqlite(file.path());
    REQUIRE_OK(kit);
    NewOrganization spec;
    spec.name = "Acme";
    org = (*kit)->create_organization(owner, spec)->id;
    REQUIRE_OK((*kit)->create_role(owner, org, Roles::role("editor", 15, {"resources:read"})));
    REQUIRE_OK((*kit)->add_member(owner, org, {bob.id, bob.email, "", "editor"}));
  }
  // A later policy defines "editor" itself, with more permissions.
  std::string json = PermissionPolicy::standard().to_json();
  json.insert(json.find("\"roles\": [") + 10,
              R"({"name": "editor", "rank": 15, "permissions": ["resources:read", "resources:create"]},)");
  auto policy = PermissionPolicy::from_json(json);
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  auto kit = Service::open_sqlite(file.path(), o);
  REQUIRE_OK(kit);
  auto may = (*kit)->check(bob, org, "resources:create");
  REQUIRE_OK(may);
  CHECK(*may);  // the policy's editor, as every operation sees it
}

TEST_CASE("a custom role ranks below its creator, so the creator can manage it", "[P6][P4]") {
  Roles t;
  auto equal = t.f.kit->create_role(t.admin, t.org.id, Roles::role("co-admin", 50, {}));
  REQUIRE_ERROR(equal, ErrorCode::permission_denied);
  CHECK(equal.error().field == "rank");
  REQUIRE_OK(t.f.kit->create_role(t.admin, t.org.id, Roles::role("senior", 49, {})));
  REQUIRE_OK(t.f.kit->delete_role(t.admin, t.org.id, "senior"));
}
