// Conformance: API keys (insert, find by prefix and by id, list, revoke, touch). Checklist in
// conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

ApiKeyId add_key(Storage& storage, const TenantId& tenant, OrgId org, const std::string& prefix,
                 const std::string& role = "member") {
  auto tx = begin_write(storage, tenant, {org});
  auto id =
      REQUIRE_VALUE(tx->insert_api_key(tenant, key_spec(org, prefix, role), "hash-" + prefix));
  commit(tx);
  return id;
}

std::vector<std::int64_t> ids_of(const std::vector<ApiKey>& keys) {
  std::vector<std::int64_t> out;
  for (const auto& k : keys) out.push_back(k.id.value());
  return out;
}

}  // namespace

TEST_CASE("insert_api_key: a new id; find_api_key reads every field back",
          "[api_keys][insert_api_key][find_api_key]") {
  auto s = seeded();
  auto spec = key_spec(s.acme, "pfx-a", "admin");
  spec.id = ApiKeyId(4242);  // ignored
  spec.expires_at = at_ms(t0 + 60'000);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id = REQUIRE_VALUE(tx->insert_api_key(tenant_a(), spec, "secret"));
  const auto other =
      REQUIRE_VALUE(tx->insert_api_key(tenant_a(), key_spec(s.acme, "pfx-b", "member"), "s2"));
  commit(tx);
  CHECK(id.valid());
  CHECK(id != other);
  auto rtx = begin_read(*s.storage);
  auto got = REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, id));
  CHECK(got.id == id);
  CHECK(got.org == s.acme);
  CHECK(got.name == "key pfx-a");
  CHECK(got.role == "admin");
  CHECK(got.prefix == "pfx-a");
  CHECK(got.created_by == UserId("alice"));
  CHECK(to_unix_ms(got.created_at) == t0);
  CHECK(got.expires_at == std::optional<Timestamp>(at_ms(t0 + 60'000)));
  CHECK_FALSE(got.revoked_at.has_value());
  CHECK_FALSE(got.last_used_at.has_value());
  // A key that never expires keeps expires_at empty.
  CHECK_FALSE(REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, other)).expires_at.has_value());
}

TEST_CASE("insert_api_key: a taken prefix is already_exists (prefix), in any organization",
          "[api_keys][insert_api_key]") {
  auto s = seeded();
  const auto first = add_key(*s.storage, tenant_a(), s.acme, "dup");
  // find_api_key_by_prefix has no tenant: a prefix is unique across the whole store.
  for (auto [tenant, org] : {std::pair{tenant_a(), s.acme}, std::pair{tenant_a(), s.globex},
                             std::pair{tenant_b(), s.initech}}) {
    auto tx = begin_write(*s.storage, tenant, {org});
    auto twin = tx->insert_api_key(tenant, key_spec(org, "dup", "admin"), "other");
    REQUIRE_ERROR(twin, ErrorCode::already_exists);
    CHECK(twin.error().field == "prefix");
    CHECK(message_has_no_sql(twin.error()));
  }
  auto rtx = begin_read(*s.storage);
  auto stored = REQUIRE_SOME(rtx->find_api_key_by_prefix("dup"));
  CHECK(stored.key.id == first);
  CHECK(stored.key.role == "member");
}

TEST_CASE("find_api_key_by_prefix: the key with its tenant and raw secret hash",
          "[api_keys][find_api_key_by_prefix]") {
  auto s = seeded();
  const std::string hash("s\0\xfe\x7f", 4);  // raw bytes survive the round trip
  auto tx = begin_write(*s.storage, tenant_b(), {s.initech});
  const auto id =
      REQUIRE_VALUE(tx->insert_api_key(tenant_b(), key_spec(s.initech, "pfx-b", "admin"), hash));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto stored = REQUIRE_SOME(rtx->find_api_key_by_prefix("pfx-b"));
  CHECK(stored.key.id == id);
  CHECK(stored.key.org == s.initech);
  CHECK(stored.key.role == "admin");
  CHECK(stored.tenant == tenant_b());
  CHECK(stored.secret_hash == hash);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key_by_prefix("pfx-")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key_by_prefix("unknown")).has_value());
}

TEST_CASE("find_api_key: nullopt for an unknown id and for another organization's",
          "[api_keys][find_api_key]") {
  auto s = seeded();
  const auto id = add_key(*s.storage, tenant_a(), s.acme, "pfx");
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->find_api_key(tenant_a(), s.acme, id)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key(tenant_a(), s.acme, ApiKeyId(987654))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key(tenant_a(), s.globex, id)).has_value());
}

TEST_CASE("find_api_key: nullopt when named with another tenant",
          "[api_keys][find_api_key][tenant]") {
  auto s = seeded();
  const auto id = add_key(*s.storage, tenant_a(), s.acme, "pfx");
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_api_key(tenant_b(), s.acme, id)).has_value());
}

TEST_CASE("list_api_keys: every key of the organization, revoked ones too, newest first",
          "[api_keys][list_api_keys]") {
  auto s = seeded();
  const auto k1 = add_key(*s.storage, tenant_a(), s.acme, "k1");
  const auto g1 = add_key(*s.storage, tenant_a(), s.globex, "g1");
  const auto k2 = add_key(*s.storage, tenant_a(), s.acme, "k2");
  const auto k3 = add_key(*s.storage, tenant_a(), s.acme, "k3");
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(REQUIRE_VALUE(tx->revoke_api_key(s.acme, k2, at_ms(t0 + 5))));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto acme = REQUIRE_VALUE(rtx->list_api_keys(s.acme));
  CHECK(ids_of(acme) == std::vector<std::int64_t>{k3.value(), k2.value(), k1.value()});
  REQUIRE(acme.size() == 3);
  CHECK(acme[1].revoked_at == std::optional<Timestamp>(at_ms(t0 + 5)));
  CHECK(acme[0].prefix == "k3");
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_api_keys(s.globex))) ==
        std::vector<std::int64_t>{g1.value()});
  CHECK(REQUIRE_VALUE(rtx->list_api_keys(s.initech)).empty());
}

TEST_CASE("revoke_api_key: true and revoked_at the first time, false after; only that key",
          "[api_keys][revoke_api_key]") {
  auto s = seeded();
  const auto key = add_key(*s.storage, tenant_a(), s.acme, "k1");
  const auto other = add_key(*s.storage, tenant_a(), s.acme, "k2");
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  CHECK(REQUIRE_VALUE(tx->revoke_api_key(s.acme, key, at_ms(t0 + 10))));
  CHECK_FALSE(REQUIRE_VALUE(tx->revoke_api_key(s.acme, key, at_ms(t0 + 20))));
  // Named with another organization the key is not found: nothing is revoked. storage.hpp
  // does not say how a missing key reports, so false and not_found both pass.
  auto foreign = tx->revoke_api_key(s.globex, other, at_ms(t0 + 30));
  CHECK((foreign ? !*foreign : foreign.error().code == ErrorCode::not_found));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, key)).revoked_at ==
        std::optional<Timestamp>(at_ms(t0 + 10)));  // the first revocation stands
  CHECK_FALSE(REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, other)).revoked_at.has_value());
}

TEST_CASE("touch_api_key: records the last use of that key only", "[api_keys][touch_api_key]") {
  auto s = seeded();
  const auto key = add_key(*s.storage, tenant_a(), s.acme, "k1");
  const auto other = add_key(*s.storage, tenant_a(), s.acme, "k2");
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  REQUIRE_OK(tx->touch_api_key(s.acme, key, at_ms(t0 + 10)));
  REQUIRE_OK(tx->touch_api_key(s.acme, key, at_ms(t0 + 20)));
  // Named with another organization nothing is touched (ok or not_found: not specified).
  auto foreign = tx->touch_api_key(s.globex, other, at_ms(t0 + 30));
  CHECK((foreign || foreign.error().code == ErrorCode::not_found));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto touched = REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, key));
  CHECK(touched.last_used_at == std::optional<Timestamp>(at_ms(t0 + 20)));
  CHECK_FALSE(touched.revoked_at.has_value());
  CHECK_FALSE(REQUIRE_SOME(rtx->find_api_key(tenant_a(), s.acme, other)).last_used_at.has_value());
}
