// The SQLite role index (src/sqlite/role_index.hpp; R4, O7, P6): it holds only the memberships
// whose role is the owner role or a custom role, so that ordinary members' writes leave it
// alone, while the owner count and a custom role's holders are still read from it (bounded
// by the holders, not by the organization). Whatever index the file has, every query gives
// the same rows; these tests pin both the answers and that the bounded queries use the index.
#include "support/test_support.hpp"

#include <algorithm>

#include <SQLiteCpp/Database.h>

#include "sqlite/role_index.hpp"

using namespace orgkit;
using test::Fixture;
using test::TempFile;

namespace {

std::string index_sql(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement s(db, "SELECT sql FROM sqlite_master WHERE name = 'memberships_by_role'");
  return s.executeStep() ? s.getColumn(0).getString() : std::string();
}

// Whether SQLite plans `sql` through memberships_by_role.
bool uses_role_index(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + sql);
  std::string details;
  while (plan.executeStep()) details += plan.getColumn(3).getString() + "\n";
  INFO(details);
  return details.find("memberships_by_role") != std::string::npos;
}

std::vector<std::string> names(const std::vector<RoleDefinition>& roles) {
  std::vector<std::string> out;
  for (const auto& r : roles) out.push_back(r.name);
  return out;
}

CustomRole custom(const std::string& name) {
  CustomRole r;
  r.name = name;
  r.rank = 15;
  r.permissions = {"members:read"};
  return r;
}

std::size_t listed(Service& kit, const Actor& as, OrgId org, const std::string& role) {
  MemberQuery q;
  q.role = role;
  q.limit = 1000;
  auto page = kit.list_members(as, org, q);
  REQUIRE_OK(page);
  for (const auto& m : page->items) CHECK(m.role == role);
  return page->items.size();
}

}  // namespace

TEST_CASE("role index: owners and custom roles only, and the owner count reads it",
          "[R4][O7][P6][sqlite]") {
  if (test::storage_kind() != "file") return;  // one SQLite file of its own
  TempFile file("orgkit-role-index");
  auto kit = Service::open_sqlite(file.path());
  REQUIRE_OK(kit);
  CHECK(index_sql(file.path()) ==
        "CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id) "
        "WHERE role <> 'admin' AND role <> 'member' AND role <> 'viewer'");
  const auto ix =
      sqlite::RoleIndex::for_policy(names(PermissionPolicy::standard().roles()), "owner");
  CHECK_FALSE(ix.indexes("member"));
  CHECK_FALSE(ix.indexes("admin"));
  CHECK(ix.indexes("owner"));
  CHECK(ix.indexes("editor"));  // not a policy role: a custom one
  CHECK(uses_role_index(file.path(), ix.count_sql));
  CHECK(uses_role_index(file.path(), ix.holders_sql));
  CHECK(uses_role_index(file.path(), ix.reassign_sql));
  CHECK(uses_role_index(file.path(), ix.list_sql));

  auto alice = Fixture::user("alice");
  auto carol = Fixture::user("carol");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*kit)->create_organization(alice, spec);
  REQUIRE_OK(org);
  const OrgId id = org->id;
  for (int i = 0; i < 30; ++i) {
    const std::string u = "m" + std::to_string(i);
    REQUIRE_OK((*kit)->add_member(alice, id, {UserId(u), u + "@example.com", "", "member"}));
  }
  for (int i = 0; i < 3; ++i) {
    const std::string u = "a" + std::to_string(i);
    REQUIRE_OK((*kit)->add_member(alice, id, {UserId(u), u + "@example.com", "", "admin"}));
  }
  REQUIRE_OK((*kit)->create_role(alice, id, custom("editor")));
  for (int i = 0; i < 2; ++i) {
    const std::string u = "e" + std::to_string(i);
    REQUIRE_OK((*kit)->add_member(alice, id, {UserId(u), u + "@example.com", "", "editor"}));
  }
  REQUIRE_OK((*kit)->add_member(alice, id, {carol.id, carol.email, "", "owner"}));

  // Listing reads the index for owners and custom roles, the memberships for the others.
  CHECK(listed(**kit, alice, id, "owner") == 2);
  CHECK(listed(**kit, alice, id, "editor") == 2);
  CHECK(listed(**kit, alice, id, "admin") == 3);
  CHECK(listed(**kit, alice, id, "member") == 30);

  // The last-owner rule counts owners through the index: one of two may go, not both.
  REQUIRE_OK((*kit)->change_member_role(alice, id, carol.id, "member"));
  REQUIRE_ERROR((*kit)->leave_organization(alice, id), ErrorCode::conflict);
  REQUIRE_OK((*kit)->change_member_role(alice, id, carol.id, "owner"));
  REQUIRE_OK((*kit)->leave_organization(carol, id));
  REQUIRE_ERROR((*kit)->remove_member(alice, id, alice.id), ErrorCode::conflict);

  // A custom role's holders are counted and moved through it.
  REQUIRE_ERROR((*kit)->delete_role(alice, id, "editor"), ErrorCode::conflict);
  REQUIRE_OK((*kit)->delete_role(alice, id, "editor", std::string("member")));
  CHECK(listed(**kit, alice, id, "member") == 32);
}

TEST_CASE("role index: reopened under another policy, it is rebuilt for that policy",
          "[R4][P6][sqlite]") {
  if (test::storage_kind() != "file") return;
  TempFile file("orgkit-role-index-policy");
  auto alice = Fixture::user("alice");
  OrgId id;
  {
    auto kit = Service::open_sqlite(file.path());
    REQUIRE_OK(kit);
    NewOrganization spec;
    spec.name = "Acme";
    id = (*kit)->create_organization(alice, spec)->id;
    REQUIRE_OK((*kit)->create_role(alice, id, custom("auditor")));
    for (int i = 0; i < 2; ++i) {
      const std::string u = "u" + std::to_string(i);
      REQUIRE_OK((*kit)->add_member(alice, id, {UserId(u), u + "@example.com", "", "auditor"}));
    }
  }
  // A policy that defines "auditor" itself: its holders leave the index.
  PolicyBuilder b = test::standard_builder([](RoleSpec&) { return true; });
  b.role({"auditor", 15, {"members:read"}});
  auto with_auditor = b.build();
  REQUIRE_OK(with_auditor);
  {
    ServiceOptions o;
    o.policy = *with_auditor;
    auto kit = Service::open_sqlite(file.path(), o);
    REQUIRE_OK(kit);
    CHECK(index_sql(file.path()).find("'auditor'") != std::string::npos);
    CHECK(listed(**kit, alice, id, "auditor") == 2);
  }
  // Back to the standard policy: they are in the index again, and counted from it.
  auto kit = Service::open_sqlite(file.path());
  REQUIRE_OK(kit);
  CHECK(index_sql(file.path()).find("'auditor'") == std::string::npos);
  const auto ix =
      sqlite::RoleIndex::for_policy(names(PermissionPolicy::standard().roles()), "owner");
  CHECK(uses_role_index(file.path(), ix.holders_sql));
  CHECK(listed(**kit, alice, id, "auditor") == 2);
  REQUIRE_ERROR((*kit)->delete_role(alice, id, "auditor"), ErrorCode::conflict);
}

TEST_CASE("role index: a role name with a quote is written as a literal", "[R4][sqlite]") {
  // Policy role names are letters, digits, '_' and '-', but the index text must not depend on
  // that: a quote is doubled, never ends the literal.
  const auto ix = sqlite::RoleIndex::for_policy({"owner", "it's"}, "owner");
  CHECK(ix.create_sql.find("WHERE role <> 'it''s'") != std::string::npos);
  // A policy of the owner alone indexes every membership.
  const auto all = sqlite::RoleIndex::for_policy({"owner"}, "owner");
  CHECK(all.create_sql ==
        "CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id)");
  CHECK(all.indexes("anything"));
}

namespace {

// The VDBE opcodes SQLite compiles `sql` to, on the file at `path`.
std::vector<std::string> opcodes(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement explain(db, "EXPLAIN " + sql);
  std::vector<std::string> out;
  while (explain.executeStep()) out.push_back(explain.getColumn(1).getString());
  return out;
}

}  // namespace

TEST_CASE("role index: writes of a membership build no temporary table", "[R4][sqlite]") {
  // An IN list in an index's condition (or a CHECK) is evaluated through a temporary table
  // built for every row written; the index's condition is comparisons so that the writes of
  // a membership, which every add, role change and removal makes, open none (OpenEphemeral).
  if (test::storage_kind() != "file") return;
  TempFile file("orgkit-role-index-ephemeral");
  auto kit = Service::open_sqlite(file.path());
  REQUIRE_OK(kit);
  for (const std::string& sql :
       {std::string("INSERT INTO memberships (org_id, user_id, tenant, email, display_name, "
                    "role, joined_at, email_key, department) "
                    "VALUES (1, 'u', 'default', 'e', '', 'member', 0, 'e', '')"),
        std::string("UPDATE memberships SET role = 'viewer' WHERE org_id = 1 AND user_id = 'u'"),
        std::string("DELETE FROM memberships WHERE org_id = 1 AND user_id = 'u'"),
        std::string("INSERT INTO invitations (org_id, tenant, kind, email, email_key, role, "
                    "department, message, state, token_hash, invited_by, created_at, "
                    "expires_at, invited_by_kind) VALUES (1, 'default', 'email', 'e', 'e', "
                    "'member', '', '', 'pending', x'00', 'u', 0, 0, 'member')"),
        std::string("INSERT INTO audit_log (org_id, id, tenant, actor, actor_kind, action, "
                    "target, at, changes) VALUES (1, 1, 'default', 'u', 'member', 'a', "
                    "'t', 0, x'')")}) {
    INFO(sql);
    const auto ops = opcodes(file.path(), sql);
    REQUIRE_FALSE(ops.empty());
    CHECK(std::count(ops.begin(), ops.end(), "OpenEphemeral") == 0);
  }
}

TEST_CASE("role index: a file indexed with an IN list is rebuilt with comparisons at open",
          "[R4][sqlite]") {
  // Files indexed before this change carry "WHERE role NOT IN (...)"; the next open replaces it,
  // keeping the answers (the owner count still reads the index).
  if (test::storage_kind() != "file") return;
  TempFile file("orgkit-role-index-old");
  auto alice = Fixture::user("alice");
  OrgId id;
  {
    auto kit = Service::open_sqlite(file.path());
    REQUIRE_OK(kit);
    NewOrganization spec;
    spec.name = "Acme";
    id = (*kit)->create_organization(alice, spec)->id;
  }
  {
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.exec("DROP INDEX memberships_by_role");
    db.exec(
        "CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id) "
        "WHERE role NOT IN ('admin', 'member', 'viewer')");
  }
  auto kit = Service::open_sqlite(file.path());
  REQUIRE_OK(kit);
  CHECK(index_sql(file.path()) ==
        "CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id) "
        "WHERE role <> 'admin' AND role <> 'member' AND role <> 'viewer'");
  const auto ix =
      sqlite::RoleIndex::for_policy(names(PermissionPolicy::standard().roles()), "owner");
  CHECK(uses_role_index(file.path(), ix.count_sql));
  // The last-owner rule still holds, counted through the rebuilt index.
  REQUIRE_ERROR((*kit)->leave_organization(alice, id), ErrorCode::conflict);
}
