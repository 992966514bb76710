// The gathering VFS (src/sqlite/wal_vfs.hpp; E3, C1): a commit's WAL frames are written with
// one call, and nothing about the file changes for anyone else. These tests open SQLite
// directly through the VFS and read back through SQLite's default VFS: what another
// connection or process would see at once, and what SQLite would recover from the WAL file
// after a crash.
#include "support/test_support.hpp"

#include <filesystem>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "sqlite/wal_vfs.hpp"

using namespace orgkit;
using test::TempFile;

namespace {

const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;

// A connection through the gathering VFS, in WAL mode, checkpointing only when told to.
SQLite::Database gathering(const std::string& path) {
  REQUIRE(sqlite::wal_vfs_name() != nullptr);
  SQLite::Database db(path, flags, 5000, sqlite::wal_vfs_name());
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  return db;
}

// A table whose every row writes four pages: the row and three indexes.
void create_table(SQLite::Database& db) {
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)");
  db.exec("CREATE INDEX t_a ON t (a)");
  db.exec("CREATE INDEX t_b ON t (b)");
  db.exec("CREATE INDEX t_c ON t (c)");
}

void insert_rows(SQLite::Database& db, int from, int to, int width = 20) {
  SQLite::Statement s(db, "INSERT INTO t VALUES (?, ?, ?, ?)");
  for (int i = from; i < to; ++i) {
    const std::string v = std::to_string(i) + std::string(static_cast<std::size_t>(width), 'x');
    s.bind(1, i);
    s.bind(2, "a" + v);
    s.bind(3, "b" + v);
    s.bind(4, "c" + v);
    s.exec();
    s.reset();
  }
}

std::int64_t count_rows(SQLite::Database& db) {
  return db.execAndGet("SELECT count(*) FROM t").getInt64();
}

std::string integrity(SQLite::Database& db) {
  return db.execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_CASE("WAL VFS: a commit of several pages is one write, seen at once by another connection",
          "[E3][C1][sqlite]") {
  if (test::storage_kind() != "file") return;  // SQLite files of its own
  TempFile file("orgkit-wal-vfs");
  auto writer = gathering(file.path());
  create_table(writer);
  SQLite::Database reader(file.path(), SQLite::OPEN_READONLY);  // SQLite's default VFS
  REQUIRE(count_rows(reader) == 0);
  for (int i = 0; i < 20; ++i) {
    const auto before = sqlite::wal_vfs_counts();
    insert_rows(writer, i, i + 1);  // one transaction: the row and its three index entries
    const auto after = sqlite::wal_vfs_counts();
    // Four pages or more, each a header and a page: one run of at least eight writes.
    CHECK(after.runs - before.runs == 1);
    CHECK(after.writes - before.writes >= 8);
    CHECK(count_rows(reader) == i + 1);
  }
  const std::string a = reader.execAndGet("SELECT a FROM t WHERE id = 19").getString();
  CHECK(a == "a19" + std::string(20, 'x'));
  CHECK(integrity(reader) == "ok");
}

TEST_CASE("WAL VFS: a transaction larger than a run, spilled and rewritten before commit, is whole",
          "[E3][sqlite]") {
  if (test::storage_kind() != "file") return;  // SQLite files of its own
  TempFile file("orgkit-wal-vfs-large");
  auto writer = gathering(file.path());
  create_table(writer);
  // A page cache of 20 pages makes SQLite spill this transaction's pages to the WAL long
  // before it commits, read them back, and write some of them again in place.
  writer.exec("PRAGMA cache_size = 20");
  SQLite::Database reader(file.path(), SQLite::OPEN_READONLY);
  {
    SQLite::Transaction tx(writer);
    insert_rows(writer, 0, 3000, 200);  // about 2 MB of pages: many runs of at most 96 KiB
    CHECK(count_rows(writer) == 3000);  // read through the spilled pages
    writer.exec("UPDATE t SET a = 'z' || a WHERE id % 7 = 0");
    CHECK(writer.execAndGet("SELECT count(*) FROM t WHERE a LIKE 'z%'").getInt() == 429);
    CHECK(count_rows(reader) == 0);  // nothing committed yet
    tx.commit();
  }
  CHECK(count_rows(reader) == 3000);
  CHECK(reader.execAndGet("SELECT count(*) FROM t WHERE a LIKE 'z%'").getInt() == 429);
  CHECK(integrity(reader) == "ok");
}

TEST_CASE("WAL VFS: the WAL file on disk is one SQLite recovers after a crash", "[E3][sqlite]") {
  if (test::storage_kind() != "file") return;  // SQLite files of its own
  TempFile file("orgkit-wal-vfs-crash");
  TempFile copy("orgkit-wal-vfs-crash-copy");
  auto writer = gathering(file.path());
  create_table(writer);
  for (int i = 0; i < 50; ++i) insert_rows(writer, i, i + 1);
  {
    SQLite::Transaction tx(writer);
    insert_rows(writer, 50, 1050, 100);
    tx.commit();
  }
  writer.exec("DELETE FROM t WHERE id % 3 = 0");
  // The files as a crash would leave them now (the WAL not checkpointed, no shared memory):
  // SQLite rebuilds its index from the WAL's frames and their checksums alone.
  REQUIRE(std::filesystem::file_size(file.path() + "-wal") > 0);
  std::filesystem::copy_file(file.path(), copy.path());
  std::filesystem::copy_file(file.path() + "-wal", copy.path() + "-wal");
  SQLite::Database recovered(copy.path(), SQLite::OPEN_READWRITE);
  CHECK(count_rows(recovered) == 1050 - 350);
  CHECK(recovered.execAndGet("SELECT count(*) FROM t WHERE id % 3 = 0").getInt() == 0);
  CHECK(integrity(recovered) == "ok");
}
