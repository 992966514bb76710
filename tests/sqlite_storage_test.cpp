// What only the SQLite backend has: open_sqlite's options, refusing foreign and newer files,
// and its schema version. The Storage contract itself (every method, every backend) is the
// conformance suite in tests/conformance/, which runs SQLite in memory and on a file.
#include "support/test_support.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include "sqlite/packed.hpp"
#include "sqlite/schema.hpp"

using namespace orgkit;
using test::TempFile;

TEST_CASE("open_sqlite refuses bad options and foreign files", "[storage][E2][sqlite]") {
  SqliteOptions empty;
  empty.path = "";
  REQUIRE_ERROR(open_sqlite(empty), ErrorCode::invalid_argument);
  SqliteOptions pool;
  pool.max_connections = 0;
  REQUIRE_ERROR(open_sqlite(pool), ErrorCode::invalid_argument);
  for (int kib : {0, 63, 1024 * 1024 + 1}) {
    SqliteOptions cache;
    cache.cache_kib = kib;
    auto r = open_sqlite(cache);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "cache_kib");
  }
  for (int mib : {-1, 1024 * 1024 + 1}) {
    SqliteOptions mmap;
    mmap.mmap_mib = mib;
    auto r = open_sqlite(mmap);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "mmap_mib");
  }
  SqliteOptions big_cache;
  big_cache.cache_kib = 1024 * 1024;
  REQUIRE_OK(open_sqlite(big_cache));
  for (int pages : {0, 99, 1000001}) {
    SqliteOptions checkpoint;
    checkpoint.checkpoint_pages = pages;
    auto r = open_sqlite(checkpoint);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "checkpoint_pages");
  }

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

TEST_CASE("schema: created at the current version, newer files refused", "[storage][sqlite]") {
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

// The log grows to about checkpoint_pages before a commit copies it back into the file and
// starts it over, so the same writes leave a small log with a short interval and a long one
// with a long interval.
TEST_CASE("SqliteOptions::checkpoint_pages bounds the write-ahead log", "[storage][sqlite]") {
  auto log_bytes_after_writes = [](int checkpoint_pages) {
    TempFile f("orgkit-checkpoint");
    SqliteOptions so;
    so.path = f.path();
    so.checkpoint_pages = checkpoint_pages;
    auto kit = Service::open_sqlite(so);
    REQUIRE_OK(kit);
    Actor alice{UserId("u-a"), "a@x.test", "A"};
    NewOrganization spec;
    spec.name = "Acme";
    auto org = (*kit)->create_organization(alice, spec);
    REQUIRE_OK(org);
    for (int i = 0; i < 300; ++i) {  // each writes several pages
      const std::string id = "u" + std::to_string(i);
      REQUIRE_OK((*kit)->add_member(alice, org->id, {UserId(id), id + "@x.test", "", "member"}));
    }
    return std::filesystem::file_size(f.path() + "-wal");
  };
  const auto short_log = log_bytes_after_writes(100);
  const auto long_log = log_bytes_after_writes(100000);
  INFO("log with 100 pages: " << short_log << " bytes; with 100000: " << long_log);
  CHECK(short_log < 200 * 4200);   // about 100 pages and one transaction's
  CHECK(long_log > 1000 * 4096);   // every page of the 300 transactions
}

TEST_CASE("SqliteOptions::mmap_mib maps the file, and every read still sees every commit",
          "[storage][C1][sqlite]") {
  // Two Services on one file, one reading through a map: a change the other commits is seen
  // by the next check (mapped pages and the write-ahead log are read together).
  TempFile f("orgkit-mmap");
  SqliteOptions mapped;
  mapped.path = f.path();
  mapped.mmap_mib = 64;
  auto reader = Service::open_sqlite(mapped);
  REQUIRE_OK(reader);
  auto writer = Service::open_sqlite(f.path());
  REQUIRE_OK(writer);
  Actor alice{UserId("u-a"), "a@x.test", "A"};
  Actor bob{UserId("u-b"), "b@x.test", "B"};
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*writer)->create_organization(alice, spec);
  REQUIRE_OK(org);
  REQUIRE_OK((*writer)->add_member(alice, org->id, {bob.id, bob.email, "", "admin"}));
  for (int round = 0; round < 20; ++round) {
    // A checkpoint now and then moves the log into the mapped file itself.
    if (round % 5 == 4) {
      SQLite::Database db(f.path(), SQLite::OPEN_READWRITE);
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    const bool admin = round % 2 == 0;
    auto may = (*reader)->check(bob, org->id, "members:remove");
    REQUIRE_OK(may);
    CHECK(*may == admin);
    REQUIRE_OK((*writer)->change_member_role(alice, org->id, bob.id, admin ? "member" : "admin"));
  }
}

TEST_CASE("Service::open_sqlite takes SQLite settings too", "[storage][sqlite]") {
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

// Schema v6 packs an audit event's changes and an organization's metadata into columns
// (src/sqlite/packed.hpp). A file written by an older orgkit keeps every row through the
// migration, and new audit ids stay above the old ones.
TEST_CASE("schema: a version 5 file is migrated with its audit trail and metadata", "[storage][A1][sqlite]") {
  TempFile f("orgkit-migrate");
  {
    SQLite::Database db(f.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    sqlite::create_schema_at(db, 5);
    db.exec("INSERT INTO organizations (id, tenant, name, slug, created_by, created_at) "
            "VALUES (4, 'default', 'Acme', 'acme', 'u-a', 1000)");
    db.exec("INSERT INTO organization_metadata VALUES (4, 'region', 'eu'), (4, 'tier', '')");
    db.exec("INSERT INTO memberships (org_id, user_id, tenant, email, role, joined_at, email_key) "
            "VALUES (4, 'u-a', 'default', 'a@x.test', 'owner', 1000, 'a@x.test')");
    db.exec("INSERT INTO audit_events (id, tenant, org_id, actor, action, target, at, actor_kind) "
            "VALUES (7, 'default', 4, 'u-a', 'organization.created', '4', 1000, 'member'), "
            "(9, 'default', 4, 'u-a', 'member.role_changed', 'u-b', 2000, 'host')");
    db.exec("INSERT INTO audit_changes VALUES (9, 0, 'role', 'member', 'admin'), "
            "(9, 1, 'department', NULL, 'ops')");
    db.exec("INSERT INTO invitations (id, org_id, tenant, kind, email, email_key, role, state, "
            "token_hash, invited_by, created_at, expires_at) VALUES (12, 4, 'default', 'email', "
            "'c@x.test', 'c@x.test', 'member', 'declined', x'01', 'u-a', 1000, 9000)");
    // A deleted invitation left the AUTOINCREMENT high-water mark above the largest id.
    db.exec("UPDATE sqlite_sequence SET seq = 20 WHERE name = 'invitations'");
    db.exec("UPDATE commit_sequence SET sequence = 3");
  }
  SqliteOptions so;
  so.path = f.path();
  auto store = open_sqlite(so);
  REQUIRE_OK(store);
  {
    auto tx = (*store)->begin_read();
    REQUIRE_OK(tx);
    auto org = (*tx)->find_organization(default_tenant(), OrgId(4));
    REQUIRE_OK(org);
    REQUIRE(org->has_value());
    CHECK((*org)->metadata == std::map<std::string, std::string>{{"region", "eu"}, {"tier", ""}});
    auto events = (*tx)->list_audit_events(default_tenant(), OrgId(4), {}, 10);
    REQUIRE_OK(events);
    REQUIRE(events->size() == 2);
    CHECK((*events)[0].id == AuditEventId(9));
    CHECK((*events)[0].actor_kind == PrincipalKind::host);
    REQUIRE((*events)[0].changes.size() == 2);
    CHECK((*events)[0].changes[0].field == "role");
    CHECK((*events)[0].changes[0].before == std::optional<std::string>("member"));
    CHECK((*events)[0].changes[1].before == std::nullopt);
    CHECK((*events)[0].changes[1].after == std::optional<std::string>("ops"));
    CHECK((*events)[1].id == AuditEventId(7));
    CHECK((*events)[1].changes.empty());
    auto inv = (*tx)->find_invitation(default_tenant(), OrgId(4), InvitationId(12));
    REQUIRE_OK(inv);
    REQUIRE(inv->has_value());
    CHECK((*inv)->state == InvitationState::declined);
    CHECK((*inv)->email == "c@x.test");
  }
  auto tx = (*store)->begin_write(WriteScope{default_tenant(), {OrgId(4)}});
  REQUIRE_OK(tx);
  AuditEvent e;
  e.tenant = default_tenant();
  e.org = OrgId(4);
  e.actor = UserId("u-a");
  e.action = "organization.updated";
  e.target = "4";
  auto id = (*tx)->append_audit_event(e);
  REQUIRE_OK(id);
  CHECK(id->value() > 9);
  Invitation fresh;
  fresh.org = OrgId(4);
  fresh.kind = InvitationKind::link;
  fresh.role = "member";
  fresh.invited_by = UserId("u-a");
  auto inv_id = (*tx)->insert_invitation(default_tenant(), fresh, "", "\x02");
  REQUIRE_OK(inv_id);
  CHECK(inv_id->value() == 21);
  REQUIRE_OK((*tx)->commit());

  SQLite::Database db(f.path(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == sqlite_schema_version);
  CHECK(db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name IN ('audit_events', "
                      "'audit_changes', 'organization_metadata')")
            .getInt() == 0);
}

TEST_CASE("schema: damaged packed columns are a storage error, never a misread", "[storage][E2][sqlite]") {
  TempFile f("orgkit-damaged");
  SqliteOptions so;
  so.path = f.path();
  auto kit = Service::open_sqlite(so);
  REQUIRE_OK(kit);
  Actor alice{UserId("u-a"), "a@x.test", "A"};
  NewOrganization spec;
  spec.name = "Acme";
  spec.metadata = {{"region", "eu"}};
  auto org = (*kit)->create_organization(alice, spec);
  REQUIRE_OK(org);
  {
    SQLite::Database db(f.path(), SQLite::OPEN_READWRITE);
    // A length that runs past the end of the blob, in either column.
    db.exec("UPDATE organizations SET metadata = x'0106000000726567696f6e'");
    db.exec("UPDATE audit_log SET changes = x'01ffffffff'");
  }
  REQUIRE_ERROR((*kit)->get_organization(alice, org->id), ErrorCode::storage);
  auto store = open_sqlite(so);
  REQUIRE_OK(store);
  auto tx = (*store)->begin_read();
  REQUIRE_OK(tx);
  REQUIRE_ERROR((*tx)->list_audit_events(default_tenant(), org->id, {}, 10), ErrorCode::storage);
}

TEST_CASE("packed columns keep empty, null and binary items", "[storage][sqlite]") {
  const std::vector<FieldChange> changes{{"role", std::nullopt, std::string("admin")},
                                         {"note", std::string(""), std::nullopt},
                                         {"raw", std::string("a\0b", 3), std::string("\xff")}};
  auto back = sqlite::unpack_changes(sqlite::pack_changes(changes));
  REQUIRE(back.has_value());
  REQUIRE(back->size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK((*back)[i].field == changes[i].field);
    CHECK((*back)[i].before == changes[i].before);
    CHECK((*back)[i].after == changes[i].after);
  }
  const std::map<std::string, std::string> md{{"", "empty key"}, {"k", std::string("\0", 1)}};
  CHECK(sqlite::unpack_metadata(sqlite::pack_metadata(md)) == md);
  CHECK(sqlite::unpack_metadata("") == std::map<std::string, std::string>{});
  // Truncated, a wrong version byte, a null where a key must be: refused.
  std::string cut = sqlite::pack_changes(changes);
  cut.pop_back();
  CHECK_FALSE(sqlite::unpack_changes(cut).has_value());
  CHECK_FALSE(sqlite::unpack_changes("\x02").has_value());
  CHECK_FALSE(sqlite::unpack_metadata(std::string("\x01\xff\xff\xff\xff", 5)).has_value());
}
