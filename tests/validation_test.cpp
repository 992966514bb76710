// Input validation rules (E2): each kind of input, valid and invalid, with the field named.
#include "support/test_support.hpp"

#include "validate.hpp"

using namespace orgkit;

TEST_CASE("organization names are trimmed, 1-100 characters", "[O1][E2]") {
  auto ok = validate::org_name("name", "  Acme Corp  ");
  REQUIRE_OK(ok);
  CHECK(*ok == "Acme Corp");
  CHECK(validate::org_name("name", std::string(100, 'x')).has_value());
  // 100 characters of two bytes each is still 100 characters.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  CHECK(validate::org_name("name", accents).has_value());

  REQUIRE_ERROR(validate::org_name("name", ""), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::org_name("name", " \t\n "), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::org_name("name", std::string(101, 'x')), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::org_name("name", "bad\x01name"), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::org_name("name", "bad \xC3"), ErrorCode::invalid_argument);
  CHECK(validate::org_name("name", "").error().field == "name");
}

TEST_CASE("slug rules", "[O1][E2]") {
  CHECK(validate::slug("slug", "acme").has_value());
  CHECK(validate::slug("slug", "a1").has_value());
  CHECK(validate::slug("slug", "acme-corp-2").has_value());
  CHECK(validate::slug("slug", std::string(48, 'a')).has_value());
  for (const char* bad : {"Acme", "ac me", "-acme", "acme-", "ac--me", "a", "acme_corp", "acmé"}) {
    INFO(bad);
    REQUIRE_ERROR(validate::slug("slug", bad), ErrorCode::invalid_argument);
    CHECK(validate::slug("slug", bad).error().field == "slug");
  }
  REQUIRE_ERROR(validate::slug("slug", std::string(49, 'a')), ErrorCode::invalid_argument);
}

TEST_CASE("slugs derived from names", "[O1]") {
  CHECK(validate::slug_from_name("Acme Corp") == "acme-corp");
  CHECK(validate::slug_from_name("  Hello,   World!! ") == "hello-world");
  CHECK(validate::slug_from_name("X") == "x-org");
  CHECK(validate::slug_from_name("日本") == "org");
  CHECK(validate::slug_from_name(std::string(80, 'a')).size() == 48);
  for (const char* name : {"Acme Corp", "--x--", "a b c d", "Ünïcödé Name"}) {
    INFO(name);
    CHECK(validate::slug("slug", validate::slug_from_name(name)).has_value());
  }
}

TEST_CASE("email addresses", "[E2]") {
  auto ok = validate::email("email", "  Ada@Example.com ");
  REQUIRE_OK(ok);
  CHECK(*ok == "Ada@Example.com");
  for (const char* bad : {"", "ada", "ada@", "@example.com", "ada@example", "a b@example.com",
                          "ada@@example.com", "ada@example..com", "ada@.example.com",
                          "ada@example.com.", "<ada@example.com>", "a,b@example.com"}) {
    INFO(bad);
    REQUIRE_ERROR(validate::email("email", bad), ErrorCode::invalid_argument);
  }
  CHECK(validate::optional_email("alerting_email", "").has_value());
  REQUIRE_ERROR(validate::optional_email("alerting_email", "nope"), ErrorCode::invalid_argument);
  CHECK(validate::optional_email("alerting_email", "nope").error().field == "alerting_email");
}

TEST_CASE("host ids, metadata and limits", "[E2]") {
  CHECK(validate::host_id("user_id", "u-1").has_value());
  REQUIRE_ERROR(validate::host_id("user_id", ""), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::host_id("user_id", std::string(256, 'u')), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::host_id("user_id", "u\n1"), ErrorCode::invalid_argument);
  CHECK(validate::metadata("metadata", {{"crm.id", "42"}}).has_value());
  REQUIRE_ERROR(validate::metadata("metadata", {{"bad key", "x"}}), ErrorCode::invalid_argument);
  std::map<std::string, std::string> many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  REQUIRE_ERROR(validate::metadata("metadata", many), ErrorCode::invalid_argument);
  CHECK(validate::page_limit("limit", 1).has_value());
  REQUIRE_ERROR(validate::page_limit("limit", 0), ErrorCode::invalid_argument);
  REQUIRE_ERROR(validate::page_limit("limit", 1001), ErrorCode::invalid_argument);
}

TEST_CASE("error messages are checked for internal rule ids", "[E2]") {
  // The check REQUIRE_ERROR applies to every provoked error must itself be able to fail.
  CHECK(orgkit::test::names_rule_id("may not grant 'owner' (P4)"));
  CHECK(orgkit::test::names_rule_id("I7: no seat left"));
  CHECK_FALSE(orgkit::test::names_rule_id("plan 'pro2' allows 5 members"));
  CHECK_FALSE(orgkit::test::names_rule_id("user 'u-P4x' is not a member"));
}
