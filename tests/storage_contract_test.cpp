// The Storage contract (orgkit/storage.hpp), run against every backend: today SQLite in
// memory and on a file (ctest runs this binary once per ORGKIT_TEST_STORAGE). A new backend
// adds itself to make_storage() and must pass the same cases.
#include "support/test_support.hpp"

#include <fstream>

#include <sqlite3.h>

using namespace orgkit;
using test::TempFile;

namespace {

struct Backend {
  std::unique_ptr<TempFile> file;
  std::unique_ptr<Storage> storage;
};

Backend make_storage() {
  Backend b;
  SqliteOptions so;
  if (test::storage_kind() == "file") {
    b.file = std::make_unique<TempFile>("orgkit-contract");
    so.path = b.file->path();
  }
  auto s = open_sqlite(so);
  REQUIRE_OK(s);
  b.storage = std::move(*s);
  return b;
}

Organization org_spec(const std::string& slug, const std::string& tenant = "t") {
  Organization o;
  o.tenant = TenantId(tenant);
  o.name = slug;
  o.slug = slug;
  o.created_by = UserId("creator");
  o.created_at = from_unix_ms(1000);
  o.metadata = {{"k", "v"}};
  return o;
}

Membership member(OrgId org, const std::string& user, const std::string& role) {
  return {org, UserId(user), user + "@example.com", user, role, from_unix_ms(2000)};
}

enum class Mode { read, write };

std::unique_ptr<StorageTransaction> begin(Storage& s, Mode mode) {
  auto tx = mode == Mode::read ? s.begin_read() : s.begin_write(WriteScope{TenantId("t"), {}});
  REQUIRE_OK(tx);
  return std::move(*tx);
}

}  // namespace

TEST_CASE("storage: committed writes are visible, uncommitted ones roll back", "[storage]") {
  auto b = make_storage();
  OrgId id;
  {
    auto tx = begin(*b.storage, Mode::write);
    auto inserted = tx->insert_organization(org_spec("kept"));
    REQUIRE_OK(inserted);
    id = *inserted;
    REQUIRE_OK(tx->insert_membership(TenantId("t"), member(id, "u1", "owner")));
    REQUIRE_OK(tx->commit());
  }
  {
    auto tx = begin(*b.storage, Mode::write);
    REQUIRE_OK(tx->insert_organization(org_spec("dropped")));
    REQUIRE_OK(tx->insert_membership(TenantId("t"), member(id, "u2", "member")));
    // destroyed without commit
  }
  auto tx = begin(*b.storage, Mode::read);
  auto kept = tx->find_organization(TenantId("t"), id);
  REQUIRE_OK(kept);
  REQUIRE(kept->has_value());
  CHECK((*kept)->metadata.at("k") == "v");
  CHECK((*kept)->created_at == from_unix_ms(1000));
  CHECK_FALSE(*tx->slug_taken(TenantId("t"), "dropped"));
  CHECK(*tx->count_memberships(id, std::nullopt) == 1);
}

TEST_CASE("storage: unique keys map to already_exists with the field", "[storage]") {
  auto b = make_storage();
  auto tx = begin(*b.storage, Mode::write);
  auto id = tx->insert_organization(org_spec("acme"));
  REQUIRE_OK(id);
  auto twin = tx->insert_organization(org_spec("acme"));
  REQUIRE_ERROR(twin, ErrorCode::already_exists);
  CHECK(twin.error().field == "slug");
  CHECK(twin.error().message.find("INSERT") == std::string::npos);  // no SQL text
  REQUIRE_OK(tx->insert_organization(org_spec("acme", "other-tenant")));
  REQUIRE_OK(tx->insert_membership(TenantId("t"), member(*id, "u1", "owner")));
  auto dup = tx->insert_membership(TenantId("t"), member(*id, "u1", "member"));
  REQUIRE_ERROR(dup, ErrorCode::already_exists);
  CHECK(dup.error().field == "user_id");
  auto orphan = tx->insert_membership(TenantId("t"), member(OrgId(999), "u1", "owner"));
  REQUIRE_ERROR(orphan, ErrorCode::not_found);
}

TEST_CASE("storage: lookups are keyed by tenant and organization", "[storage][O9]") {
  auto b = make_storage();
  auto tx = begin(*b.storage, Mode::write);
  auto id = *tx->insert_organization(org_spec("acme"));
  REQUIRE_OK(tx->insert_membership(TenantId("t"), member(id, "u1", "admin")));
  REQUIRE_OK(tx->commit());

  auto rtx = begin(*b.storage, Mode::read);
  CHECK_FALSE(rtx->find_organization(TenantId("other"), id)->has_value());
  CHECK_FALSE(rtx->find_membership(TenantId("other"), id, UserId("u1"))->has_value());
  CHECK(rtx->find_membership(TenantId("t"), id, UserId("u1"))->has_value());
  rtx.reset();

  MemberAccess access;
  auto found = b.storage->member_access(TenantId("t"), id, UserId("u1"), access);
  REQUIRE_OK(found);
  CHECK(*found);
  CHECK(access.role == "admin");
  found = b.storage->member_access(TenantId("other"), id, UserId("u1"), access);
  REQUIRE_OK(found);
  CHECK_FALSE(*found);
  found = b.storage->member_access(TenantId("t"), id, UserId("u2"), access);
  REQUIRE_OK(found);
  CHECK_FALSE(*found);
}

TEST_CASE("storage: deleting an organization cascades, audit stays", "[storage][O5]") {
  auto b = make_storage();
  auto tx = begin(*b.storage, Mode::write);
  auto id = *tx->insert_organization(org_spec("acme"));
  REQUIRE_OK(tx->insert_membership(TenantId("t"), member(id, "u1", "owner")));
  REQUIRE_OK(tx->set_active_organization(TenantId("t"), UserId("u1"), id));
  AuditEvent e;
  e.tenant = TenantId("t");
  e.org = id;
  e.actor = UserId("u1");
  e.action = "organization.deleted";
  e.target = "acme";
  e.changes = {{"name", std::string("acme"), std::nullopt}};
  REQUIRE_OK(tx->delete_organization(TenantId("t"), id));
  REQUIRE_OK(tx->append_audit_event(e));
  REQUIRE_ERROR(tx->delete_organization(TenantId("t"), id), ErrorCode::not_found);
  REQUIRE_OK(tx->commit());

  auto rtx = begin(*b.storage, Mode::read);
  CHECK(*rtx->count_memberships(id, std::nullopt) == 0);
  CHECK_FALSE(rtx->active_organization(TenantId("t"), UserId("u1"))->has_value());
  auto events = rtx->list_audit_events(TenantId("t"), id, std::nullopt, 10);
  REQUIRE_OK(events);
  REQUIRE(events->size() == 1);
  CHECK(events->front().changes.front().after == std::nullopt);
}

TEST_CASE("storage: updates and deletes of missing rows are not_found", "[storage]") {
  auto b = make_storage();
  auto tx = begin(*b.storage, Mode::write);
  auto id = *tx->insert_organization(org_spec("acme"));
  REQUIRE_ERROR(tx->update_membership_role(id, UserId("ghost"), "admin"), ErrorCode::not_found);
  REQUIRE_ERROR(tx->delete_membership(id, UserId("ghost")), ErrorCode::not_found);
  auto missing = org_spec("zzz");
  missing.id = OrgId(4242);
  REQUIRE_ERROR(tx->update_organization(missing), ErrorCode::not_found);
}

TEST_CASE("open_sqlite refuses bad options and foreign files", "[storage][E2]") {
  SqliteOptions empty;
  empty.path = "";
  REQUIRE_ERROR(open_sqlite(empty), ErrorCode::invalid_argument);
  SqliteOptions pool;
  pool.max_connections = 0;
  REQUIRE_ERROR(open_sqlite(pool), ErrorCode::invalid_argument);

  TempFile junk("orgkit-junk");
  {
    std::ofstream out(junk.path(), std::ios::binary);
    out << std::string(4096, 'x');
  }
  SqliteOptions so;
  so.path = junk.path();
  auto opened = open_sqlite(so);
  REQUIRE_ERROR(opened, ErrorCode::storage);
  CHECK(opened.error().message.find("not a database") != std::string::npos);

  // Another application's SQLite database is not taken over.
  TempFile foreign("orgkit-foreign");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(foreign.path().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE app_users (id INTEGER)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
  }
  SqliteOptions foreign_options;
  foreign_options.path = foreign.path();
  auto taken_over = open_sqlite(foreign_options);
  REQUIRE_ERROR(taken_over, ErrorCode::storage);
  CHECK(taken_over.error().message.find("another application") != std::string::npos);

  SqliteOptions missing_dir;
  missing_dir.path = "/nonexistent-orgkit-dir/x.db";
  REQUIRE_ERROR(open_sqlite(missing_dir), ErrorCode::storage);
}

TEST_CASE("schema: created at the current version, newer files refused", "[storage]") {
  TempFile f("orgkit-schema");
  SqliteOptions so;
  so.path = f.path();
  REQUIRE_OK(open_sqlite(so));
  REQUIRE_OK(open_sqlite(so));  // reopening is a no-op migration

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(f.path().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == sqlite_schema_version);
  sqlite3_finalize(st);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  auto newer = open_sqlite(so);
  REQUIRE_ERROR(newer, ErrorCode::conflict);
  CHECK(newer.error().message.find("99") != std::string::npos);
}

TEST_CASE("Service::open_sqlite takes SQLite settings too", "[storage]") {
  TempFile f("orgkit-open");
  SqliteOptions so;
  so.path = f.path();
  so.max_connections = 2;
  so.busy_timeout_ms = 500;
  auto kit = Service::open_sqlite(so);
  REQUIRE_OK(kit);
  so.max_connections = 100;
  REQUIRE_ERROR(Service::open_sqlite(so), ErrorCode::invalid_argument);
}
