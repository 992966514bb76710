// The SQLite store's plumbing: a guarded pool of connections, each with its own prepared
// statements, and the one mapping of SQLite errors to orgkit's. SQLiteCpp throws; `guarded`
// runs every storage step and turns any exception into an Error, so none leaves src/sqlite.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <orgkit/error.hpp>

#include "sqlite/schema.hpp"

namespace orgkit::sqlite {

// The one place where SQLite's errors become orgkit's. `unique_field` names the key a unique
// constraint protects in the operation at hand.
Error map_error(const SQLite::Exception& e, std::string_view operation,
                std::string_view unique_field = {});

// Runs `f`, turning any exception into an Error; the return type is f's Result<T>.
template <class F>
auto guarded(std::string_view operation, F&& f, std::string_view unique_field = {})
    -> decltype(f()) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    return fail(map_error(e, operation, unique_field));
  } catch (const std::bad_alloc&) {
    return fail(Error::storage_failure(fmt::format("{}: out of memory", operation)));
  } catch (const std::exception& e) {
    return fail(Error::storage_failure(fmt::format("{} failed: {}", operation, e.what())));
  }
}

// One connection and its prepared statements, keyed by the address of their SQL literal.
struct Connection {
  Connection(const SqliteOptions& options, bool in_memory)
      // SQLite's own (default) VFS: no fast path goes around SQLite's I/O, locking or shared
      // memory (a VFS that did lost other writers' commits; docs/rules.md, fast paths).
      : db(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
    sqlite::configure_connection(db, options, in_memory);
  }

  SQLite::Statement& statement(const char* sql) {
    auto it = statements.find(sql);
    if (it == statements.end()) {
      it = statements.emplace(sql, Cached{std::make_unique<SQLite::Statement>(db, sql)}).first;
    }
    Cached& c = it->second;
    SQLite::Statement& s = *c.statement;
    // tryReset, not reset: after a failed step reset() rethrows that step's error.
    (void)s.tryReset();
    s.clearBindings();
    if (!c.in_use) {
      c.in_use = true;
      in_use.push_back(&c);
    }
    return s;
  }

  // Resets every statement used since the last reset. A statement left mid-result (a lookup
  // that read only its first row) keeps the connection's read snapshot open: the connection
  // would go on seeing old data, including in check(), and SQLite would not call the busy
  // handler for it, so its next writer would fail at once instead of waiting. Run before a
  // transaction ends and when the connection goes back to the pool. Only the statements
  // used are reset: a check, which uses one, does not pay for the dozens a connection that
  // served other operations has prepared.
  void reset_all() noexcept {
    for (Cached* c : in_use) {
      (void)c->statement->tryReset();
      c->in_use = false;
    }
    in_use.clear();
  }

  struct Cached {
    std::unique_ptr<SQLite::Statement> statement;
    bool in_use = false;  // listed in `in_use`
  };
  SQLite::Database db;
  std::unordered_map<const char*, Cached> statements;  // stable addresses: node-based
  std::vector<Cached*> in_use;
};

class Pool;

// A connection borrowed from the pool; given back when destroyed.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  // `in_memory`: one connection, whatever options.max_connections says.
  Pool(SqliteOptions options, bool in_memory)
      : options_(std::move(options)),
        max_(in_memory ? 1 : options_.max_connections),
        in_memory_(in_memory) {
    idle_.reserve(static_cast<std::size_t>(max_));
  }

  // Throws SQLite::Exception if a new connection cannot be opened, or (as SQLITE_BUSY) if
  // every connection stayed in use for the busy timeout: a caller that holds the only
  // connection of ":memory:" and asks for another gets an error, not a hang.
  Lease acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                      [&] { return !idle_.empty() || open_ < max_; })) {
      throw SQLite::Exception("all connections are in use", SQLITE_BUSY);
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++open_;
    lock.unlock();
    try {
      return Lease(this, std::make_unique<Connection>(options_, in_memory_));
    } catch (...) {
      lock.lock();
      --open_;
      cv_.notify_one();
      throw;
    }
  }

  void release(std::unique_ptr<Connection> c) {
    c->reset_all();  // backstop: no connection goes back to the pool holding a snapshot
    // Nor holding a transaction (say, BEGIN succeeded and what followed threw): it would
    // keep the write lock from every other connection and process.
    if (sqlite3_get_autocommit(c->db.getHandle()) == 0) (void)c->db.tryExec("ROLLBACK");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

 private:
  SqliteOptions options_;
  int max_;
  bool in_memory_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

inline Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

}  // namespace orgkit::sqlite
