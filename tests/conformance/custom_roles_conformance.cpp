// Conformance: an organization's custom roles (find, list, insert, update, delete). Who holds
// a role (reassign_role, count_role_holders): role_holders_conformance.cpp. Checklist in
// conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

using names = std::vector<std::string>;

names names_of(const std::vector<CustomRole>& roles) {
  names out;
  for (const auto& r : roles) out.push_back(r.name);
  return out;
}

// acme: billing (2 permissions), auditor (none); globex: billing (1 permission).
void add_roles(Storage& storage, OrgId acme, OrgId globex) {
  auto tx = begin_write(storage, tenant_a(), {acme, globex});
  REQUIRE_OK(tx->insert_custom_role(acme, role_spec("billing", {"billing.read", "billing.write"})));
  REQUIRE_OK(tx->insert_custom_role(acme, role_spec("auditor", {})));
  REQUIRE_OK(tx->insert_custom_role(globex, role_spec("billing", {"billing.read"})));
  commit(tx);
}

}  // namespace

TEST_CASE("insert_custom_role: find_custom_role reads it back",
          "[custom_roles][insert_custom_role][find_custom_role]") {
  auto s = seeded();
  CustomRole spec{"support", 35, {"tickets.write", "members.read", "audit.read"}, at_ms(t0 + 7)};
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->insert_custom_role(s.acme, spec));
  REQUIRE_OK(tx->insert_custom_role(s.acme, role_spec("empty", {})));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto got = REQUIRE_SOME(rtx->find_custom_role(s.acme, "support"));
  CHECK(got.name == "support");
  CHECK(got.rank == 35);
  CHECK(got.permissions == spec.permissions);  // in the order given
  CHECK(to_unix_ms(got.created_at) == t0 + 7);
  auto empty = REQUIRE_SOME(rtx->find_custom_role(s.acme, "empty"));
  CHECK(empty.permissions.empty());
  CHECK(empty.rank == 30);
}

TEST_CASE("find_custom_role: nullopt for an unknown name and for another organization's role",
          "[custom_roles][find_custom_role]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->insert_custom_role(s.acme, role_spec("billing", {"billing.read"})));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.acme, "billin")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.acme, "owner")).has_value());  // policy role
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.globex, "billing")).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.initech, "billing")).has_value());
}

TEST_CASE("insert_custom_role: a taken name is already_exists (name), in that organization only",
          "[custom_roles][insert_custom_role]") {
  auto s = seeded();
  add_roles(*s.storage, s.acme, s.globex);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  auto twin = tx->insert_custom_role(s.acme, role_spec("billing", {"other"}));
  REQUIRE_ERROR(twin, ErrorCode::already_exists);
  CHECK(twin.error().field == "name");
  CHECK(message_has_no_sql(twin.error()));
  tx.reset();  // a failed unique key may abort a server database's transaction
  tx = begin_write(*s.storage, tenant_b(), {s.initech});
  REQUIRE_OK(tx->insert_custom_role(s.initech, role_spec("billing", {"x"})));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_custom_role(s.acme, "billing")).permissions ==
        names{"billing.read", "billing.write"});
}

TEST_CASE("list_custom_roles: every role of the organization, by name",
          "[custom_roles][list_custom_roles]") {
  auto s = seeded();
  add_roles(*s.storage, s.acme, s.globex);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->insert_custom_role(s.acme, role_spec("analyst", {"reports.read"})));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto acme = REQUIRE_VALUE(rtx->list_custom_roles(s.acme));
  CHECK(names_of(acme) == names{"analyst", "auditor", "billing"});
  REQUIRE(acme.size() == 3);
  CHECK(acme[2].permissions == names{"billing.read", "billing.write"});
  CHECK(names_of(REQUIRE_VALUE(rtx->list_custom_roles(s.globex))) == names{"billing"});
  CHECK(REQUIRE_VALUE(rtx->list_custom_roles(s.initech)).empty());
}

TEST_CASE("update_custom_role: overwrites rank and permissions, and may rename",
          "[custom_roles][update_custom_role]") {
  auto s = seeded();
  add_roles(*s.storage, s.acme, s.globex);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CustomRole same_name{"auditor", 25, {"audit.read"}, at_ms(t0)};
  REQUIRE_OK(tx->update_custom_role(s.acme, "auditor", same_name));
  CustomRole renamed{"finance", 40, {"billing.read"}, at_ms(t0)};
  REQUIRE_OK(tx->update_custom_role(s.acme, "billing", renamed));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto auditor = REQUIRE_SOME(rtx->find_custom_role(s.acme, "auditor"));
  CHECK(auditor.rank == 25);
  CHECK(auditor.permissions == names{"audit.read"});
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_custom_role(s.acme, "billing")).has_value());
  auto finance = REQUIRE_SOME(rtx->find_custom_role(s.acme, "finance"));
  CHECK(finance.rank == 40);
  CHECK(finance.permissions == names{"billing.read"});
  // globex's billing is another role.
  CHECK(REQUIRE_SOME(rtx->find_custom_role(s.globex, "billing")).permissions ==
        names{"billing.read"});
}

TEST_CASE(
    "update_custom_role: not_found for a missing or another organization's role; a taken "
    "new name is already_exists (name)",
    "[custom_roles][update_custom_role]") {
  auto s = seeded();
  add_roles(*s.storage, s.acme, s.globex);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  REQUIRE_ERROR(tx->update_custom_role(s.acme, "ghost", role_spec("ghost", {})),
                ErrorCode::not_found);
  // acme's auditor, named with globex.
  REQUIRE_ERROR(tx->update_custom_role(s.globex, "auditor", role_spec("auditor", {"x"})),
                ErrorCode::not_found);
  commit(tx);
  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  auto taken = tx->update_custom_role(s.acme, "auditor", role_spec("billing", {"x"}));
  REQUIRE_ERROR(taken, ErrorCode::already_exists);
  CHECK(taken.error().field == "name");
  tx.reset();
  auto rtx = begin_read(*s.storage);
  CHECK(names_of(REQUIRE_VALUE(rtx->list_custom_roles(s.acme))) == names{"auditor", "billing"});
  CHECK(REQUIRE_SOME(rtx->find_custom_role(s.acme, "billing")).permissions ==
        names{"billing.read", "billing.write"});
  CHECK(REQUIRE_SOME(rtx->find_custom_role(s.acme, "auditor")).permissions.empty());
  CHECK(names_of(REQUIRE_VALUE(rtx->list_custom_roles(s.globex))) == names{"billing"});
}

TEST_CASE("delete_custom_role: removes that role only; not_found for a missing one",
          "[custom_roles][delete_custom_role]") {
  auto s = seeded();
  add_roles(*s.storage, s.acme, s.globex);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  REQUIRE_OK(tx->delete_custom_role(s.acme, "billing"));
  REQUIRE_ERROR(tx->delete_custom_role(s.acme, "billing"), ErrorCode::not_found);
  REQUIRE_ERROR(tx->delete_custom_role(s.acme, "ghost"), ErrorCode::not_found);
  REQUIRE_ERROR(tx->delete_custom_role(s.globex, "auditor"), ErrorCode::not_found);  // acme's
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(names_of(REQUIRE_VALUE(rtx->list_custom_roles(s.acme))) == names{"auditor"});
  CHECK(names_of(REQUIRE_VALUE(rtx->list_custom_roles(s.globex))) == names{"billing"});
}
