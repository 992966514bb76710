// Conformance: per-user state (active_organization, set_active_organization).
// Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

TEST_CASE("active_organization: nullopt until set; set_active_organization sets, replaces, clears",
          "[user_state][active_organization][set_active_organization]") {
  auto s = seeded();
  {
    auto rtx = begin_read(*s.storage);
    CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))).has_value());
  }
  auto tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), s.acme));
  // Visible inside the writing transaction already.
  CHECK(REQUIRE_VALUE(tx->active_organization(tenant_a(), UserId("alice"))) ==
        std::optional<OrgId>(s.acme));
  commit(tx);
  {
    auto rtx = begin_read(*s.storage);
    CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))) ==
          std::optional<OrgId>(s.acme));
  }
  tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), s.globex));
  commit(tx);
  {
    auto rtx = begin_read(*s.storage);
    CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))) ==
          std::optional<OrgId>(s.globex));
  }
  tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), std::nullopt));
  // Clearing what is clear already is no error.
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("carol"), std::nullopt));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("carol"))).has_value());
}

TEST_CASE("active_organization: one per tenant and user; others never see it",
          "[user_state][active_organization][set_active_organization][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), s.acme));
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("dave"), s.globex));
  commit(tx);
  {
    auto rtx = begin_read(*s.storage);
    // The same user id in tenant-b has no active organization of its own yet.
    CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_b(), UserId("alice"))).has_value());
    CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("bob"))).has_value());
  }
  tx = begin_write(*s.storage, tenant_b());
  REQUIRE_OK(tx->set_active_organization(tenant_b(), UserId("alice"), s.initech));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))) ==
        std::optional<OrgId>(s.acme));
  CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_b(), UserId("alice"))) ==
        std::optional<OrgId>(s.initech));
  CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("dave"))) ==
        std::optional<OrgId>(s.globex));
}

TEST_CASE("set_active_organization: deleting the organization clears it, for every user",
          "[user_state][set_active_organization][delete_organization]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), s.acme));
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("bob"), s.acme));
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("dave"), s.globex));
  commit(tx);
  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->delete_organization(tenant_a(), s.acme));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("bob"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("dave"))) ==
        std::optional<OrgId>(s.globex));
}

TEST_CASE("set_active_organization: rolled back, it changes nothing",
          "[user_state][set_active_organization][transactions]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("alice"), s.acme));
  commit(tx);
  {
    auto dropped = begin_write(*s.storage, tenant_a());
    REQUIRE_OK(dropped->set_active_organization(tenant_a(), UserId("alice"), s.globex));
    REQUIRE_OK(dropped->set_active_organization(tenant_a(), UserId("bob"), s.acme));
  }
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("alice"))) ==
        std::optional<OrgId>(s.acme));
  CHECK_FALSE(REQUIRE_VALUE(rtx->active_organization(tenant_a(), UserId("bob"))).has_value());
}
