// Security regressions (issue 8): each case failed on 0.3's main.
#include "support/test_support.hpp"

#include <regex>

using namespace orgkit;

namespace {

CustomRole role(const std::string& name, int rank, std::vector<std::string> perms) {
  CustomRole r;
  r.name = name;
  r.rank = rank;
  r.permissions = std::move(perms);
  return r;
}

}  // namespace

TEST_CASE("owner-reserved permissions: no custom role holds them, no key carries them", "[R2][P6][P9]") {
  test::Team t;
  const auto& reserved = t.f.kit->policy().owner_reserved();
  CHECK(reserved.count() == 3);  // standard: org:delete, billing:manage, ownership:transfer
  for (const char* p : {"ownership:transfer", "org:delete", "billing:manage"}) {
    INFO(p);
    CHECK(reserved.test(t.f.kit->policy().permission(p)->index));
    auto made = t.f.kit->create_role(t.owner, t.org.id, role("deputy", 60, {"members:read", p}));
    REQUIRE_ERROR(made, ErrorCode::permission_denied);
    CHECK(made.error().field == "permissions[1]");
  }
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, role("deputy", 60, {"members:read"})));
  auto widened = t.f.kit->update_role(t.owner, t.org.id, "deputy",
                                      CustomRoleUpdate{std::nullopt, std::vector<std::string>{"org:delete"}});
  REQUIRE_ERROR(widened, ErrorCode::permission_denied);

  SECTION("a role stored with them before this rule grants none of them, and check agrees") {
    {
      auto tx = t.f.storage->begin_write(WriteScope{t.owner.tenant, {t.org.id}});
      REQUIRE_OK(tx);
      REQUIRE_OK((*tx)->insert_custom_role(
          t.org.id, role("regent", 60, {"ownership:transfer", "org:delete", "billing:manage",
                                        "members:read"})));
      REQUIRE_OK((*tx)->commit());
    }
    const Actor regent = test::Fixture::user("regent");
    t.f.add(t.owner, t.org.id, regent, "regent");
    for (const char* p : {"ownership:transfer", "org:delete", "billing:manage"}) {
      INFO(p);
      auto may = t.f.kit->check(regent, t.org.id, p);
      REQUIRE_OK(may);
      CHECK_FALSE(*may);
    }
    auto reads = t.f.kit->check(regent, t.org.id, "members:read");
    REQUIRE_OK(reads);
    CHECK(*reads);
    REQUIRE_ERROR(t.f.kit->delete_organization(regent, t.org.id), ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->transfer_ownership(regent, t.org.id, t.member.id),
                  ErrorCode::permission_denied);
    // A key with that role carries none of them either.
    auto key = t.f.kit->create_api_key(t.owner, t.org.id, NewApiKey{"ops", "regent", std::nullopt});
    REQUIRE_OK(key);
    auto verified = t.f.kit->verify_api_key(key->secret);
    REQUIRE_OK(verified);
    CHECK(verified->permissions == std::vector<std::string>{"members:read"});
    CHECK_FALSE(verified->allows("org:delete"));
  }
}

TEST_CASE("policy files: only the owner role manages owners", "[R2][P4][P5]") {
  const std::string file = R"({
    "name": "sneaky",
    "permissions": ["members:read", "members:update_role"],
    "roles": [
      {"name": "owner", "rank": 100, "owner": true, "manages_peers": true, "permissions": ["*"]},
      {"name": "steward", "rank": 100, "manages_peers": true, "permissions": ["members:read", "members:update_role"]}
    ]
  })";
  auto refused = PermissionPolicy::from_json(file);
  REQUIRE_ERROR(refused, ErrorCode::invalid_argument);
  CHECK(refused.error().field == "/roles/1/manages_peers");
  // The same role without manages_peers is harmless (it manages lower ranks only).
  std::string harmless = file;
  harmless.replace(harmless.rfind("\"manages_peers\": true, "), 23, "");
  REQUIRE_OK(PermissionPolicy::from_json(harmless));
}

TEST_CASE("an invitation lapses when its sender may no longer grant its role", "[R3][I2][I5]") {
  test::Team t;
  const Actor invitee = test::Fixture::user("newcomer");
  InviteRequest as_admin;
  as_admin.email = invitee.email;
  as_admin.role = "admin";

  SECTION("the sender was demoted: revoked, with the reason, and nobody joins") {
    auto inv = t.f.kit->invite(t.admin, t.org.id, as_admin);
    REQUIRE_OK(inv);
    REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.admin.id, "viewer"));
    auto accepted = t.f.kit->accept_invitation(invitee, inv->token);
    REQUIRE_ERROR(accepted, ErrorCode::revoked);
    CHECK(accepted.error().field == "token");
    CHECK(accepted.error().message.find("may no longer invite to the role 'admin'") !=
          std::string::npos);
    REQUIRE_ERROR(t.f.kit->get_membership(invitee, t.org.id, invitee.id), ErrorCode::not_found);
    // The revocation is committed: the history shows it, and the token stays dead.
    InvitationQuery q;
    auto list = t.f.kit->list_invitations(t.owner, t.org.id, q);
    REQUIRE_OK(list);
    REQUIRE_FALSE(list->items.empty());
    CHECK(list->items[0].state == InvitationState::revoked);
    CHECK(t.f.actions(t.owner, t.org.id)[0] == "invitation.revoked");
    REQUIRE_ERROR(t.f.kit->accept_invitation(invitee, inv->token), ErrorCode::revoked);
  }
  SECTION("the sender of a link was removed") {
    auto link = t.f.kit->create_invite_link(t.admin, t.org.id, "member", LinkExpiry::one_day);
    REQUIRE_OK(link);
    REQUIRE_OK(t.f.kit->remove_member(t.owner, t.org.id, t.admin.id));
    auto accepted = t.f.kit->accept_invitation(invitee, link->token);
    REQUIRE_ERROR(accepted, ErrorCode::revoked);
    CHECK(accepted.error().message.find("no longer a member") != std::string::npos);
  }
  SECTION("a sender who keeps the authority: the invitation works") {
    InviteRequest as_member = as_admin;
    as_member.role = "member";
    auto inv = t.f.kit->invite(t.admin, t.org.id, as_member);
    REQUIRE_OK(inv);
    // Demoted from owner to admin would not matter: admins still invite members.
    REQUIRE_OK(t.f.kit->accept_invitation(invitee, inv->token));
  }
  SECTION("a tenant administrator's invitation keeps its authority") {
    auto inv = t.f.kit->invite(Actor::tenant_admin(t.owner.tenant, "ops-1"), t.org.id, as_admin);
    REQUIRE_OK(inv);
    CHECK(inv->invitation.invited_by_kind == PrincipalKind::tenant_admin);
    auto accepted = t.f.kit->accept_invitation(invitee, inv->token);
    REQUIRE_OK(accepted);
    CHECK(accepted->membership.role == "admin");
  }
}

TEST_CASE("slug squatting blocks nobody: a few candidates, then a random suffix", "[R4][O1][O2]") {
  test::Fixture f;
  const Actor squatter = test::Fixture::user("squatter");
  for (const char* slug : {"john", "john-2", "john-3", "john-4", "john-5", "john-6", "john-7"}) {
    NewOrganization spec;
    spec.name = "Squat";
    spec.slug = slug;
    REQUIRE_OK(f.kit->create_organization(squatter, spec));
  }
  const std::regex random_suffix("john-[0-9a-f]{8}");
  Actor john{UserId("u-john"), "john@example.com", "John"};
  auto personal = f.kit->ensure_personal_organization(john);
  REQUIRE_OK(personal);
  CHECK(std::regex_match(personal->slug, random_suffix));
  NewOrganization spec;
  spec.name = "John";
  auto another = f.kit->create_organization(Actor{UserId("u-john2"), "j2@example.com", "J"}, spec);
  REQUIRE_OK(another);
  CHECK(std::regex_match(another->slug, random_suffix));
  CHECK(another->slug != personal->slug);
}

TEST_CASE("a user creates at most max_organizations_per_user organizations", "[R4][O1]") {
  ServiceOptions options;
  options.max_organizations_per_user = 2;
  test::Fixture f(std::move(options));
  const Actor alice = test::Fixture::user("alice");
  const Organization first = f.org(alice, "One");
  f.org(alice, "Two");
  NewOrganization third;
  third.name = "Three";
  auto refused = f.kit->create_organization(alice, third);
  REQUIRE_ERROR(refused, ErrorCode::limit_exceeded);
  CHECK(refused.error().field == "max_organizations_per_user");
  // The personal organization is always possible, and others are not limited by Alice.
  REQUIRE_OK(f.kit->ensure_personal_organization(alice));
  f.org(test::Fixture::user("bob"), "Three");
  // Provisioning is not limited, and deleting one frees a slot.
  NewOrganization provisioned;
  provisioned.name = "For Alice";
  provisioned.owner = NewOwner{alice.id, alice.email, "Alice"};
  REQUIRE_OK(f.kit->create_organization(Actor::host(), provisioned));
  REQUIRE_OK(f.kit->delete_organization(alice, first.id));
  REQUIRE_OK(f.kit->create_organization(alice, third));

  ServiceOptions bad;
  bad.max_organizations_per_user = 0;
  auto invalid = Service::validate_options(bad);
  REQUIRE_ERROR(invalid, ErrorCode::invalid_argument);
  CHECK(invalid.error().field == "max_organizations_per_user");
}

TEST_CASE("verify_api_key never waits for a writer", "[P9][E3][sqlite]") {
  // The store waits for a writer far longer than any test may run: if verifying waited for
  // the lock to record the key's use, this test would hang until ctest's timeout kills it.
  test::TempFile file("orgkit-verify");
  SqliteOptions so;
  so.path = file.path();
  so.busy_timeout_ms = 1'000'000;
  auto clock = std::make_shared<ManualClock>(from_unix_ms(1'700'000'000'000));
  ServiceOptions options;
  options.clock = clock;
  auto kit = Service::open_sqlite(so, std::move(options));
  REQUIRE_OK(kit);
  const Actor owner = test::Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*kit)->create_organization(owner, spec);
  REQUIRE_OK(org);
  auto key = (*kit)->create_api_key(owner, org->id, NewApiKey{"ci", "member", std::nullopt});
  REQUIRE_OK(key);

  auto other = open_sqlite(so);  // another connection, as another process would have
  REQUIRE_OK(other);
  auto held = (*other)->begin_write(WriteScope{owner.tenant, {}});
  REQUIRE_OK(held);
  auto verified = (*kit)->verify_api_key(key->secret);
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->key.last_used_at.has_value());  // skipped, not waited for
  held->reset();  // the writer lets go

  clock->advance(std::chrono::minutes(2));
  auto again = (*kit)->verify_api_key(key->secret);
  REQUIRE_OK(again);
  CHECK(again->key.last_used_at == std::optional<Timestamp>(clock->now()));
  auto keys = (*kit)->list_api_keys(owner, org->id);
  REQUIRE_OK(keys);
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().last_used_at == std::optional<Timestamp>(clock->now()));
}
