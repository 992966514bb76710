// Organizations: O1-O9, each with an allowed, a denied and a bad-input case.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {
NewOrganization named(const std::string& name, const std::string& slug = "") {
  NewOrganization spec;
  spec.name = name;
  spec.slug = slug;
  return spec;
}
}  // namespace

TEST_CASE("create an organization: creator is owner, slug derived", "[O1]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  NewOrganization spec = named("  Acme Corp ");
  spec.description = "Widgets";
  spec.legal_name = "Acme Corporation Ltd";
  spec.alerting_email = "alerts@acme.test";
  spec.invoicing_email = "billing@acme.test";
  spec.metadata = {{"crm.id", "42"}};
  auto org = f.kit->create_organization(alice, spec);
  REQUIRE_OK(org);
  CHECK(org->id.valid());
  CHECK(org->name == "Acme Corp");
  CHECK(org->slug == "acme-corp");
  CHECK(org->created_by == alice.id);
  CHECK(org->created_at == f.clock->now());

  auto stored = f.kit->get_organization(alice, org->id);
  REQUIRE_OK(stored);
  CHECK(stored->legal_name == "Acme Corporation Ltd");
  CHECK(stored->alerting_email == "alerts@acme.test");
  CHECK(stored->invoicing_email == "billing@acme.test");
  CHECK(stored->metadata.at("crm.id") == "42");
  CHECK_FALSE(stored->personal);

  auto me = f.kit->get_membership(alice, org->id, alice.id);
  REQUIRE_OK(me);
  CHECK(me->role == "owner");
  CHECK(me->email == "alice@example.com");
}

TEST_CASE("derived slugs get a numeric suffix on collision, explicit ones are refused", "[O1]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  auto a = f.kit->create_organization(alice, named("Acme"));
  auto b = f.kit->create_organization(alice, named("ACME!"));
  auto c = f.kit->create_organization(alice, named("acme"));
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  REQUIRE_OK(c);
  CHECK(a->slug == "acme");
  CHECK(b->slug == "acme-2");
  CHECK(c->slug == "acme-3");

  auto taken = f.kit->create_organization(alice, named("Other", "acme"));
  REQUIRE_ERROR(taken, ErrorCode::already_exists);
  CHECK(taken.error().field == "slug");
  auto custom = f.kit->create_organization(alice, named("Other", "other-co"));
  REQUIRE_OK(custom);
  CHECK(custom->slug == "other-co");
}

TEST_CASE("bad organization input is refused and writes nothing", "[O1][E2]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  struct Case {
    NewOrganization spec;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({named(""), "name"});
  cases.push_back({named("   "), "name"});
  cases.push_back({named(std::string(101, 'n')), "name"});
  for (const char* slug : {"Acme", "ac me", "-acme", "acme-", "ac--me", "a"}) {
    cases.push_back({named("Acme", slug), "slug"});
  }
  cases.push_back({named("Acme", std::string(49, 'a')), "slug"});
  {
    auto s = named("Acme");
    s.alerting_email = "not-an-email";
    cases.push_back({s, "alerting_email"});
  }
  {
    auto s = named("Acme");
    s.invoicing_email = "a@b";
    cases.push_back({s, "invoicing_email"});
  }
  {
    auto s = named("Acme");
    s.metadata = {{"bad key", "v"}};
    cases.push_back({s, "metadata"});
  }
  for (const auto& c : cases) {
    INFO("name='" << c.spec.name << "' slug='" << c.spec.slug << "'");
    auto r = f.kit->create_organization(alice, c.spec);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field.rfind(c.field, 0) == 0);  // "metadata.bad key" names the key too
  }
  Actor no_email = alice;
  no_email.email = "alice";
  REQUIRE_ERROR(f.kit->create_organization(no_email, named("Acme")), ErrorCode::invalid_argument);
  Actor no_id = alice;
  no_id.id = UserId("");
  auto bad_actor = f.kit->create_organization(no_id, named("Acme"));
  REQUIRE_ERROR(bad_actor, ErrorCode::invalid_argument);
  CHECK(bad_actor.error().field == "actor.id");

  auto mine = f.kit->my_organizations(alice);
  REQUIRE_OK(mine);
  CHECK(mine->empty());
}

TEST_CASE("personal organization: created once, exactly one member", "[O2]") {
  Fixture f;
  Actor alice = Fixture::user("alice");
  alice.display_name = "Alice Liddell";
  auto personal = f.kit->ensure_personal_organization(alice);
  REQUIRE_OK(personal);
  CHECK(personal->personal);
  CHECK(personal->name == "Alice Liddell");
  CHECK(personal->slug == "alice-liddell");
  auto again = f.kit->ensure_personal_organization(alice);
  REQUIRE_OK(again);
  CHECK(again->id == personal->id);

  SECTION("named after the email when there is no display name") {
    Actor bob = Fixture::user("bob");
    bob.display_name = "";
    auto p = f.kit->ensure_personal_organization(bob);
    REQUIRE_OK(p);
    CHECK(p->name == "bob");
  }
  SECTION("accepts no members") {
    auto added = f.kit->add_member(alice, personal->id,
                                   {UserId("carol"), "carol@example.com", "", "member"});
    REQUIRE_ERROR(added, ErrorCode::conflict);
    auto members = f.kit->list_members(alice, personal->id);
    REQUIRE_OK(members);
    CHECK(members->items.size() == 1);
  }
  SECTION("its only owner cannot leave") {
    REQUIRE_ERROR(f.kit->leave_organization(alice, personal->id), ErrorCode::conflict);
  }
  SECTION("bad input") {
    Actor nameless = Fixture::user("dan");
    nameless.email = "not-an-email";
    REQUIRE_ERROR(f.kit->ensure_personal_organization(nameless), ErrorCode::invalid_argument);
  }
}

TEST_CASE("my organizations lists each with my role", "[O3]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  auto bob = Fixture::user("bob");
  auto a = f.org(alice, "Alpha");
  auto b = f.org(bob, "Beta");
  f.add(bob, b.id, alice, "viewer");
  auto c = f.org(alice, "Gamma");

  auto mine = f.kit->my_organizations(alice);
  REQUIRE_OK(mine);
  REQUIRE(mine->size() == 3);
  CHECK((*mine)[0].organization.id == a.id);
  CHECK((*mine)[0].role == "owner");
  CHECK((*mine)[1].organization.id == b.id);
  CHECK((*mine)[1].role == "viewer");
  CHECK((*mine)[2].organization.id == c.id);

  auto carol = f.kit->my_organizations(Fixture::user("carol"));
  REQUIRE_OK(carol);
  CHECK(carol->empty());
  REQUIRE_ERROR(f.kit->my_organizations(Fixture::user("")), ErrorCode::invalid_argument);
}

TEST_CASE("update details needs org:update", "[O4]") {
  test::Team team;
  auto& [f, owner, admin, member, org] = team;

  OrganizationUpdate u;
  u.name = "Acme Two";
  u.legal_name = "Acme Two Ltd";
  u.alerting_email = "ops@acme.test";
  u.invoicing_email = "ap@acme.test";
  u.description = "New";
  auto updated = f.kit->update_organization(admin, org.id, u);
  REQUIRE_OK(updated);
  CHECK(updated->name == "Acme Two");
  CHECK(updated->slug == org.slug);
  auto stored = f.kit->get_organization(member, org.id);
  REQUIRE_OK(stored);
  CHECK(stored->legal_name == "Acme Two Ltd");
  CHECK(stored->invoicing_email == "ap@acme.test");

  OrganizationUpdate by_member;
  by_member.name = "Hacked";
  auto denied = f.kit->update_organization(member, org.id, by_member);
  REQUIRE_ERROR(denied, ErrorCode::permission_denied);
  CHECK(denied.error().field == "permission");

  OrganizationUpdate bad;
  bad.name = "Fine";
  bad.invoicing_email = "nope";
  auto invalid = f.kit->update_organization(owner, org.id, bad);
  REQUIRE_ERROR(invalid, ErrorCode::invalid_argument);
  CHECK(invalid.error().field == "invoicing_email");

  stored = f.kit->get_organization(owner, org.id);
  REQUIRE_OK(stored);
  CHECK(stored->name == "Acme Two");  // neither the denied nor the invalid update wrote
}

TEST_CASE("delete: owner only, members go, the deletion's audit event stays", "[O5]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  auto org = f.org(owner);
  f.add(owner, org.id, admin, "admin");
  REQUIRE_OK(f.kit->set_active_organization(admin, org.id));

  REQUIRE_ERROR(f.kit->delete_organization(admin, org.id), ErrorCode::permission_denied);
  REQUIRE_OK(f.kit->get_organization(admin, org.id));

  REQUIRE_ERROR(f.kit->delete_organization(owner, OrgId(9999)), ErrorCode::not_found);

  REQUIRE_OK(f.kit->delete_organization(owner, org.id));
  REQUIRE_ERROR(f.kit->get_organization(owner, org.id), ErrorCode::not_found);
  auto admins_orgs = f.kit->my_organizations(admin);
  REQUIRE_OK(admins_orgs);
  CHECK(admins_orgs->empty());
  auto active = f.kit->active_organization(admin);
  REQUIRE_OK(active);
  CHECK_FALSE(active->has_value());

  // The slug is free again, and the new organization gets a new id.
  auto again = f.org(owner, "Acme");
  CHECK(again.slug == org.slug);
  CHECK(again.id != org.id);

  auto tx = f.storage->begin_read();
  REQUIRE_OK(tx);
  auto events = (*tx)->list_audit_events(owner.tenant, org.id, {}, 100);
  REQUIRE_OK(events);
  REQUIRE_FALSE(events->empty());
  CHECK(events->front().action == "organization.deleted");
  CHECK(events->front().actor == owner.id);
}

TEST_CASE("active organization is remembered per user", "[O6]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  auto bob = Fixture::user("bob");
  auto a = f.org(alice, "Alpha");
  auto b = f.org(alice, "Beta");
  auto c = f.org(bob, "Gamma");

  auto none = f.kit->active_organization(alice);
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  REQUIRE_OK(f.kit->set_active_organization(alice, b.id));
  auto active = f.kit->active_organization(alice);
  REQUIRE_OK(active);
  REQUIRE(active->has_value());
  CHECK(**active == b.id);
  auto mine = f.kit->my_organizations(alice);
  REQUIRE_OK(mine);
  REQUIRE(mine->size() == 2);
  CHECK((*mine)[0].organization.id == b.id);
  CHECK((*mine)[0].active);
  CHECK((*mine)[1].organization.id == a.id);
  CHECK_FALSE((*mine)[1].active);

  REQUIRE_ERROR(f.kit->set_active_organization(alice, c.id), ErrorCode::not_found);
  REQUIRE_ERROR(f.kit->set_active_organization(alice, OrgId(424242)), ErrorCode::not_found);
  active = f.kit->active_organization(alice);
  REQUIRE_OK(active);
  CHECK(**active == b.id);  // unchanged by the refused switches
  REQUIRE_ERROR(f.kit->set_active_organization(Fixture::user(""), a.id),
                ErrorCode::invalid_argument);
}

TEST_CASE("leave: any member except the last owner", "[O7]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  REQUIRE_OK(f.kit->set_active_organization(member, org.id));

  REQUIRE_OK(f.kit->leave_organization(member, org.id));
  REQUIRE_ERROR(f.kit->get_organization(member, org.id), ErrorCode::not_found);
  auto active = f.kit->active_organization(member);
  REQUIRE_OK(active);
  CHECK_FALSE(active->has_value());

  auto last = f.kit->leave_organization(owner, org.id);
  REQUIRE_ERROR(last, ErrorCode::conflict);
  CHECK(last.error().message.find("last owner") != std::string::npos);
  REQUIRE_OK(f.kit->get_membership(owner, org.id, owner.id));

  SECTION("an owner may leave while another owner remains") {
    auto second = Fixture::user("second");
    f.add(owner, org.id, second, "owner");
    REQUIRE_OK(f.kit->leave_organization(owner, org.id));
    auto m = f.kit->get_membership(second, org.id, second.id);
    REQUIRE_OK(m);
    CHECK(m->role == "owner");
  }
  SECTION("a non-member cannot leave") {
    REQUIRE_ERROR(f.kit->leave_organization(member, org.id), ErrorCode::not_found);
  }
  SECTION("bad input") {
    REQUIRE_ERROR(f.kit->leave_organization(Fixture::user(""), org.id),
                  ErrorCode::invalid_argument);
  }
}

TEST_CASE("transfer ownership: only an owner can", "[O8]") {
  test::Team team;
  auto& [f, owner, admin, member, org] = team;

  auto by_admin = f.kit->transfer_ownership(admin, org.id, admin.id);
  REQUIRE_ERROR(by_admin, ErrorCode::invalid_argument);  // to oneself
  by_admin = f.kit->transfer_ownership(admin, org.id, member.id);
  REQUIRE_ERROR(by_admin, ErrorCode::permission_denied);

  REQUIRE_ERROR(f.kit->transfer_ownership(owner, org.id, UserId("stranger")),
                ErrorCode::not_found);
  REQUIRE_ERROR(f.kit->transfer_ownership(owner, org.id, UserId("")),
                ErrorCode::invalid_argument);
  REQUIRE_ERROR(f.kit->transfer_ownership(owner, org.id, member.id, "emperor"),
                ErrorCode::not_found);

  REQUIRE_OK(f.kit->transfer_ownership(owner, org.id, member.id));
  CHECK(f.kit->get_membership(owner, org.id, member.id)->role == "owner");
  CHECK(f.kit->get_membership(owner, org.id, owner.id)->role == "admin");
  // The former owner is an admin now and cannot transfer again.
  REQUIRE_ERROR(f.kit->transfer_ownership(owner, org.id, admin.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->transfer_ownership(member, org.id, member.id), ErrorCode::invalid_argument);
}

TEST_CASE("only an owner transfers ownership, whatever a policy says", "[O8][P2]") {
  // A policy that gives admins ownership:transfer is refused when it is built, so check()
  // and transfer_ownership() can never disagree about who may transfer.
  auto b = test::standard_builder([](RoleSpec& spec) {
    if (spec.name == "admin") spec.permissions.emplace_back("ownership:transfer");
    return true;
  });
  auto policy = b.build();
  REQUIRE_ERROR(policy, ErrorCode::invalid_argument);
  CHECK(policy.error().field == "roles[1].permissions");
  CHECK(policy.error().message.find("only the owner role") != std::string::npos);
}

TEST_CASE("tenants: slugs unique per tenant, nothing visible across", "[O9]") {
  Fixture f;
  auto alice_a = Fixture::user("alice", "tenant-a");
  auto alice_b = Fixture::user("alice", "tenant-b");
  auto in_a = f.org(alice_a, "Acme");
  auto in_b = f.org(alice_b, "Acme");
  CHECK(in_a.slug == "acme");
  CHECK(in_b.slug == "acme");  // same slug, other tenant
  CHECK(in_a.tenant == TenantId("tenant-a"));

  // The same host user id in another tenant is another principal.
  REQUIRE_ERROR(f.kit->get_organization(alice_b, in_a.id), ErrorCode::not_found);
  REQUIRE_ERROR(f.kit->add_member(alice_b, in_a.id,
                                  {UserId("eve"), "eve@example.com", "", "admin"}),
                ErrorCode::not_found);
  auto check = f.kit->check(alice_b, in_a.id, "org:update");
  REQUIRE_OK(check);
  CHECK_FALSE(*check);
  auto mine_b = f.kit->my_organizations(alice_b);
  REQUIRE_OK(mine_b);
  REQUIRE(mine_b->size() == 1);
  CHECK(mine_b->front().organization.id == in_b.id);
  REQUIRE_ERROR(f.kit->list_audit_events(alice_b, in_a.id), ErrorCode::not_found);

  REQUIRE_ERROR(f.kit->create_organization(Fixture::user("alice", ""), named("Acme")),
                ErrorCode::invalid_argument);
}

TEST_CASE("transfer_ownership leaves the previous owner the policy's next role", "[O8]") {
  // A policy whose second role is not called "admin".
  auto policy = test::standard_builder([](RoleSpec& r) {
                  if (r.name == "admin") r.name = "lead";
                  return true;
                }).build();
  REQUIRE_OK(policy);
  ServiceOptions options;
  options.policy = *policy;
  Fixture f(std::move(options));
  const Actor owner = Fixture::user("owner");
  const Actor heir = Fixture::user("heir");
  const Organization org = f.org(owner);
  f.add(owner, org.id, heir, "member");
  REQUIRE_OK(f.kit->transfer_ownership(owner, org.id, heir.id));
  CHECK(f.kit->get_membership(heir, org.id, owner.id)->role == "lead");
  CHECK(f.kit->get_membership(heir, org.id, heir.id)->role == "owner");
  // Naming a role still works, and an unknown one is refused.
  REQUIRE_ERROR(f.kit->transfer_ownership(heir, org.id, owner.id, "admin"), ErrorCode::not_found);
  REQUIRE_OK(f.kit->transfer_ownership(heir, org.id, owner.id, "member"));
  CHECK(f.kit->get_membership(owner, org.id, heir.id)->role == "member");
}
