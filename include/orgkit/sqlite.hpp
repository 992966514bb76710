// orgkit/sqlite.hpp: the bundled SQLite storage.
//
// open_sqlite() opens (creating if needed) a database file, or an in-memory database, and
// brings its schema to the current version (PRAGMA user_version; older files are migrated in
// one transaction, newer ones are refused).
//
// Connections: a file database is served by a small guarded pool of connections (at most
// `max_connections`, opened lazily); each thread takes a connection for the length of one
// transaction or one check and gives it back. ":memory:" is served by exactly one connection
// (an in-memory database exists only inside its connection), so its users take turns.
//
// Every connection runs with foreign keys on, WAL journaling (files), synchronous=NORMAL (or
// FULL: SqliteOptions::durability) and a busy timeout; write transactions begin IMMEDIATE, so contention waits for the lock
// instead of failing half-way. Several processes may open the same file (on one host: WAL
// needs shared memory). Never open the file with anything but SQLite while it is in use.
//
// Next to the file, "<file>-orgkit-shm" (64 KiB, mapped by every orgkit process on the file)
// carries the change signal of cached checks and the commit numbers; do not delete it while
// processes use the file. The database reserves commit numbers ahead, so they never repeat,
// even when that file is lost between runs.
//
// Example:
//   orgkit::SqliteOptions options;
//   options.path = "orgkit.db";
//   auto storage = orgkit::open_sqlite(options);
//   if (!storage) { std::cerr << storage.error() << '\n'; return 1; }
//   auto kit = orgkit::Service::create(std::move(*storage));  // or Service::open_sqlite(options)
#pragma once

#include <orgkit/export.hpp>

#include <memory>
#include <string>

#include <orgkit/error.hpp>
#include <orgkit/storage.hpp>

namespace orgkit {

/// What a commit that has returned survives (SqliteOptions::durability).
enum class SqliteDurability {
  /// The process being killed at any moment, by a crash or SIGKILL (synchronous=NORMAL, the
  /// default). The log is synced to the device at checkpoints only, so an operating system
  /// crash or a power loss may take back the commits since the last checkpoint, though
  /// never part of one and never the file's integrity: the database opens with a prefix of
  /// its commits.
  process_crash,
  /// A power loss or operating system crash as well (synchronous=FULL): every commit syncs
  /// the log before it returns, which costs one fsync per write (milliseconds on many disks;
  /// README, Performance). Checks are unaffected.
  power_loss,
};

struct SqliteOptions {
  std::string path = ":memory:";  ///< A file path, or ":memory:".
  int busy_timeout_ms = 10000;    ///< How long a writer waits for the lock before `unavailable`.
  int max_connections = 8;        ///< Pool size for file databases (1-64).
  /// Page cache per connection, in KiB (64-1048576). A transaction larger than it (a big CSV
  /// import) spills pages to the log and writes them more than once; raise it for those.
  int cache_kib = 8192;
  /// How many pages (4 KiB each) the write-ahead log may hold before a commit copies them back
  /// into the database file (SQLite's wal_autocheckpoint; 100-1000000). A checkpoint writes each
  /// page it copies once and syncs the file, however many commits changed that page since the
  /// last one, so a longer interval writes less per commit; the log file grows to about this
  /// size (16 MiB by default) and is reused from its start after each checkpoint.
  int checkpoint_pages = 4000;
  /// How much of the file, in MiB, SQLite may read through a memory map instead of read calls
  /// (SQLite's mmap_size; 0-1048576, 0 = off, the default). For a file much larger than the
  /// page cache, reads that miss the cache then cost no system call and no copy: cold checks
  /// at 10,000,000 memberships took 7.2 µs with the file mapped, 12.3 µs without (README,
  /// Performance). Mapped pages count in the process's RSS, and an I/O error while reading
  /// one is a signal (SIGBUS), not an error code: leave it off on storage that can fail
  /// underneath a running process (network file systems).
  int mmap_mib = 0;
  /// What a returned commit survives; see SqliteDurability. Every connection of the store
  /// uses it; other stores on the same file may choose otherwise for their own commits.
  SqliteDurability durability = SqliteDurability::process_crash;
};

/// The schema version this build creates and understands.
inline constexpr int sqlite_schema_version = 8;

/// Opens a SQLite store. Errors: invalid_argument (field "path" or "max_connections"),
/// storage if the file cannot be opened or is not an orgkit database, conflict if the file
/// was written by a newer orgkit (schema version above sqlite_schema_version).
[[nodiscard]] ORGKIT_EXPORT Result<std::unique_ptr<Storage>> open_sqlite(
    const SqliteOptions& options);

}  // namespace orgkit
