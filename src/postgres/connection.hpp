// The PostgreSQL store's plumbing: connections with their prepared statements, a guarded
// pool that drops broken connections and opens fresh ones within a reconnect budget, and the
// one mapping of libpqxx's exceptions to orgkit's errors. libpqxx throws; `guarded` runs every
// storage step and turns any exception into an Error, so none leaves src/postgres.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <atomic>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <orgkit/error.hpp>

namespace orgkit::postgres {

/// What open_postgres was given, checked.
struct Settings {
  std::string conninfo;
  std::string schema;
  int pool_size = 8;
  int statement_timeout_ms = 10000;
  int reconnect_budget_ms = 2000;

  /// How long the client waits for the server's answer to one statement before it gives up
  /// on the connection: the server's own statement_timeout plus a grace for it to report.
  [[nodiscard]] std::chrono::milliseconds client_deadline() const {
    return std::chrono::milliseconds(statement_timeout_ms) + client_grace;
  }
  static constexpr std::chrono::milliseconds client_grace{2000};
};

/// `conninfo` with libpq's connect_timeout (whole seconds, at least 2) added unless it has
/// one: a server that accepts the connection but never answers would otherwise hold
/// connect() forever.
std::string with_connect_timeout(const std::string& conninfo, int seconds);

/// Why a connection could not be opened, in words that never repeat the connection string,
/// a password or what libpq printed (which names hosts and sockets).
class connect_failure : public std::runtime_error {
 public:
  explicit connect_failure(const std::string& reason) : std::runtime_error(reason) {}
};

/// Every pooled connection was busy for the statement timeout.
class pool_exhausted : public std::runtime_error {
 public:
  pool_exhausted() : std::runtime_error("pool exhausted") {}
};

/// A transaction lost a race that libpqxx does not report as such (two commits at one WAL
/// position); mapped to aborted.
class lost_race : public std::runtime_error {
 public:
  lost_race() : std::runtime_error("lost race") {}
};

/// A statement that the server did not answer within the client-side deadline: the
/// connection's socket was shut down under libpq (Watchdog), so it is broken.
class deadline_exceeded : public std::runtime_error {
 public:
  deadline_exceeded() : std::runtime_error("deadline exceeded") {}
};

/// COMMIT was sent, and no answer came (the deadline passed, or the connection broke): the
/// transaction may have committed or not. Mapped to unavailable with field "commit".
class commit_unknown : public std::runtime_error {
 public:
  commit_unknown() : std::runtime_error("commit outcome unknown") {}
};

/// Bounds every wait on the server by the client's own clock. libpq (through libpqxx) waits
/// for an answer without a limit, and a hung server (its processes stopped, a network path
/// that drops packets) keeps the connection open without answering: statement_timeout is
/// the server's own and cannot fire then. Each connection arms a deadline around every
/// statement; one thread per process checks the armed ones every 50 ms and shuts down the
/// socket of a connection whose deadline has passed, which makes libpq's wait return with an
/// error at once. The server, if it ever resumes, sees its client gone and rolls back.
class Watchdog {
 public:
  struct Entry {
    std::atomic<int> fd{-1};
    std::atomic<std::int64_t> deadline_ns{0};  // steady clock; 0: not armed
    std::atomic<bool> fired{false};
  };
  /// The process's watchdog (its thread starts with the first entry).
  static Watchdog& instance();
  void add(Entry* e);
  void remove(Entry* e);  // after it returns, the watchdog no longer touches e or its socket
  ~Watchdog();

 private:
  Watchdog() = default;
  void run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Entry*> entries_;
  std::thread thread_;
  bool stop_ = false;
};

/// Arms `e` for `timeout` while it lives.
class Deadline {
 public:
  Deadline(Watchdog::Entry& e, std::chrono::milliseconds timeout);
  ~Deadline() { entry_.deadline_ns.store(0, std::memory_order_release); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  /// Throws deadline_exceeded if the deadline fired (call while handling the exception that
  /// the shut-down socket caused).
  void check() const;

 private:
  Watchdog::Entry& entry_;
};

/// The one place where libpqxx's (and this backend's own) exceptions become orgkit's errors.
/// `unique_field` names the key a unique constraint protects in the operation at hand.
Error map_error(const std::exception& e, std::string_view operation,
                std::string_view unique_field = {});

/// Runs `f`, turning any exception into an Error; the return type is f's Result<T>.
template <class F>
auto guarded(std::string_view operation, F&& f, std::string_view unique_field = {})
    -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail(map_error(e, operation, unique_field));
  } catch (...) {
    return fail(Error::storage_failure(std::string(operation) + " failed"));
  }
}

/// Whether `e` says the connection it came from is unusable.
bool breaks_connection(const std::exception& e) noexcept;

/// One server connection, its session settings, and its prepared statements, keyed by the
/// address of their SQL literal (as the SQLite backend keys its statements).
class Connection {
 public:
  /// Connects (once: the pool retries) and sets the session up: search_path = the store's
  /// schema, statement_timeout, no notices on stderr. Throws.
  explicit Connection(const Settings& settings);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ~Connection();

  /// Runs `sql` as a prepared statement (prepared on first use) with `args`. Throws
  /// deadline_exceeded if the server did not answer within the client-side deadline.
  template <class... Args>
  pqxx::result exec(const char* sql, Args&&... args) {
    const std::string& name = name_of(sql);
    Deadline d(watch_, deadline_);
    try {
      return run_.exec_prepared(name, std::forward<Args>(args)...);
    } catch (...) {
      d.check();
      throw;
    }
  }

  /// Runs `sql` as it is, unprepared (BEGIN, ROLLBACK, DDL).
  pqxx::result exec_direct(const std::string& sql) {
    Deadline d(watch_, deadline_);
    try {
      return run_.exec(sql);
    } catch (...) {
      d.check();
      throw;
    }
  }

  /// Sends COMMIT. Throws commit_unknown if no answer came (the deadline passed or the
  /// connection broke after it was sent), whatever else libpqxx reports then.
  void commit();

  /// Whether the connection may go back to the pool.
  [[nodiscard]] bool usable() const noexcept {
    return !broken_ && !watch_.fired.load(std::memory_order_acquire) && conn_.is_open();
  }
  void mark_broken() noexcept { broken_ = true; }

  /// Ends a transaction left open (a failure mid-way); marks the connection broken if even
  /// that fails. Never throws.
  void rollback_quietly() noexcept;
  bool in_transaction = false;

 private:
  const std::string& name_of(const char* sql);

  pqxx::connection conn_;
  Watchdog::Entry watch_;
  std::chrono::milliseconds deadline_;  // the client-side bound of one statement
  pqxx::quiet_errorhandler quiet_;  // server notices are not printed on stderr
  pqxx::nontransaction run_;        // BEGIN and COMMIT are sent as statements
  std::unordered_map<const char*, std::string> names_;
  bool broken_ = false;
};

class Pool;

/// A connection borrowed from the pool; given back (or dropped if broken) when destroyed.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

/// At most `pool_size` connections, opened lazily. Idle connections are kept; a broken one
/// is dropped and, as a server restart breaks them all, so are the idle ones with it.
class Pool {
 public:
  explicit Pool(Settings settings);

  /// An idle connection, or a new one (connecting within the reconnect budget). Throws
  /// pool_exhausted after waiting the statement timeout for a free slot, connect_failure.
  Lease acquire();

  /// Runs `step(Connection&)` on a pooled connection. `step` must be safe to run twice: if
  /// the connection turns out to be broken (a pooled connection after a server restart),
  /// it runs once more on a fresh one. Throws what the last attempt threw.
  template <class F>
  auto with_retry(F&& step) -> decltype(step(std::declval<Lease&>())) {
    for (int attempt = 1;; ++attempt) {
      Lease lease = acquire();
      try {
        return step(lease);
      } catch (const std::exception& e) {
        // A server that did not answer in time is not retried: it would not answer again.
        const bool late = dynamic_cast<const deadline_exceeded*>(&e) != nullptr;
        if (breaks_connection(e)) lease->mark_broken();
        if (!breaks_connection(e) || late || attempt >= 2) throw;
      }
    }
  }

  const Settings& settings() const { return settings_; }

 private:
  friend class Lease;
  void release(std::unique_ptr<Connection> c) noexcept;
  std::unique_ptr<Connection> connect();

  Settings settings_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

inline Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

/// The key orgkit matches emails by: trimmed of spaces, ASCII lower-cased (the SQLite
/// backend's lower(trim()), computed here so that the database's locale plays no part).
std::string email_key(std::string_view email);

}  // namespace orgkit::postgres
