// Policies as files (issue 4): JSON in and out, errors that name the JSON pointer, and a
// fuzz-style sweep of malformed files; member rules (P5).
#include "support/test_support.hpp"

#include <fstream>
#include <filesystem>
#include <random>

using namespace orgkit;
using test::Fixture;

namespace {

const char* minimal = R"({
  "name": "docs",
  "permissions": ["docs:read", "docs:write"],
  "roles": [
    {"name": "owner", "rank": 100, "owner": true, "manages_peers": true, "permissions": ["*"]},
    {"name": "reader", "rank": 10, "permissions": ["docs:read"]}
  ]
})";

std::string field_of(std::string_view json) {
  auto p = PermissionPolicy::from_json(json);
  REQUIRE_FALSE(p.has_value());
  INFO(to_string(p.error()));
  CHECK(p.error().code == ErrorCode::invalid_argument);
  return p.error().field;
}

}  // namespace

TEST_CASE("a policy file loads and round-trips", "[P2][policy]") {
  auto p = PermissionPolicy::from_json(minimal);
  REQUIRE_OK(p);
  CHECK(p->name() == "docs");
  CHECK(p->roles().size() == 2);
  CHECK(PermissionPolicy::holds(*p->find_role("owner"), *p->permission("docs:write")));
  CHECK_FALSE(PermissionPolicy::holds(*p->find_role("reader"), *p->permission("docs:write")));
  auto again = PermissionPolicy::from_json(p->to_json());
  REQUIRE_OK(again);
  CHECK(again->to_json() == p->to_json());

  auto standard = PermissionPolicy::from_json(PermissionPolicy::standard().to_json());
  REQUIRE_OK(standard);
  CHECK(standard->to_json() == PermissionPolicy::standard().to_json());
}

TEST_CASE("bad policy files name the JSON pointer and the reason", "[P2][policy][E2]") {
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": ["a:c"]}]})") == "/roles/0/permissions/0");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": "high",
        "owner": true, "permissions": []}]})") == "/roles/0/rank");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [], "colour": "red"})") == "/colour");
  CHECK(field_of(R"({"permissions": "a:b", "roles": []})") == "/permissions");
  CHECK(field_of(R"({"roles": []})") == "/permissions");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": [], "colour": 1}]})") == "/roles/0/colour");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": []}], "member_rules": {"role_changes": [{"from": "o", "to": "ghost"}]}})") ==
        "/member_rules/role_changes/0/to");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": []}], "member_rules": {"removable_roles": ["ghost"]}})") ==
        "/member_rules/removable_roles/0");
  CHECK(field_of(R"({"permissions": [1], "roles": []})") == "/permissions/0");
  CHECK(field_of("[1, 2]") == "/");
  auto truncated = PermissionPolicy::from_json(R"({"permissions": ["a:b"], "roles": [)");
  REQUIRE_ERROR(truncated, ErrorCode::invalid_argument);
  CHECK(truncated.error().message.find("parse error") != std::string::npos);

  REQUIRE_ERROR(PermissionPolicy::load("/nonexistent/policy.json"), ErrorCode::invalid_argument);
  test::TempFile file("orgkit-policy");
  {
    std::ofstream out(file.path());
    out << R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "permissions": []}]})";
  }
  auto loaded = PermissionPolicy::load(file.path());
  REQUIRE_ERROR(loaded, ErrorCode::invalid_argument);
  CHECK(loaded.error().message.find(file.path()) != std::string::npos);  // says which file
}

TEST_CASE("huge and hostile policy files are refused, never crash", "[P2][policy][E2]") {
  std::string huge = R"({"permissions": [)";
  for (int i = 0; i < 300; ++i) huge += (i ? ",\"p:" : "\"p:") + std::to_string(i) + "\"";
  huge += R"(], "roles": []})";
  CHECK(field_of(huge) == "/permissions");
  CHECK(field_of(std::string(2 << 20, ' ')) == "/");  // over the 1 MiB bound
  std::string deep(100000, '[');
  REQUIRE_ERROR(PermissionPolicy::from_json(deep), ErrorCode::invalid_argument);

  // Every prefix of a valid file, and random byte flips, give a result or an error.
  const std::string good = minimal;
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = PermissionPolicy::from_json(good.substr(0, n));
    CHECK_FALSE(r.has_value());
  }
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = good;
    const auto at = static_cast<std::size_t>(rng() % mutated.size());
    mutated[at] = static_cast<char>(rng() % 256);
    auto r = PermissionPolicy::from_json(mutated);
    if (r) {
      ++accepted;
      CHECK(r->owner_role().owner);  // whatever survived is still a whole policy
      CHECK(r->roles().size() == 2);
    } else {
      CHECK_FALSE(r.error().message.empty());
    }
  }
  CHECK(accepted < 2000);
}

TEST_CASE("member rules: role changes only from member to admin (P5)", "[P5][policy]") {
  const auto& std_policy = PermissionPolicy::standard();
  std::string json = std_policy.to_json();
  json.insert(json.rfind('}'), R"(,
  "member_rules": {"role_changes": [{"from": "member", "to": "admin"}],
                   "removable_roles": ["member", "viewer"]})");
  auto policy = PermissionPolicy::from_json(json);
  REQUIRE_OK(policy);
  ServiceOptions o;
  o.policy = *policy;
  test::Team team(o);
  auto& [f, owner, admin, member, org] = team;

  REQUIRE_OK(f.kit->change_member_role(owner, org.id, member.id, "admin"));
  auto demote = f.kit->change_member_role(owner, org.id, member.id, "member");
  REQUIRE_ERROR(demote, ErrorCode::permission_denied);
  CHECK(demote.error().message.find("does not allow changing a role") != std::string::npos);
  auto remove_admin = f.kit->remove_member(owner, org.id, admin.id);
  REQUIRE_ERROR(remove_admin, ErrorCode::permission_denied);
  REQUIRE_OK(f.kit->add_member(owner, org.id, {UserId("m2"), "m2@example.com", "", "member"}));
  REQUIRE_OK(f.kit->remove_member(owner, org.id, UserId("m2")));
  REQUIRE_ERROR(f.kit->change_member_role(owner, org.id, admin.id, "bogus"), ErrorCode::not_found);
}

TEST_CASE("which roles a role may grant, change and remove (manages)", "[P4][P5][policy]") {
  std::string json = PermissionPolicy::standard().to_json();
  // Admins manage members and viewers only: no admin-to-admin promotions.
  const std::string admin_role = R"("name": "admin",)";
  json.insert(json.find(admin_role) + admin_role.size(), R"( "manages": ["member", "viewer"],)");
  auto policy = PermissionPolicy::from_json(json);
  REQUIRE_OK(policy);
  REQUIRE(policy->find_role("admin")->manages.has_value());
  auto again = PermissionPolicy::from_json(policy->to_json());
  REQUIRE_OK(again);
  CHECK(again->find_role("admin")->manages == policy->find_role("admin")->manages);

  ServiceOptions o;
  o.policy = *policy;
  test::Team team(o);
  auto& [f, owner, admin, member, org] = team;
  REQUIRE_OK(f.kit->change_member_role(admin, org.id, member.id, "viewer"));
  auto promote = f.kit->change_member_role(admin, org.id, member.id, "admin");
  REQUIRE_ERROR(promote, ErrorCode::permission_denied);
  CHECK(promote.error().field == "role");
  REQUIRE_ERROR(f.kit->add_member(admin, org.id, {UserId("x"), "x@example.com", "", "admin"}),
                ErrorCode::permission_denied);
  REQUIRE_OK(f.kit->change_member_role(owner, org.id, member.id, "admin"));  // owners may

  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": [], "manages": ["ghost"]}]})") == "/roles/0/manages/0");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": [], "manages": "member"}]})") == "/roles/0/manages");
}

// Found by tests/fuzz/policy_json_fuzzer.cpp: a key holding '~' or '/' was written into the
// pointer as it is, so "/member_rules/rem~ovable_roles" was no JSON pointer at all and
// "/a/b" named a value "b" inside "a" instead of the key "a/b".
TEST_CASE("a key with '~' or '/' is escaped in the error's JSON pointer", "[P2][policy][E2]") {
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [], "a/b": 1})") == "/a~1b");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [{"name": "o", "rank": 1, "owner": true,
        "permissions": []}], "member_rules": {"rem~ovable_roles": []}})") ==
        "/member_rules/rem~0ovable_roles");
  CHECK(field_of(R"({"permissions": ["a:b"], "roles": [], "~/": 1, "~/": 2})") == "/~0~1");
}

TEST_CASE("duplicate keys, out-of-range ranks, owner grants and directories", "[P2][P4][policy][E2]") {
  CHECK(field_of(R"({"permissions": ["a:read"], "permissions": ["a:read", "a:write"],
        "roles": [{"name": "o", "rank": 1, "owner": true, "permissions": ["*"]}]})") ==
        "/permissions");
  CHECK(field_of(R"({"permissions": ["a:read"], "roles": [{"name": "o", "rank": 1,
        "owner": true, "permissions": ["*"], "rank": 2}]})") == "/roles/0/rank");
  CHECK(field_of(R"({"permissions": ["a:read"], "roles": [{"name": "o",
        "rank": 18446744073709551615, "owner": true, "permissions": ["*"]}]})") ==
        "/roles/0/rank");
  auto dir = PermissionPolicy::load(std::filesystem::temp_directory_path().string());
  REQUIRE_ERROR(dir, ErrorCode::invalid_argument);
  CHECK(dir.error().field == "path");

  // A role at the owner's rank is still not the owner: it cannot make owners.
  auto policy = PermissionPolicy::from_json(R"({"permissions": ["members:add", "members:read"],
      "roles": [{"name": "owner", "rank": 100, "owner": true, "manages_peers": true,
                 "permissions": ["*"]},
                {"name": "deputy", "rank": 100, "permissions": ["*"]}]})");
  REQUIRE_OK(policy);
  CHECK_FALSE(PermissionPolicy::may_grant(*policy->find_role("deputy"), policy->owner_role()));
  CHECK(PermissionPolicy::may_grant(policy->owner_role(), policy->owner_role()));
}
