// The permission policy as data: the standard matrix (P1, P3), deny by default and unknown
// names failing at build time (P2), and the rank rule's decisions (P4).
#include "support/test_support.hpp"

using namespace orgkit;

namespace {

bool role_holds(const PermissionPolicy& p, std::string_view role, std::string_view perm) {
  const RoleDefinition* r = p.find_role(role);
  REQUIRE(r != nullptr);
  auto permission = p.permission(perm);
  REQUIRE(permission.has_value());
  return PermissionPolicy::holds(*r, *permission);
}

}  // namespace

TEST_CASE("standard policy has the four built-in roles, owner first", "[P1]") {
  const auto& p = PermissionPolicy::standard();
  REQUIRE(p.roles().size() == 4);
  CHECK(p.roles()[0].name == "owner");
  CHECK(p.roles()[1].name == "admin");
  CHECK(p.roles()[2].name == "member");
  CHECK(p.roles()[3].name == "viewer");
  CHECK(p.owner_role().name == "owner");
  CHECK(p.find_role("superuser") == nullptr);
}

TEST_CASE("standard matrix: owner everything, admin no billing or transfer", "[P3]") {
  const auto& p = PermissionPolicy::standard();
  for (const auto& name : p.permission_names()) {
    INFO(name);
    CHECK(role_holds(p, "owner", name));
  }
  CHECK(role_holds(p, "admin", "members:invite"));
  CHECK(role_holds(p, "admin", "members:remove"));
  CHECK(role_holds(p, "admin", "members:update_role"));
  CHECK(role_holds(p, "admin", "resources:manage_all"));
  CHECK(role_holds(p, "admin", "org:update"));
  CHECK_FALSE(role_holds(p, "admin", "billing:manage"));
  CHECK_FALSE(role_holds(p, "admin", "ownership:transfer"));
  CHECK_FALSE(role_holds(p, "admin", "org:delete"));
}

TEST_CASE("standard matrix: member manages own resources, viewer only reads", "[P3]") {
  const auto& p = PermissionPolicy::standard();
  CHECK(role_holds(p, "member", "resources:create"));
  CHECK(role_holds(p, "member", "resources:manage_own"));
  CHECK(role_holds(p, "member", "resources:read"));
  CHECK_FALSE(role_holds(p, "member", "resources:manage_all"));
  CHECK_FALSE(role_holds(p, "member", "members:invite"));
  CHECK_FALSE(role_holds(p, "member", "org:update"));
  CHECK(role_holds(p, "viewer", "resources:read"));
  CHECK(role_holds(p, "viewer", "members:read"));
  CHECK_FALSE(role_holds(p, "viewer", "resources:create"));
  CHECK_FALSE(role_holds(p, "viewer", "resources:manage_own"));
}

TEST_CASE("unknown permission names are errors, never a silent no", "[P2]") {
  const auto& p = PermissionPolicy::standard();
  REQUIRE_ERROR(p.permission("members:invitee"), ErrorCode::invalid_argument);
  CHECK(p.permission("members:invitee").error().field == "permission");

  SECTION("a role listing an undeclared permission fails the build, naming where") {
    auto built = PolicyBuilder()
                     .permissions({"docs:read", "docs:write"})
                     .role({"owner", 100, {"docs:read", "docs:write"}, true, true})
                     .role({"reader", 10, {"docs:raed"}})
                     .build();
    REQUIRE_ERROR(built, ErrorCode::invalid_argument);
    CHECK(built.error().field == "roles[1].permissions[0]");
    CHECK(built.error().message.find("docs:raed") != std::string::npos);
  }
  SECTION("a valid custom policy builds and denies by default") {
    auto built = PolicyBuilder()
                     .permissions({"docs:read", "docs:write"})
                     .role({"owner", 100, {"docs:read", "docs:write"}, true, true})
                     .role({"reader", 10, {"docs:read"}})
                     .build();
    REQUIRE_OK(built);
    CHECK(role_holds(*built, "reader", "docs:read"));
    CHECK_FALSE(role_holds(*built, "reader", "docs:write"));
  }
}

TEST_CASE("policy builder rejects malformed policies", "[P2]") {
  SECTION("no owner role") {
    auto b = PolicyBuilder().permission("a:b").role({"boss", 10, {"a:b"}}).build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
    CHECK(b.error().field == "roles");
  }
  SECTION("two owner roles") {
    auto b = PolicyBuilder()
                 .permission("a:b")
                 .role({"one", 10, {}, true})
                 .role({"two", 10, {}, true})
                 .build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
  }
  SECTION("duplicate permission") {
    auto b = PolicyBuilder().permissions({"a:b", "a:b"}).role({"o", 1, {}, true}).build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
    CHECK(b.error().field == "permissions[1]");
  }
  SECTION("bad permission name") {
    auto b = PolicyBuilder().permission("Has Space").role({"o", 1, {}, true}).build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
    CHECK(b.error().field == "permissions[0]");
  }
  SECTION("duplicate and malformed role names") {
    auto dup = PolicyBuilder().permission("a:b").role({"o", 1, {}, true}).role({"o", 0, {}}).build();
    REQUIRE_ERROR(dup, ErrorCode::invalid_argument);
    CHECK(dup.error().field == "roles[1].name");
    auto bad = PolicyBuilder().permission("a:b").role({"Owner!", 1, {}, true}).build();
    REQUIRE_ERROR(bad, ErrorCode::invalid_argument);
    CHECK(bad.error().field == "roles[0].name");
  }
  SECTION("a role outranking the owner") {
    auto b = PolicyBuilder().permission("a:b").role({"o", 10, {}, true}).role({"god", 11, {}}).build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
  }
  SECTION("ownership rule naming unknown permissions") {
    auto b = PolicyBuilder().permission("a:own").role({"o", 1, {}, true}).ownership_rule("a:own", "a:all").build();
    REQUIRE_ERROR(b, ErrorCode::invalid_argument);
    CHECK(b.error().field == "ownership_rules[0].all");
  }
}

TEST_CASE("rank rule decisions", "[P4]") {
  const auto& p = PermissionPolicy::standard();
  const auto& owner = *p.find_role("owner");
  const auto& admin = *p.find_role("admin");
  const auto& member = *p.find_role("member");
  const auto& viewer = *p.find_role("viewer");
  // Nobody grants above their own rank.
  CHECK(PermissionPolicy::may_grant(owner, owner));
  CHECK(PermissionPolicy::may_grant(admin, admin));
  CHECK(PermissionPolicy::may_grant(admin, member));
  CHECK_FALSE(PermissionPolicy::may_grant(admin, owner));
  CHECK_FALSE(PermissionPolicy::may_grant(member, admin));
  // Admins manage only lower ranks; owners manage everyone, owners included.
  CHECK(PermissionPolicy::may_manage(admin, member));
  CHECK(PermissionPolicy::may_manage(admin, viewer));
  CHECK_FALSE(PermissionPolicy::may_manage(admin, admin));
  CHECK_FALSE(PermissionPolicy::may_manage(admin, owner));
  CHECK(PermissionPolicy::may_manage(owner, owner));
  CHECK(PermissionPolicy::may_manage(owner, admin));
}

TEST_CASE("PolicyBuilder::from starts a variant from an existing policy", "[P3][P5]") {
  const auto& standard = PermissionPolicy::standard();
  // Unchanged, it builds the same policy back.
  auto same = PolicyBuilder::from(standard).build();
  REQUIRE_OK(same);
  CHECK(same->to_json() == standard.to_json());
  // A variant: one more permission, given to members.
  auto b = PolicyBuilder::from(standard);
  b.name("standard-plus").permission("reports:export");
  for (auto& role : b.roles()) {
    if (role.name == "member") role.permissions.push_back("reports:export");
  }
  auto plus = b.build();
  REQUIRE_OK(plus);
  CHECK(plus->name() == "standard-plus");
  const auto exported = plus->permission("reports:export");
  REQUIRE_OK(exported);
  CHECK(PermissionPolicy::holds(*plus->find_role("member"), *exported));
  CHECK_FALSE(PermissionPolicy::holds(*plus->find_role("viewer"), *exported));
  CHECK(plus->owner_role().name == "owner");
  CHECK(plus->ownership_rule_for(*plus->permission("resources:manage_own")) != nullptr);
  // A policy loaded from a file carries its member rules over too.
  auto file = PermissionPolicy::load(std::string(ORGKIT_POLICY_DIR) + "/002_mindee_accounts.json");
  REQUIRE_OK(file);
  auto again = PolicyBuilder::from(*file).build();
  REQUIRE_OK(again);
  CHECK(again->to_json() == file->to_json());
  // Bad edits are still refused by build().
  auto broken = PolicyBuilder::from(standard);
  broken.roles().front().permissions.push_back("no:such");
  REQUIRE_ERROR(broken.build(), ErrorCode::invalid_argument);
}
