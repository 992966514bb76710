// Connections, the pool and the error mapping of the PostgreSQL store. Why the pool works as
// it does: a server restart breaks every connection at once, so the first broken one found
// also drops the idle ones; reconnecting is retried within a budget so that a short restart
// is invisible to the next operation, and a long one becomes `unavailable`, never a hang.
#include "postgres/connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace orgkit::postgres {

namespace {

// SQLSTATE classes and codes this backend tells apart (PostgreSQL, Appendix A).
bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Error unavailable(std::string message) {
  return Error{ErrorCode::unavailable, {}, std::move(message)};
}

Error map_sql_error(const pqxx::sql_error& e, std::string_view operation,
                    std::string_view unique_field) {
  const std::string& state = e.sqlstate();
  if (state == "23505") {
    return Error::exists(std::string(unique_field), fmt::format("{}: already exists", operation));
  }
  if (state == "23503") {
    return Error::not_found({}, fmt::format("{}: a referenced record does not exist", operation));
  }
  if (state == "40001" || state == "40P01") {
    return Error::aborted(fmt::format(
        "{}: a concurrent change to the same data won; nothing was applied", operation));
  }
  if (state == "57014" || state == "55P03") {
    return unavailable(fmt::format(
        "{}: the database stayed busy longer than the statement timeout", operation));
  }
  // 08: connection exception; 57P0x: the server is shutting down or starting; 53: out of
  // resources (too many connections).
  if (starts_with(state, "08") || starts_with(state, "57P") || starts_with(state, "53")) {
    return unavailable(fmt::format("{}: the database server is unavailable (SQLSTATE {})",
                                   operation, state));
  }
  // Never e.what(): the server's message can quote values (a DETAIL names the duplicate key).
  return Error::storage_failure(
      fmt::format("{} failed: the database reported SQLSTATE {}", operation,
                  state.empty() ? std::string("unknown") : state));
}

}  // namespace

Error map_error(const std::exception& e, std::string_view operation,
                std::string_view unique_field) {
  if (dynamic_cast<const commit_unknown*>(&e) != nullptr) {
    return Error{ErrorCode::unavailable, "commit",
                 fmt::format("{}: no answer came from the database server to the commit; the "
                             "change may or may not have been applied",
                             operation)};
  }
  if (dynamic_cast<const deadline_exceeded*>(&e) != nullptr) {
    return unavailable(fmt::format(
        "{}: the database server did not answer in time; nothing was applied", operation));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return map_sql_error(*sql, operation, unique_field);
  }
  if (dynamic_cast<const lost_race*>(&e) != nullptr) {
    return Error::aborted(fmt::format(
        "{}: a concurrent commit took the same position; nothing was applied", operation));
  }
  if (const auto* c = dynamic_cast<const connect_failure*>(&e)) {
    return unavailable(fmt::format("{}: {}", operation, c->what()));
  }
  if (dynamic_cast<const pool_exhausted*>(&e) != nullptr) {
    return unavailable(fmt::format(
        "{}: every database connection stayed in use longer than the statement timeout",
        operation));
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return unavailable(fmt::format(
        "{}: the connection was lost while committing; the change was applied completely or "
        "not at all",
        operation));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return unavailable(fmt::format("{}: the connection to the database server was lost; "
                                   "nothing was applied",
                                   operation));
  }
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return Error::storage_failure(fmt::format("{}: out of memory", operation));
  }
  // libpqxx's other exceptions (conversion, usage) carry no server text, but may carry a
  // statement: report the kind only.
  return Error::storage_failure(fmt::format("{} failed: unexpected database client error",
                                            operation));
}

bool breaks_connection(const std::exception& e) noexcept {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (dynamic_cast<const deadline_exceeded*>(&e) != nullptr) return true;
  if (dynamic_cast<const commit_unknown*>(&e) != nullptr) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    return starts_with(state, "08") || starts_with(state, "57P");
  }
  return false;
}

namespace {

// Why libpq could not connect, classified from its message (which is never repeated: it
// names the host or socket, and the user). English messages; anything else is "unreachable".
std::string connect_reason(const std::exception& e) {
  const std::string text = e.what();
  if (text.find("password") != std::string::npos ||
      text.find("authentication") != std::string::npos) {
    return "the database server refused the credentials";
  }
  if (text.find("does not exist") != std::string::npos) {
    return "the database or role named in the connection string does not exist";
  }
  if (text.find("too many") != std::string::npos) {
    return "the database server has no free connection slot";
  }
  if (text.find("invalid") != std::string::npos || text.find("missing") != std::string::npos) {
    return "the connection string is malformed";
  }
  return "could not reach the database server";
}

// A failure that waiting will not cure.
bool permanent(const std::string& reason) {
  return reason.find("credentials") != std::string::npos ||
         reason.find("malformed") != std::string::npos ||
         reason.find("does not exist") != std::string::npos;
}

}  // namespace

// --- Watchdog ---------------------------------------------------------------------------

namespace {
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Watchdog& Watchdog::instance() {
  static Watchdog watchdog;
  return watchdog;
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::add(Entry* e) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.push_back(e);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Watchdog::remove(Entry* e) {
  std::lock_guard<std::mutex> lock(mutex_);  // run() shuts sockets down under it
  entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
}

void Watchdog::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    const std::int64_t now = steady_ns();
    for (Entry* e : entries_) {
      const std::int64_t deadline = e->deadline_ns.load(std::memory_order_acquire);
      const int fd = e->fd.load(std::memory_order_acquire);
      if (deadline != 0 && now > deadline && fd >= 0 &&
          !e->fired.exchange(true, std::memory_order_acq_rel)) {
        // The descriptor stays open (libpq owns it and closes it); only its traffic ends, so
        // the blocked read or write returns at once. Its entry is removed before it closes.
        ::shutdown(fd, SHUT_RDWR);
      }
    }
  }
}

Deadline::Deadline(Watchdog::Entry& e, std::chrono::milliseconds timeout) : entry_(e) {
  entry_.deadline_ns.store(
      steady_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count(),
      std::memory_order_release);
}

void Deadline::check() const {
  if (entry_.fired.load(std::memory_order_acquire)) throw deadline_exceeded();
}

std::string with_connect_timeout(const std::string& conninfo, int seconds) {
  if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
  const std::string value = std::to_string(std::max(2, seconds));
  const bool uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
  if (!uri) return conninfo + (conninfo.empty() ? "" : " ") + "connect_timeout=" + value;
  return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" +
         value;
}

// --- Connection --------------------------------------------------------------------------

Connection::Connection(const Settings& settings)
    : conn_(with_connect_timeout(settings.conninfo, 2)),
      deadline_(settings.client_deadline()),
      quiet_(conn_),
      run_(conn_) {
  watch_.fd.store(conn_.sock(), std::memory_order_release);
  Watchdog::instance().add(&watch_);
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  // Never reconnect behind our back: a statement after a silent reconnect would run outside
  // the transaction it belongs to. The pool opens a fresh connection instead.
  conn_.inhibit_reactivation(true);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  // The schema name is checked ([a-z_][a-z0-9_]*) before it gets here, so quoting suffices.
  try {
    (void)exec_direct(fmt::format(
        "SET search_path TO \"{}\"; SET statement_timeout = {}; SET client_min_messages = warning",
        settings.schema, settings.statement_timeout_ms));
  } catch (...) {
    Watchdog::instance().remove(&watch_);
    throw;
  }
}

Connection::~Connection() { Watchdog::instance().remove(&watch_); }

void Connection::commit() {
  try {
    (void)exec_direct("COMMIT");
  } catch (const pqxx::sql_error& e) {
    // The server answered: it did not commit (a deferred constraint, a serialization
    // failure), unless the error says the connection itself is gone.
    if (breaks_connection(e)) throw commit_unknown();
    throw;
  } catch (const deadline_exceeded&) {
    throw commit_unknown();
  } catch (const pqxx::broken_connection&) {
    throw commit_unknown();
  }
}

const std::string& Connection::name_of(const char* sql) {
  auto it = names_.find(sql);
  if (it == names_.end()) {
    std::string name = "q" + std::to_string(names_.size());
    conn_.prepare(name, sql);
    it = names_.emplace(sql, std::move(name)).first;
  }
  return it->second;
}

void Connection::rollback_quietly() noexcept {
  if (!in_transaction) return;
  try {
    run_.exec("ROLLBACK");
    in_transaction = false;
  } catch (...) {
    broken_ = true;
  }
}

Pool::Pool(Settings settings) : settings_(std::move(settings)) {
  idle_.reserve(static_cast<std::size_t>(settings_.pool_size));
}

std::unique_ptr<Connection> Pool::connect() {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(settings_.reconnect_budget_ms);
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    try {
      return std::make_unique<Connection>(settings_);
    } catch (const pqxx::sql_error&) {
      throw;  // connected, but the session setup failed: not a connection problem
    } catch (const std::exception& e) {
      const std::string reason = connect_reason(e);
      const auto now = clock::now();
      if (permanent(reason) || now >= deadline) throw connect_failure(reason);
      std::this_thread::sleep_for(std::min<clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
  }
}

Lease Pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_for(lock, std::chrono::milliseconds(settings_.statement_timeout_ms),
                    [&] { return !idle_.empty() || open_ < settings_.pool_size; })) {
    throw pool_exhausted();
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(this, connect());
  } catch (...) {
    lock.lock();
    --open_;
    cv_.notify_one();
    throw;
  }
}

void Pool::release(std::unique_ptr<Connection> c) noexcept {
  // No connection goes back holding a transaction (a failure between BEGIN and the end).
  c->rollback_quietly();
  std::vector<std::unique_ptr<Connection>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (c->usable()) {
      idle_.push_back(std::move(c));
    } else {
      // One broken connection usually means all of them are (the server restarted): drop the
      // idle ones too, so that the next operations connect afresh instead of each finding a
      // dead connection first.
      dropped.swap(idle_);
      open_ -= 1 + static_cast<int>(dropped.size());
    }
  }
  cv_.notify_all();
  // Closing happens outside the lock; closing a dead connection does not throw.
}

std::string email_key(std::string_view email) {
  std::size_t b = 0;
  std::size_t e = email.size();
  while (b < e && email[b] == ' ') ++b;
  while (e > b && email[e - 1] == ' ') --e;
  std::string key(email.substr(b, e - b));
  for (char& ch : key) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return key;
}

}  // namespace orgkit::postgres
