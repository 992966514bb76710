// Claims (P8): a user's memberships as a typed value and a bounded JSON object, the active
// organization first.
#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

using namespace orgkit;
using test::Fixture;

namespace {
nlohmann::json json_of(const Result<Claims>& claims) {
  REQUIRE_OK(claims);
  return nlohmann::json::parse(claims->to_json());
}
}  // namespace

TEST_CASE("claims list every membership, active first", "[P8]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  auto bob = Fixture::user("bob");
  auto a = f.org(alice, "Alpha");
  auto b = f.org(bob, "Beta");
  f.add(bob, b.id, alice, "viewer");
  REQUIRE_OK(f.kit->set_active_organization(alice, b.id));

  auto typed = f.kit->claims(alice);
  REQUIRE_OK(typed);
  // The typed value, for hosts that read claims without a JSON parser.
  CHECK(typed->version == 1);
  CHECK(typed->subject == alice.id);
  CHECK(typed->tenant == alice.tenant);
  REQUIRE(typed->active_org);
  CHECK(*typed->active_org == b.id);
  CHECK_FALSE(typed->truncated);
  CHECK_FALSE(typed->include_permissions);
  REQUIRE(typed->orgs.size() == 2);
  CHECK(typed->orgs[0].id == b.id);
  CHECK(typed->orgs[0].slug == "beta");
  CHECK(typed->orgs[0].role == "viewer");
  CHECK(typed->orgs[0].permissions.empty());
  CHECK(typed->orgs[1].role == "owner");
  // ... and the documented JSON, byte for byte (the key order is part of the format).
  CHECK(typed->to_json() ==
        "{\"v\":1,\"sub\":\"alice\",\"tenant\":\"default\",\"active_org\":\"" +
            std::to_string(b.id.value()) +
            "\",\"truncated\":false,\"orgs\":[{\"id\":\"" + std::to_string(b.id.value()) +
            "\",\"slug\":\"beta\",\"role\":\"viewer\"},{\"id\":\"" +
            std::to_string(a.id.value()) + "\",\"slug\":\"alpha\",\"role\":\"owner\"}]}");
  auto doc = json_of(typed);
  CHECK(doc["v"] == 1);
  CHECK(doc["sub"] == "alice");
  CHECK(doc["tenant"] == "default");
  CHECK(doc["active_org"] == std::to_string(b.id.value()));
  CHECK(doc["truncated"] == false);
  REQUIRE(doc["orgs"].size() == 2);
  CHECK(doc["orgs"][0]["slug"] == "beta");
  CHECK(doc["orgs"][0]["role"] == "viewer");
  CHECK(doc["orgs"][1]["id"] == std::to_string(a.id.value()));
  CHECK(doc["orgs"][1]["role"] == "owner");
  CHECK_FALSE(doc["orgs"][0].contains("permissions"));

  ClaimsOptions with;
  with.include_permissions = true;
  auto with_perms = f.kit->claims(alice, with);
  REQUIRE_OK(with_perms);
  CHECK(with_perms->include_permissions);
  CHECK(with_perms->orgs[0].permissions == std::vector<std::string>{"members:read", "resources:read"});
  auto detailed = json_of(with_perms);
  const auto& viewer_perms = detailed["orgs"][0]["permissions"];
  CHECK(viewer_perms == nlohmann::json::array({"members:read", "resources:read"}));
  CHECK(detailed["orgs"][1]["permissions"].size() ==
        f.kit->policy().permission_names().size());
}

TEST_CASE("claims are bounded for users in many organizations", "[P8]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  for (int i = 0; i < 12; ++i) f.org(alice, "Org " + std::to_string(i));
  ClaimsOptions few;
  few.max_organizations = 5;
  auto doc = json_of(f.kit->claims(alice, few));
  CHECK(doc["orgs"].size() == 5);
  CHECK(doc["truncated"] == true);
  auto typed = f.kit->claims(alice, few);
  REQUIRE_OK(typed);
  CHECK(typed->orgs.size() == 5);
  CHECK(typed->truncated);
  few.max_organizations = 0;
  REQUIRE_ERROR(f.kit->claims(alice, few), ErrorCode::invalid_argument);
  auto nobody = json_of(f.kit->claims(Fixture::user("nobody")));
  CHECK(nobody["orgs"].empty());
  CHECK(nobody["active_org"].is_null());
  REQUIRE_ERROR(f.kit->claims(Fixture::user("")), ErrorCode::invalid_argument);
}

TEST_CASE("claims carry custom roles and their permissions", "[P8][P6]") {
  Fixture f;
  auto alice = Fixture::user("alice");
  auto bob = Fixture::user("bob");
  auto org = f.org(alice);
  CustomRole lead;
  lead.name = "lead";
  lead.rank = 30;
  lead.permissions = {"members:read", "members:invite"};
  REQUIRE_OK(f.kit->create_role(alice, org.id, lead));
  f.add(alice, org.id, bob, "lead");
  ClaimsOptions with;
  with.include_permissions = true;
  auto doc = json_of(f.kit->claims(bob, with));
  CHECK(doc["orgs"][0]["role"] == "lead");
  CHECK(doc["orgs"][0]["permissions"] ==
        nlohmann::json::array({"members:read", "members:invite"}));
}
