// What only the SQLite backend has: open_sqlite's options, refusing foreign and newer files,
// and its schema version. The Storage contract itself (every method, every backend) is the
// conformance suite in tests/conformance/, which runs SQLite in memory and on a file.
#include "support/test_support.hpp"

#include <fstream>

#include <sqlite3.h>

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
  SqliteOptions big_cache;
  big_cache.cache_kib = 1024 * 1024;
  REQUIRE_OK(open_sqlite(big_cache));

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
