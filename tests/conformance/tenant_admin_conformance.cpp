// Conformance: tenant administration (added in 0.5): list_organizations in bounded steps with
// its text filter, tenant keys (insert, find by prefix and by id, list, revoke) and the
// tenant's own audit events (organization 0). Checklist in conformance.hpp. A backend that
// filters after the limit, treats the text as a LIKE pattern, scans past max_examined or
// mixes tenants fails one of these.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

OrgId add_org(Storage& storage, const std::string& slug, const std::string& name,
              const TenantId& tenant = tenant_a()) {
  auto spec = org_spec(slug, tenant);
  spec.name = name;
  auto tx = begin_write(storage, tenant);
  const OrgId id = REQUIRE_VALUE(tx->insert_organization(spec));
  commit(tx);
  return id;
}

std::vector<std::int64_t> ids_of(const std::vector<Organization>& orgs) {
  std::vector<std::int64_t> out;
  for (const auto& o : orgs) out.push_back(o.id.value());
  return out;
}

OrganizationScan scan(Storage& storage, const TenantId& tenant, OrganizationFilter filter,
                      int limit) {
  auto rtx = begin_read(storage);
  return REQUIRE_VALUE(rtx->list_organizations(tenant, filter, limit));
}

OrganizationFilter matching(std::string text, NameMatch match = NameMatch::contains) {
  OrganizationFilter f;
  f.text = std::move(text);
  f.match = match;
  return f;
}

TenantKey tenant_key_spec(const TenantId& tenant, const std::string& prefix) {
  TenantKey k;
  k.tenant = tenant;
  k.name = "key " + prefix;
  k.prefix = prefix;
  k.created_by = UserId("host");
  k.created_by_kind = PrincipalKind::host;
  k.created_at = at_ms(t0);
  return k;
}

TenantKeyId add_tenant_key(Storage& storage, const TenantId& tenant, const std::string& prefix) {
  auto tx = begin_write(storage, tenant);
  const auto id =
      REQUIRE_VALUE(tx->insert_tenant_key(tenant_key_spec(tenant, prefix), "hash-" + prefix));
  commit(tx);
  return id;
}

}  // namespace

// --- list_organizations ----------------------------------------------------------------

TEST_CASE("list_organizations: the tenant's organizations by id, with metadata; after, limit",
          "[tenant_admin][list_organizations]") {
  auto s = seeded();
  const OrgId third = add_org(*s.storage, "third", "Third");
  auto all = scan(*s.storage, tenant_a(), {}, 10);
  CHECK(ids_of(all.items) ==
        std::vector<std::int64_t>{s.acme.value(), s.globex.value(), third.value()});
  REQUIRE(all.items.size() == 3);
  CHECK(all.items[0].slug == "acme");
  CHECK(all.items[0].metadata == org_spec("acme").metadata);
  CHECK(all.items[0].tenant == tenant_a());
  CHECK_FALSE(all.resume_after.has_value());  // every one examined: the end

  // The limit stops the step; it resumes after the last organization it examined.
  auto first = scan(*s.storage, tenant_a(), {}, 2);
  CHECK(ids_of(first.items) == std::vector<std::int64_t>{s.acme.value(), s.globex.value()});
  REQUIRE(first.resume_after.has_value());
  CHECK(*first.resume_after == s.globex);
  OrganizationFilter rest;
  rest.after = first.resume_after;
  auto second = scan(*s.storage, tenant_a(), rest, 2);
  CHECK(ids_of(second.items) == std::vector<std::int64_t>{third.value()});
  CHECK_FALSE(second.resume_after.has_value());
}

TEST_CASE("list_organizations: never another tenant's organizations",
          "[tenant_admin][list_organizations][tenant]") {
  auto s = seeded();
  // initech (tenant-b) has slug "acme" too, and an id between tenant-a's.
  add_org(*s.storage, "acme-2", "Acme Two", tenant_b());
  auto b = scan(*s.storage, tenant_b(), matching("acme"), 10);
  REQUIRE(b.items.size() == 2);
  for (const auto& o : b.items) CHECK(o.tenant == tenant_b());
  CHECK(b.items[0].id == s.initech);
  auto a = scan(*s.storage, tenant_a(), matching("acme"), 10);
  CHECK(ids_of(a.items) == std::vector<std::int64_t>{s.acme.value()});
  auto none = scan(*s.storage, TenantId("tenant-c"), {}, 10);
  CHECK(none.items.empty());
  CHECK_FALSE(none.resume_after.has_value());
}

TEST_CASE("list_organizations: the text matches name or slug, ignoring ASCII case, as text",
          "[tenant_admin][list_organizations]") {
  auto storage = make_backend();
  const OrgId pure = add_org(*storage, "pure", "100% Pure");
  const OrgId under = add_org(*storage, "snake", "a_b Snake");
  const OrgId axb = add_org(*storage, "axb", "AxB");
  const OrgId north = add_org(*storage, "nw-traders", "Northwind");
  const OrgId other = add_org(*storage, "zeta", "Beta Pure");

  CHECK(ids_of(scan(*storage, tenant_a(), matching("%"), 10).items) ==
        std::vector<std::int64_t>{pure.value()});
  CHECK(ids_of(scan(*storage, tenant_a(), matching("a_b"), 10).items) ==
        std::vector<std::int64_t>{under.value()});  // not "AxB": _ is no wildcard
  CHECK(ids_of(scan(*storage, tenant_a(), matching("axb"), 10).items) ==
        std::vector<std::int64_t>{axb.value()});  // the name "AxB", case ignored
  CHECK(ids_of(scan(*storage, tenant_a(), matching("traders"), 10).items) ==
        std::vector<std::int64_t>{north.value()});  // by slug only
  CHECK(ids_of(scan(*storage, tenant_a(), matching("pure"), 10).items) ==
        std::vector<std::int64_t>{pure.value(), other.value()});
  // Prefix: the name or the slug starts with the text.
  CHECK(ids_of(scan(*storage, tenant_a(), matching("pure", NameMatch::prefix), 10).items) ==
        std::vector<std::int64_t>{pure.value()});  // slug "pure"; "Beta Pure" only contains it
  CHECK(ids_of(scan(*storage, tenant_a(), matching("nw-", NameMatch::prefix), 10).items) ==
        std::vector<std::int64_t>{north.value()});
  CHECK(scan(*storage, tenant_a(), matching("", NameMatch::prefix), 10).items.size() == 5);
  CHECK(scan(*storage, tenant_a(), matching("nothing like it"), 10).items.empty());
}

TEST_CASE("list_organizations: filters before the limit, and examines at most max_examined",
          "[tenant_admin][list_organizations]") {
  auto storage = make_backend();
  const OrgId x1 = add_org(*storage, "x-one", "Match one");
  const OrgId n2 = add_org(*storage, "n-two", "Other two");
  add_org(*storage, "n-three", "Other three");
  const OrgId x4 = add_org(*storage, "x-four", "Match four");
  add_org(*storage, "n-five", "Other five");

  // No bound reached: the matches only, filtered before the limit.
  auto both = scan(*storage, tenant_a(), matching("match"), 2);
  CHECK(ids_of(both.items) == std::vector<std::int64_t>{x1.value(), x4.value()});

  // Two examined per step: each step stops at its window, matches or not.
  auto f = matching("match");
  f.max_examined = 2;
  auto step1 = scan(*storage, tenant_a(), f, 10);
  CHECK(ids_of(step1.items) == std::vector<std::int64_t>{x1.value()});
  REQUIRE(step1.resume_after.has_value());
  CHECK(*step1.resume_after == n2);
  f.after = step1.resume_after;
  auto step2 = scan(*storage, tenant_a(), f, 10);
  CHECK(ids_of(step2.items) == std::vector<std::int64_t>{x4.value()});
  REQUIRE(step2.resume_after.has_value());
  CHECK(*step2.resume_after == x4);
  f.after = step2.resume_after;
  auto step3 = scan(*storage, tenant_a(), f, 10);
  CHECK(step3.items.empty());
  CHECK_FALSE(step3.resume_after.has_value());  // n-five examined, nothing after it

  // A window with no match at all still reports how far it got.
  auto miss = matching("none");
  miss.max_examined = 3;
  auto empty = scan(*storage, tenant_a(), miss, 10);
  CHECK(empty.items.empty());
  REQUIRE(empty.resume_after.has_value());
  CHECK(empty.resume_after->value() > n2.value());
}

// --- tenant keys ------------------------------------------------------------------------

TEST_CASE("insert_tenant_key: a new id; find_tenant_key reads every field back",
          "[tenant_admin][insert_tenant_key][find_tenant_key]") {
  auto storage = make_backend();
  auto spec = tenant_key_spec(tenant_a(), "pfx-a");
  spec.id = TenantKeyId(4242);  // ignored
  spec.expires_at = at_ms(t0 + 60'000);
  spec.created_by_kind = PrincipalKind::tenant_admin;
  auto tx = begin_write(*storage, tenant_a());
  const auto id = REQUIRE_VALUE(tx->insert_tenant_key(spec, "secret"));
  const auto other = REQUIRE_VALUE(tx->insert_tenant_key(tenant_key_spec(tenant_a(), "pfx-b"), "s"));
  commit(tx);
  CHECK(id.valid());
  CHECK(id != other);
  auto rtx = begin_read(*storage);
  auto got = REQUIRE_SOME(rtx->find_tenant_key(tenant_a(), id));
  CHECK(got.id == id);
  CHECK(got.tenant == tenant_a());
  CHECK(got.name == "key pfx-a");
  CHECK(got.prefix == "pfx-a");
  CHECK(got.created_by == UserId("host"));
  CHECK(got.created_by_kind == PrincipalKind::tenant_admin);
  CHECK(to_unix_ms(got.created_at) == t0);
  CHECK(got.expires_at == std::optional<Timestamp>(at_ms(t0 + 60'000)));
  CHECK_FALSE(got.revoked_at.has_value());
  auto never = REQUIRE_SOME(rtx->find_tenant_key(tenant_a(), other));
  CHECK_FALSE(never.expires_at.has_value());
  CHECK(never.created_by_kind == PrincipalKind::host);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_tenant_key(tenant_a(), TenantKeyId(987654))).has_value());
}

TEST_CASE("insert_tenant_key: a taken prefix is already_exists (prefix), in any tenant",
          "[tenant_admin][insert_tenant_key]") {
  auto storage = make_backend();
  const auto first = add_tenant_key(*storage, tenant_a(), "dup");
  for (const TenantId& tenant : {tenant_a(), tenant_b()}) {
    auto tx = begin_write(*storage, tenant);
    auto twin = tx->insert_tenant_key(tenant_key_spec(tenant, "dup"), "other");
    REQUIRE_ERROR(twin, ErrorCode::already_exists);
    CHECK(twin.error().field == "prefix");
    CHECK(message_has_no_sql(twin.error()));
  }
  auto rtx = begin_read(*storage);
  auto stored = REQUIRE_SOME(rtx->find_tenant_key_by_prefix("dup"));
  CHECK(stored.key.id == first);
  CHECK(stored.key.tenant == tenant_a());
}

TEST_CASE("find_tenant_key_by_prefix: the key with its tenant and raw secret hash",
          "[tenant_admin][find_tenant_key_by_prefix]") {
  auto storage = make_backend();
  const std::string hash("s\0\xfe\x7f", 4);  // raw bytes survive the round trip
  auto tx = begin_write(*storage, tenant_b());
  const auto id = REQUIRE_VALUE(tx->insert_tenant_key(tenant_key_spec(tenant_b(), "pfx-b"), hash));
  commit(tx);
  auto rtx = begin_read(*storage);
  auto stored = REQUIRE_SOME(rtx->find_tenant_key_by_prefix("pfx-b"));
  CHECK(stored.key.id == id);
  CHECK(stored.key.tenant == tenant_b());
  CHECK(stored.secret_hash == hash);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_tenant_key_by_prefix("pfx-")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_tenant_key_by_prefix("unknown")).has_value());
}

TEST_CASE("find_tenant_key, list_tenant_keys, revoke_tenant_key: keyed by tenant",
          "[tenant_admin][find_tenant_key][list_tenant_keys][revoke_tenant_key][tenant]") {
  auto storage = make_backend();
  const auto a1 = add_tenant_key(*storage, tenant_a(), "a1");
  const auto b1 = add_tenant_key(*storage, tenant_b(), "b1");
  auto rtx = begin_read(*storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_tenant_key(tenant_b(), a1)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_tenant_key(tenant_a(), b1)).has_value());
  auto listed = REQUIRE_VALUE(rtx->list_tenant_keys(tenant_a()));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == a1);
  rtx.reset();
  // Revoking with another tenant changes nothing.
  auto tx = begin_write(*storage, tenant_b());
  CHECK_FALSE(REQUIRE_VALUE(tx->revoke_tenant_key(tenant_b(), a1, at_ms(t0 + 5))));
  commit(tx);
  rtx = begin_read(*storage);
  CHECK_FALSE(REQUIRE_SOME(rtx->find_tenant_key(tenant_a(), a1)).revoked_at.has_value());
}

TEST_CASE("list_tenant_keys: every key of the tenant, revoked ones too, newest first",
          "[tenant_admin][list_tenant_keys]") {
  auto storage = make_backend();
  const auto k1 = add_tenant_key(*storage, tenant_a(), "k1");
  add_tenant_key(*storage, tenant_b(), "other");
  const auto k2 = add_tenant_key(*storage, tenant_a(), "k2");
  const auto k3 = add_tenant_key(*storage, tenant_a(), "k3");
  auto tx = begin_write(*storage, tenant_a());
  CHECK(REQUIRE_VALUE(tx->revoke_tenant_key(tenant_a(), k2, at_ms(t0 + 5))));
  commit(tx);
  auto rtx = begin_read(*storage);
  auto keys = REQUIRE_VALUE(rtx->list_tenant_keys(tenant_a()));
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].id == k3);
  CHECK(keys[1].id == k2);
  CHECK(keys[2].id == k1);
  CHECK(keys[1].revoked_at == std::optional<Timestamp>(at_ms(t0 + 5)));
  CHECK(keys[0].prefix == "k3");
  CHECK(REQUIRE_VALUE(rtx->list_tenant_keys(TenantId("tenant-c"))).empty());
}

TEST_CASE("revoke_tenant_key: true and revoked_at the first time, false after; only that key",
          "[tenant_admin][revoke_tenant_key]") {
  auto storage = make_backend();
  const auto key = add_tenant_key(*storage, tenant_a(), "k1");
  const auto other = add_tenant_key(*storage, tenant_a(), "k2");
  auto tx = begin_write(*storage, tenant_a());
  CHECK(REQUIRE_VALUE(tx->revoke_tenant_key(tenant_a(), key, at_ms(t0 + 10))));
  CHECK_FALSE(REQUIRE_VALUE(tx->revoke_tenant_key(tenant_a(), key, at_ms(t0 + 20))));
  CHECK_FALSE(REQUIRE_VALUE(tx->revoke_tenant_key(tenant_a(), TenantKeyId(987654), at_ms(t0))));
  commit(tx);
  auto rtx = begin_read(*storage);
  CHECK(REQUIRE_SOME(rtx->find_tenant_key(tenant_a(), key)).revoked_at ==
        std::optional<Timestamp>(at_ms(t0 + 10)));  // the first revocation stands
  CHECK_FALSE(REQUIRE_SOME(rtx->find_tenant_key(tenant_a(), other)).revoked_at.has_value());
  // A revoked key is still found by its prefix, so that verify can say "revoked".
  CHECK(REQUIRE_SOME(rtx->find_tenant_key_by_prefix("k1")).key.revoked_at.has_value());
}

// --- the tenant's own audit events ------------------------------------------------------

TEST_CASE("append_audit_event: organization 0 is the tenant's own trail, per tenant",
          "[tenant_admin][append_audit_event][list_audit_events][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a());
  const auto a = REQUIRE_VALUE(tx->append_audit_event(event_spec(tenant_a(), OrgId(), "tk.a")));
  commit(tx);
  tx = begin_write(*s.storage, tenant_b());
  REQUIRE_VALUE(tx->append_audit_event(event_spec(tenant_b(), OrgId(), "tk.b")));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto own = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), OrgId(), {}, 10));
  REQUIRE(own.size() == 1);
  CHECK(own[0].id == a);
  CHECK(own[0].action == "tk.a");
  CHECK_FALSE(own[0].org.valid());
  // Not mixed into an organization's trail.
  for (const auto& e : REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 100))) {
    CHECK(e.action != "tk.a");
  }
}
