// One error code per kind of unknown name (issue 8): every operation that takes a role, plan
// or permission name answers a name that does not exist the same way, so a host maps each
// kind to one response. Roles and plans are things an organization may or may not have:
// not_found, with the field naming the argument. A permission name is part of the policy's
// vocabulary, fixed at build time: invalid_argument (P2: never a silent "no").
#include "support/test_support.hpp"

#include <functional>

using namespace orgkit;
using test::Fixture;

namespace {

struct Case {
  std::string what;
  std::function<Result<void>()> call;
  std::string field;
};

template <class T>
Result<void> drop(Result<T> r) {
  if (!r) return fail(std::move(r).error());
  return {};
}

void require_all(const std::vector<Case>& cases, ErrorCode code) {
  for (const auto& c : cases) {
    INFO(c.what);
    auto r = c.call();
    REQUIRE_ERROR(r, code);
    CHECK(r.error().field == c.field);
    CHECK(r.error().message.find("nosuch") != std::string::npos);  // it names the name
  }
}

ServiceOptions with_plans() {
  ServiceOptions o;
  o.plans.plans = {{"free", true, std::nullopt}, {"pro", true, std::nullopt}};
  o.plans.default_plan = "free";
  return o;
}

}  // namespace

TEST_CASE("an unknown role is not_found, in every operation that takes one",
          "[issue8][P6][P4]") {
  Fixture f(with_plans());
  const Actor owner = Fixture::user("owner");
  const Actor bob = Fixture::user("bob");
  const OrgId org = f.org(owner).id;
  f.add(owner, org, bob, "member");
  CustomRole lead;
  lead.name = "lead";
  lead.rank = 30;
  lead.permissions = {"members:read"};
  REQUIRE_OK(f.kit->create_role(owner, org, lead));
  Service& kit = *f.kit;

  std::vector<Case> cases = {
      {"add_member", [&] { return drop(kit.add_member(owner, org, {UserId("x"), "x@example.com", "", "nosuch"})); }, "role"},
      {"change_member_role", [&] { return drop(kit.change_member_role(owner, org, bob.id, "nosuch")); }, "role"},
      {"invite", [&] {
         InviteRequest r;
         r.email = "new@example.com";
         r.role = "nosuch";
         return drop(kit.invite(owner, org, r));
       }, "role"},
      {"create_invite_link", [&] { return drop(kit.create_invite_link(owner, org, "nosuch", LinkExpiry::one_day)); }, "role"},
      {"create_api_key", [&] { return drop(kit.create_api_key(owner, org, {"ci", "nosuch", std::nullopt})); }, "role"},
      {"transfer_ownership", [&] { return drop(kit.transfer_ownership(owner, org, bob.id, "nosuch")); }, "previous_owner_role"},
      {"list_members", [&] {
         MemberQuery q;
         q.role = "nosuch";
         return drop(kit.list_members(owner, org, q));
       }, "role"},
      {"update_role", [&] { return drop(kit.update_role(owner, org, "nosuch", {})); }, "role"},
      {"delete_role", [&] { return drop(kit.delete_role(owner, org, "nosuch")); }, "role"},
      {"delete_role reassign_to", [&] { return drop(kit.delete_role(owner, org, "lead", std::string("nosuch"))); }, "reassign_to"},
  };
  require_all(cases, ErrorCode::not_found);

  // The per-row answers of bulk and CSV operations say the same.
  auto bulk = kit.change_member_roles(owner, org, {{bob.id, "nosuch"}});
  REQUIRE_OK(bulk);
  REQUIRE(bulk->rows[0].error);
  CHECK(bulk->rows[0].error->code == ErrorCode::not_found);
  CHECK(bulk->rows[0].error->field == "role");
  auto csv = kit.import_invitations_csv(owner, org, "email,role\nnew@example.com,nosuch\n");
  REQUIRE_OK(csv);
  REQUIRE(csv->rows[0].error);
  CHECK(csv->rows[0].error->code == ErrorCode::not_found);
  CHECK(csv->rows[0].error->field == "role");
  // Nothing was changed by any of them.
  CHECK(kit.get_membership(owner, org, bob.id)->role == "member");
}

TEST_CASE("an unknown plan is not_found, in every operation that takes one", "[issue8][I7]") {
  Fixture f(with_plans());
  const Actor owner = Fixture::user("owner");
  const OrgId org = f.org(owner).id;
  NewOrganization spec;
  spec.name = "Other";
  spec.plan = "nosuch";
  require_all({{"create_organization", [&] { return drop(f.kit->create_organization(owner, spec)); }, "plan"},
               {"set_plan", [&] { return drop(f.kit->set_plan(owner, org, "nosuch")); }, "plan"}},
              ErrorCode::not_found);
}

TEST_CASE("an unknown permission is invalid_argument, in every operation that takes one",
          "[issue8][P2]") {
  Fixture f;
  const Actor owner = Fixture::user("owner");
  const OrgId org = f.org(owner).id;
  Service& kit = *f.kit;
  CustomRole bad;
  bad.name = "bad";
  bad.rank = 30;
  bad.permissions = {"members:read", "nosuch:perm"};
  CustomRole lead = bad;
  lead.name = "lead";
  lead.permissions = {"members:read"};
  REQUIRE_OK(kit.create_role(owner, org, lead));
  CustomRoleUpdate update;
  update.permissions = std::vector<std::string>{"nosuch:perm"};
  auto key = kit.create_api_key(owner, org, {"ci", "member", std::nullopt});
  REQUIRE_OK(key);
  auto verified = kit.verify_api_key(key->secret);
  REQUIRE_OK(verified);
  auto changed = kit.create_api_key(owner, org, {"ci2", "member", std::nullopt});
  REQUIRE_OK(changed);

  require_all(
      {{"check", [&] { return drop(kit.check(owner, org, "nosuch:perm")); }, "permission"},
       {"check with an owner", [&] { return drop(kit.check(owner, org, "nosuch:perm", owner.id)); }, "permission"},
       {"check with a token", [&] { return drop(kit.check(owner, org, "nosuch:perm", changed->commit_token)); }, "permission"},
       {"check of a key", [&] { return drop(kit.check(*verified, "nosuch:perm")); }, "permission"},
       {"authorize", [&] { return kit.authorize(owner, org, "nosuch:perm"); }, "permission"},
       {"PermissionPolicy::permission", [&] { return drop(kit.policy().permission("nosuch:perm")); }, "permission"}},
      ErrorCode::invalid_argument);
  // Custom role definitions name the offending entry.
  auto created = kit.create_role(owner, org, bad);
  REQUIRE_ERROR(created, ErrorCode::invalid_argument);
  CHECK(created.error().field.rfind("permissions", 0) == 0);
  auto updated = kit.update_role(owner, org, "lead", update);
  REQUIRE_ERROR(updated, ErrorCode::invalid_argument);
  CHECK(updated.error().field.rfind("permissions", 0) == 0);
}
