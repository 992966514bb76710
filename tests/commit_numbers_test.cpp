// The SQLite backend's commit numbers (U1; issue 9, item 5): taken in the change signal's
// shared file, with the database's commit_sequence row reserved ahead in blocks
// (src/sqlite/change_signal.hpp). What must hold whatever happens to that file: numbers only
// grow, never repeat (audit ids are made from them, keyed per organization), and every
// committed number is at most the row's mark, so that a process that starts from the row
// numbers above everything committed.
#include "support/test_support.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <SQLiteCpp/Database.h>

#include "sqlite/change_signal.hpp"

using namespace orgkit;
using test::TempFile;

namespace {

std::unique_ptr<Storage> open_store(const std::string& path) {
  SqliteOptions so;
  so.path = path;
  auto store = open_sqlite(so);
  REQUIRE_OK(store);
  return std::move(*store);
}

struct Written {
  CommitToken token;
  AuditEventId audit;
};

// One write transaction: one audit event in organization 1, committed.
Written write_one(Storage& store) {
  auto tx = store.begin_write(WriteScope{default_tenant(), {OrgId(1)}});
  REQUIRE_OK(tx);
  AuditEvent e;
  e.tenant = default_tenant();
  e.org = OrgId(1);
  e.actor = UserId("u-a");
  e.action = "organization.updated";
  e.target = "1";
  auto id = (*tx)->append_audit_event(e);
  REQUIRE_OK(id);
  auto token = (*tx)->commit();
  REQUIRE_OK(token);
  return {*token, *id};
}

std::int64_t row_mark(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT sequence FROM commit_sequence").getInt64();
}

constexpr auto block = static_cast<std::int64_t>(sqlite::ShmChangeSignal::sequence_block);

}  // namespace

TEST_CASE("commit numbers: a commit writes no page for its number, the row stays ahead",
          "[U1][sqlite]") {
  TempFile f("orgkit-numbers");
  auto store = open_store(f.path());
  const Written first = write_one(*store);
  const std::int64_t mark = row_mark(f.path());
  CHECK(static_cast<std::int64_t>(first.token.sequence()) <= mark);
  CHECK(mark >= static_cast<std::int64_t>(first.token.sequence()) + block - 1);
  // The next commits inside the block leave the row as it was: it is not written per commit.
  CommitToken last = first.token;
  for (int i = 0; i < 20; ++i) {
    const Written w = write_one(*store);
    CHECK(w.token > last);
    last = w.token;
  }
  CHECK(row_mark(f.path()) == mark);
  // A transaction that wrote nothing reports the last number, and takes none.
  {
    auto tx = store->begin_write(WriteScope{default_tenant(), {OrgId(1)}});
    REQUIRE_OK(tx);
    auto token = (*tx)->commit();
    REQUIRE_OK(token);
    CHECK(*token == last);
    auto read = store->begin_read();
    REQUIRE_OK(read);
    auto read_token = (*read)->commit();
    REQUIRE_OK(read_token);
    CHECK(*read_token == last);
  }
  CHECK(write_one(*store).token.sequence() == last.sequence() + 1);
}

TEST_CASE("commit numbers: past a block the row is raised again, numbers run on",
          "[U1][sqlite]") {
  TempFile f("orgkit-numbers-block");
  auto store = open_store(f.path());
  std::set<std::int64_t> audit_ids;
  CommitToken last;
  std::int64_t highest = 0;
  for (std::int64_t i = 0; i < block + 10; ++i) {
    const Written w = write_one(*store);
    CHECK(w.token > last);
    last = w.token;
    highest = static_cast<std::int64_t>(w.token.sequence());
    audit_ids.insert(w.audit.value());
  }
  CHECK(audit_ids.size() == static_cast<std::size_t>(block + 10));
  CHECK(row_mark(f.path()) >= highest);
  CHECK(row_mark(f.path()) < highest + block);
}

TEST_CASE("commit numbers: grow across reopening, with the shared file kept or lost",
          "[U1][sqlite]") {
  TempFile f("orgkit-numbers-reopen");
  CommitToken last;
  std::int64_t last_audit = 0;
  for (const bool lose_shared_file : {false, true, false, true}) {
    {
      auto store = open_store(f.path());
      for (int i = 0; i < 3; ++i) {
        const Written w = write_one(*store);
        CHECK(w.token > last);
        CHECK(w.audit.value() > last_audit);
        last = w.token;
        last_audit = w.audit.value();
      }
    }
    if (lose_shared_file) REQUIRE(std::filesystem::remove(f.path() + "-orgkit-shm"));
  }
}

TEST_CASE("commit numbers: a shared file behind the row counts on from the row",
          "[U1][sqlite]") {
  // The row was raised by processes that used another shared file (a copy of the database,
  // say): numbering from the stale file would repeat their numbers.
  TempFile f("orgkit-numbers-behind");
  {
    auto store = open_store(f.path());
    (void)write_one(*store);
  }
  const std::int64_t raised = row_mark(f.path()) + 5 * block;
  {
    SQLite::Database db(f.path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE commit_sequence SET sequence = " + std::to_string(raised));
  }
  auto store = open_store(f.path());
  CHECK(static_cast<std::int64_t>(write_one(*store).token.sequence()) > raised);
}

TEST_CASE("commit numbers: a database behind its shared file reserves again", "[U1][sqlite]") {
  // A database restored from an older copy (here: its row set back) under a shared file that
  // numbered past it: numbers go on from the file, and the row is raised past them again, so
  // that losing the file afterwards cannot bring old numbers back.
  TempFile f("orgkit-numbers-restored");
  CommitToken before;
  {
    auto store = open_store(f.path());
    for (int i = 0; i < 3; ++i) before = write_one(*store).token;
  }
  {
    SQLite::Database db(f.path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE commit_sequence SET sequence = 0");
  }
  CommitToken after;
  {
    auto store = open_store(f.path());
    after = write_one(*store).token;
    CHECK(after > before);
    CHECK(row_mark(f.path()) >= static_cast<std::int64_t>(after.sequence()));
  }
  REQUIRE(std::filesystem::remove(f.path() + "-orgkit-shm"));
  auto store = open_store(f.path());
  CHECK(write_one(*store).token > after);
}

TEST_CASE("a store that cannot have the shared file is refused, not opened without it",
          "[U1][C1][sqlite]") {
  // A store without the shared file would number its commits from the row and, worse, its
  // writes would never reach the change signal that every other process's cached checks
  // trust: they would go on allowing what it revoked. So it must not open at all.
  TempFile f("orgkit-numbers-mixed");
  {
    auto created = open_store(f.path());  // creates the schema
    (void)write_one(*created);
  }
  const std::string shared = f.path() + "-orgkit-shm";
  std::filesystem::remove(shared);
  std::filesystem::create_directory(shared);  // stands where the file must go
  SqliteOptions so;
  so.path = f.path();
  auto refused = open_sqlite(so);
  REQUIRE_ERROR(refused, ErrorCode::storage);
  CHECK(refused.error().message.find("-orgkit-shm") != std::string::npos);

  // Nor is a file of another layout (a newer orgkit's) used, or changed.
  std::filesystem::remove(shared);
  const std::string foreign(sizeof(sqlite::ShmChangeSignal::Shared), 'z');
  std::ofstream(shared, std::ios::binary) << foreign;
  REQUIRE_ERROR(open_sqlite(so), ErrorCode::storage);
  {
    std::ifstream in(shared, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(after == foreign);
  }

  // Once the file can be made, the store opens, its cache works and numbering goes on.
  std::filesystem::remove(shared);
  const std::int64_t mark = row_mark(f.path());
  auto with = open_store(f.path());
  REQUIRE(with->change_signal() != nullptr);
  CHECK(static_cast<std::int64_t>(write_one(*with).token.sequence()) > mark);
}

TEST_CASE("commit numbers: a shared file of the previous layout is taken over",
          "[U1][sqlite][C1]") {
  TempFile f("orgkit-numbers-layout");
  {
    auto store = open_store(f.path());
    (void)write_one(*store);
  }
  const std::int64_t mark = row_mark(f.path());
  // Layout 1: the same header and counters, without the commit numbers at the end.
  const std::string shared = f.path() + "-orgkit-shm";
  std::filesystem::remove(shared);
  {
    std::string bytes(sizeof(sqlite::ShmChangeSignal::Shared) - 3 * sizeof(std::uint64_t), '\0');
    const std::uint64_t magic = 0x6f72676b69747368ULL;
    const std::uint32_t layout = 1, slots = sqlite::ShmChangeSignal::slot_count;
    std::memcpy(&bytes[0], &magic, 8);
    std::memcpy(&bytes[8], &layout, 4);
    std::memcpy(&bytes[12], &slots, 4);
    std::ofstream(shared, std::ios::binary) << bytes;
  }
  auto store = open_store(f.path());
  REQUIRE(store->change_signal() != nullptr);  // the cache keeps working after an upgrade
  CHECK(static_cast<std::int64_t>(write_one(*store).token.sequence()) > mark);
  CHECK(std::filesystem::file_size(shared) == sizeof(sqlite::ShmChangeSignal::Shared));
}
