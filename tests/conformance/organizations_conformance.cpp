// Conformance: organizations (insert, find, slug_taken, update, delete, organizations_of,
// personal_organization_of). Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

// Every stored field of an organization, compared one by one so a failure names the field.
void check_same_org(const Organization& got, const Organization& want) {
  CHECK(got.tenant == want.tenant);
  CHECK(got.name == want.name);
  CHECK(got.slug == want.slug);
  CHECK(got.description == want.description);
  CHECK(got.legal_name == want.legal_name);
  CHECK(got.alerting_email == want.alerting_email);
  CHECK(got.invoicing_email == want.invoicing_email);
  CHECK(got.plan == want.plan);
  CHECK(got.metadata == want.metadata);
  CHECK(got.personal == want.personal);
  CHECK(got.created_by == want.created_by);
  CHECK(to_unix_ms(got.created_at) == to_unix_ms(want.created_at));
}

}  // namespace

TEST_CASE("insert_organization: returns a new id; find_organization reads every field back",
          "[organizations][insert_organization][find_organization]") {
  auto storage = make_backend();
  auto spec = org_spec("acme");
  spec.id = OrgId(777);  // ignored: the store generates ids
  auto tx = begin_write(*storage, tenant_a());
  const OrgId first = REQUIRE_VALUE(tx->insert_organization(spec));
  const OrgId second = REQUIRE_VALUE(tx->insert_organization(org_spec("globex")));
  CHECK(first.valid());
  CHECK(second.valid());
  CHECK(first != second);
  // Read inside the writing transaction, then from a new one after commit.
  auto inside = REQUIRE_VALUE(tx->find_organization(tenant_a(), first));
  REQUIRE(inside.has_value());
  CHECK(inside->id == first);
  commit(tx);

  auto rtx = begin_read(*storage);
  auto found = REQUIRE_VALUE(rtx->find_organization(tenant_a(), first));
  REQUIRE(found.has_value());
  CHECK(found->id == first);
  check_same_org(*found, spec);
  auto personal = org_spec("solo");
  personal.personal = true;
  personal.metadata.clear();
  rtx.reset();
  tx = begin_write(*storage, tenant_a());
  const OrgId solo = REQUIRE_VALUE(tx->insert_organization(personal));
  commit(tx);
  rtx = begin_read(*storage);
  auto solo_found = REQUIRE_VALUE(rtx->find_organization(tenant_a(), solo));
  REQUIRE(solo_found.has_value());
  check_same_org(*solo_found, personal);
}

TEST_CASE("insert_organization: a taken slug is already_exists (slug) in its tenant only",
          "[organizations][insert_organization][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a());
  auto twin = tx->insert_organization(org_spec("acme"));
  REQUIRE_ERROR(twin, ErrorCode::already_exists);
  CHECK(twin.error().field == "slug");
  CHECK(message_has_no_sql(twin.error()));
  tx.reset();  // a failed unique key may abort a server database's transaction: drop it
  // "acme" exists in tenant-b as well (seeded): the same slug in a third tenant is free.
  tx = begin_write(*s.storage, TenantId("tenant-c"));
  REQUIRE_VALUE(tx->insert_organization(org_spec("acme", TenantId("tenant-c"))));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto acme = REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme));
  REQUIRE(acme.has_value());
  CHECK(acme->name == "Org acme");
}

TEST_CASE("find_organization: an unknown id is nullopt", "[organizations][find_organization]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_organization(tenant_a(), OrgId(987654))).has_value());
}

TEST_CASE("find_organization: another tenant's id is nullopt",
          "[organizations][find_organization][tenant]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_organization(tenant_b(), s.acme)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.initech)).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_organization(tenant_b(), s.initech)).has_value());
}

TEST_CASE("slug_taken: true only for a slug of an organization of that tenant",
          "[organizations][slug_taken][tenant]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "acme")));
  CHECK(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "globex")));
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "initech")));
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_b(), "globex")));
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(TenantId("tenant-c"), "acme")));
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "acm")));
}

TEST_CASE("update_organization: overwrites the mutable fields, keeps the others",
          "[organizations][update_organization]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  Organization next = REQUIRE_SOME(tx->find_organization(tenant_a(), s.acme));
  next.name = "Acme Two";
  next.description = "";
  // storage.hpp lists "name, description, emails, plan, metadata"; the Service also writes
  // legal_name through this method (service_organizations.cpp), so it is checked too.
  next.legal_name = "Acme Two Ltd";
  next.alerting_email = "ops@acme.example";
  next.invoicing_email = "";
  next.plan = "enterprise";
  next.metadata = {{"region", "us"}, {"new", "x"}};  // replaces: "tier" goes away
  Organization expected = next;
  // Fields that are not mutable: whatever the caller passes, the stored ones stay.
  next.slug = "hijacked";
  next.created_by = UserId("mallory");
  next.created_at = at_ms(1);
  next.personal = true;
  REQUIRE_OK(tx->update_organization(next));
  commit(tx);

  auto rtx = begin_read(*s.storage);
  auto got = REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme));
  REQUIRE(got.has_value());
  check_same_org(*got, expected);
  CHECK(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "acme")));
  auto globex = REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.globex));
  REQUIRE(globex.has_value());
  check_same_org(*globex, org_spec("globex"));
}

TEST_CASE("update_organization: a missing id or another tenant's is not_found, changes nothing",
          "[organizations][update_organization][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_b(), {s.acme});
  auto missing = org_spec("nope", tenant_a());
  missing.id = OrgId(987654);
  REQUIRE_ERROR(tx->update_organization(missing), ErrorCode::not_found);
  auto foreign = org_spec("acme", tenant_b());
  foreign.id = s.acme;  // tenant-a's organization, named with tenant-b
  foreign.name = "Taken over";
  REQUIRE_ERROR(tx->update_organization(foreign), ErrorCode::not_found);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto acme = REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme));
  REQUIRE(acme.has_value());
  check_same_org(*acme, org_spec("acme"));
}

TEST_CASE("delete_organization: removes everything of the organization, keeps its audit",
          "[organizations][delete_organization][list_audit_events]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto inv = REQUIRE_VALUE(
      tx->insert_invitation(tenant_a(), invitation_spec(s.acme, "erin@example.com", "member"),
                            "erin@example.com", "hash-erin"));
  REQUIRE_OK(tx->insert_custom_role(s.acme, role_spec("billing", {"billing.read"})));
  const auto key = REQUIRE_VALUE(
      tx->insert_api_key(tenant_a(), key_spec(s.acme, "pfx1", "member"), "secret-hash"));
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("bob"), s.acme));
  REQUIRE_VALUE(tx->append_audit_event(event_spec(tenant_a(), s.acme, "member.added")));
  commit(tx);

  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->delete_organization(tenant_a(), s.acme));
  // The Service audits the deletion after deleting, in the same transaction.
  REQUIRE_VALUE(tx->append_audit_event(event_spec(tenant_a(), s.acme, "organization.deleted")));
  commit(tx);

  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "acme")));
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("bob"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 0);
  CHECK(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "", 100)).empty());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation(tenant_a(), s.acme, inv)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation_by_token("hash-erin")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.acme, "billing")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key(tenant_a(), s.acme, key)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key_by_prefix("pfx1")).has_value());
  CHECK(REQUIRE_VALUE(rtx->list_api_keys(s.acme)).empty());
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("bob"))).has_value());
  auto alice_orgs = REQUIRE_VALUE(rtx->organizations_of(tenant_a(), UserId("alice")));
  REQUIRE(alice_orgs.size() == 1);
  CHECK(alice_orgs[0].organization.id == s.globex);
  // Audit events are kept (both, whatever their order: that is list_audit_events' case).
  auto events = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 10));
  REQUIRE(events.size() == 2);
  CHECK(events[0].action != events[1].action);
  // Other organizations keep their rows.
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.globex, std::nullopt)) == 2);
  CHECK(REQUIRE_VALUE(rtx->find_organization(tenant_b(), s.initech)).has_value());
}

TEST_CASE("delete_organization: a missing id or another tenant's is not_found, deletes nothing",
          "[organizations][delete_organization][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_b(), {s.acme});
  REQUIRE_ERROR(tx->delete_organization(tenant_b(), s.acme), ErrorCode::not_found);
  REQUIRE_ERROR(tx->delete_organization(tenant_b(), OrgId(987654)), ErrorCode::not_found);
  commit(tx);
  tx = begin_write(*s.storage, tenant_a(), {s.globex});
  REQUIRE_OK(tx->delete_organization(tenant_a(), s.globex));
  REQUIRE_ERROR(tx->delete_organization(tenant_a(), s.globex), ErrorCode::not_found);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme)).has_value());
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 3);
}

TEST_CASE("delete_organization: rolled back, it deletes nothing",
          "[organizations][delete_organization][transactions]") {
  auto s = seeded();
  {
    auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
    REQUIRE_OK(tx->delete_organization(tenant_a(), s.acme));
  }  // destroyed without commit
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->find_organization(tenant_a(), s.acme)).has_value());
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 3);
}

TEST_CASE("organizations_of: the user's organizations of the tenant, in creation order, with role",
          "[organizations][organizations_of][tenant]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  auto mine = REQUIRE_VALUE(rtx->organizations_of(tenant_a(), UserId("alice")));
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].organization.id == s.acme);
  CHECK(mine[0].role == "owner");
  CHECK(mine[1].organization.id == s.globex);
  CHECK(mine[1].role == "member");
  for (const auto& mo : mine) {
    CHECK_FALSE(mo.active);  // the Service fills it in
    CHECK(mo.organization.tenant == tenant_a());
  }
  check_same_org(mine[0].organization, org_spec("acme"));
  // The same user id in tenant-b has only tenant-b's organization.
  auto other = REQUIRE_VALUE(rtx->organizations_of(tenant_b(), UserId("alice")));
  REQUIRE(other.size() == 1);
  CHECK(other[0].organization.id == s.initech);
  CHECK(other[0].role == "owner");
  auto carol = REQUIRE_VALUE(rtx->organizations_of(tenant_a(), UserId("carol")));
  REQUIRE(carol.size() == 1);
  CHECK(carol[0].organization.id == s.acme);
}

TEST_CASE("organizations_of: empty for a user who is no member, or only in another tenant",
          "[organizations][organizations_of][tenant]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->organizations_of(tenant_a(), UserId("nobody"))).empty());
  CHECK(REQUIRE_VALUE(rtx->organizations_of(tenant_b(), UserId("bob"))).empty());
}

TEST_CASE("personal_organization_of: the personal organization the user created in the tenant",
          "[organizations][personal_organization_of][tenant]") {
  auto s = seeded();
  auto personal = org_spec("erin-personal");
  personal.personal = true;
  personal.created_by = UserId("erin");
  auto tx = begin_write(*s.storage, tenant_a());
  const OrgId erin = REQUIRE_VALUE(tx->insert_organization(personal));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(erin, "erin", "owner")));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->personal_organization_of(tenant_a(), UserId("erin"))) ==
        std::optional<OrgId>(erin));
  // alice created acme and globex, neither personal; erin has none in tenant-b.
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->personal_organization_of(tenant_a(), UserId("alice"))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->personal_organization_of(tenant_b(), UserId("erin"))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->personal_organization_of(tenant_a(), UserId("bob"))).has_value());
}

TEST_CASE("count_organizations_created_by: the user's non-personal organizations in the tenant",
          "[organizations][count_organizations_created_by][tenant]") {
  auto s = seeded();
  const UserId creator = org_spec("x").created_by;  // who seeded() created acme and globex as
  {
    auto rtx = begin_read(*s.storage);
    CHECK(REQUIRE_VALUE(rtx->count_organizations_created_by(tenant_a(), creator)) == 2);
    CHECK(REQUIRE_VALUE(rtx->count_organizations_created_by(tenant_b(), creator)) == 1);
    CHECK(REQUIRE_VALUE(rtx->count_organizations_created_by(tenant_a(), UserId("nobody"))) == 0);
  }
  auto personal = org_spec("creator-personal");
  personal.personal = true;
  auto tx = begin_write(*s.storage, tenant_a(), {s.globex});
  REQUIRE_VALUE(tx->insert_organization(personal));  // personal: not counted
  REQUIRE_OK(tx->delete_organization(tenant_a(), s.globex));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_organizations_created_by(tenant_a(), creator)) == 1);
}
