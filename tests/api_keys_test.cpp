// API keys per organization (P9): secret shown once and stored as a hash, list, revoke,
// verify in constant time with distinct errors; never above the creator's role (PITFALLS
// 4, 11); confined to their organization.
#include "support/test_support.hpp"

#include <fstream>
#include <iterator>

using namespace orgkit;
using test::Fixture;

namespace {

struct Keys : test::Team {
  static NewApiKey key(const std::string& name, const std::string& role) {
    NewApiKey k;
    k.name = name;
    k.role = role;
    return k;
  }
};

}  // namespace

TEST_CASE("create, verify and list API keys", "[P9]") {
  Keys t;
  auto issued = t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("CI pipeline", "member"));
  REQUIRE_OK(issued);
  CHECK(issued->secret.rfind("okk_" + issued->key.prefix + "_", 0) == 0);
  CHECK(issued->key.role == "member");

  t.f.clock->advance(std::chrono::minutes(5));
  auto verified = t.f.kit->verify_api_key(issued->secret);
  REQUIRE_OK(verified);
  CHECK(verified->key.org == t.org.id);
  CHECK(verified->key.role == "member");
  CHECK(verified->tenant == t.org.tenant);
  CHECK(verified->allows("resources:create"));
  CHECK_FALSE(verified->allows("members:invite"));  // the key's role, not its creator's

  auto listed = t.f.kit->list_api_keys(t.owner, t.org.id);
  REQUIRE_OK(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().last_used_at == std::optional<Timestamp>(t.f.clock->now()));
  CHECK(listed->front().name == "CI pipeline");
  CHECK(t.f.actions(t.owner, t.org.id).front() == "api_key.created");

  if (t.f.file) {  // the secret part is nowhere in the database
    std::ifstream in(t.f.file->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream wal(t.f.file->path() + "-wal", std::ios::binary);
    bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
    const std::string secret_part = issued->secret.substr(4 + 16 + 1);
    CHECK(bytes.find(secret_part.substr(0, 20)) == std::string::npos);
  }
}

TEST_CASE("key permissions: never above the creator, never owner", "[P9][P4]") {
  Keys t;
  REQUIRE_ERROR(t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("x", "owner")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->create_api_key(t.owner, t.org.id, Keys::key("x", "owner")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->create_api_key(t.member, t.org.id, Keys::key("x", "viewer")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->list_api_keys(t.member, t.org.id), ErrorCode::permission_denied);
  auto owner_key = t.f.kit->create_api_key(t.owner, t.org.id, Keys::key("deploy", "admin"));
  REQUIRE_OK(owner_key);
  REQUIRE_OK(t.f.kit->revoke_api_key(t.admin, t.org.id, owner_key->key.id));  // admin ≥ admin
}

TEST_CASE("revoked, expired, unknown and malformed keys fail distinctly", "[P9]") {
  Keys t;
  auto revoked = t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("old", "viewer"));
  NewApiKey short_lived = Keys::key("temp", "viewer");
  short_lived.expires_in = std::chrono::hours(1);
  auto expiring = t.f.kit->create_api_key(t.admin, t.org.id, short_lived);
  REQUIRE_OK(revoked);
  REQUIRE_OK(expiring);
  REQUIRE_OK(t.f.kit->revoke_api_key(t.admin, t.org.id, revoked->key.id));
  REQUIRE_ERROR(t.f.kit->revoke_api_key(t.admin, t.org.id, revoked->key.id), ErrorCode::revoked);
  t.f.clock->advance(std::chrono::hours(1));

  REQUIRE_ERROR(t.f.kit->verify_api_key(revoked->secret), ErrorCode::revoked);
  REQUIRE_ERROR(t.f.kit->verify_api_key(expiring->secret), ErrorCode::expired);
  std::string wrong_secret = expiring->secret;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  REQUIRE_ERROR(t.f.kit->verify_api_key(wrong_secret), ErrorCode::not_found);
  std::string unknown_prefix = expiring->secret;
  unknown_prefix[4] = unknown_prefix[4] == 'a' ? 'b' : 'a';
  REQUIRE_ERROR(t.f.kit->verify_api_key(unknown_prefix), ErrorCode::not_found);
  REQUIRE_ERROR(t.f.kit->verify_api_key("okk_short"), ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->verify_api_key(""), ErrorCode::invalid_argument);

  REQUIRE_ERROR(t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("", "viewer")),
                ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("x", "emperor")),
                ErrorCode::not_found);
  NewApiKey bad_expiry = Keys::key("x", "viewer");
  bad_expiry.expires_in = std::chrono::seconds(1);
  REQUIRE_ERROR(t.f.kit->create_api_key(t.admin, t.org.id, bad_expiry), ErrorCode::invalid_argument);
  REQUIRE_ERROR(t.f.kit->revoke_api_key(t.admin, t.org.id, ApiKeyId(999)), ErrorCode::not_found);
}

TEST_CASE("keys are confined to their organization and go with it", "[P9][O5]") {
  Keys t;
  auto other = t.f.org(t.owner, "Other");
  auto key = t.f.kit->create_api_key(t.owner, t.org.id, Keys::key("k", "member"));
  REQUIRE_OK(key);
  REQUIRE_ERROR(t.f.kit->revoke_api_key(t.owner, other.id, key->key.id), ErrorCode::not_found);
  auto keys_of_other = t.f.kit->list_api_keys(t.owner, other.id);
  REQUIRE_OK(keys_of_other);
  CHECK(keys_of_other->empty());
  REQUIRE_OK(t.f.kit->delete_organization(t.owner, t.org.id));
  REQUIRE_ERROR(t.f.kit->verify_api_key(key->secret), ErrorCode::not_found);
}

TEST_CASE("verifying records the last use at most once a minute", "[P9]") {
  Keys t;
  auto issued = t.f.kit->create_api_key(t.admin, t.org.id, Keys::key("ci", "member"));
  REQUIRE_OK(issued);
  const Timestamp first = t.f.clock->now();
  REQUIRE_OK(t.f.kit->verify_api_key(issued->secret));
  t.f.clock->advance(std::chrono::seconds(30));
  REQUIRE_OK(t.f.kit->verify_api_key(issued->secret));
  auto listed = t.f.kit->list_api_keys(t.owner, t.org.id);
  REQUIRE_OK(listed);
  CHECK(listed->front().last_used_at == std::optional<Timestamp>(first));
  t.f.clock->advance(std::chrono::seconds(31));
  REQUIRE_OK(t.f.kit->verify_api_key(issued->secret));
  listed = t.f.kit->list_api_keys(t.owner, t.org.id);
  REQUIRE_OK(listed);
  CHECK(listed->front().last_used_at == std::optional<Timestamp>(t.f.clock->now()));
}

TEST_CASE("api_keys:read lets members see keys without managing them", "[P9]") {
  auto b = test::standard_builder([](RoleSpec& spec) {
    if (spec.name == "member" || spec.name == "owner") spec.permissions.emplace_back("api_keys:read");
    return true;
  });
  b.permission("api_keys:read");
  auto policy = b.build();
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  Fixture f(o);
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto viewer = Fixture::user("viewer");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  f.add(owner, org.id, viewer, "viewer");
  NewApiKey spec;
  spec.name = "ci";
  spec.role = "viewer";
  REQUIRE_OK(f.kit->create_api_key(owner, org.id, spec));
  auto seen = f.kit->list_api_keys(member, org.id);
  REQUIRE_OK(seen);
  CHECK(seen->size() == 1);
  REQUIRE_ERROR(f.kit->create_api_key(member, org.id, spec), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->list_api_keys(viewer, org.id), ErrorCode::permission_denied);
}
