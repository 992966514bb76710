// PgChangeSignal and await_listeners: see change_signal.hpp.
#include "postgres/change_signal.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <random>

#include <fmt/format.h>
#include <pqxx/nontransaction>
#include <pqxx/notification>

namespace orgkit::postgres {

namespace {

// The server's clock in milliseconds: leases are kept and compared on one clock, the server's.
#define ORGKIT_PG_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

constexpr const char* register_listener =
    "INSERT INTO listeners (lease_until) VALUES (" ORGKIT_PG_NOW_MS " + $1) RETURNING id";
// Renews only a lease that is still current on the server: once it has run out, writers
// may have stopped waiting for this listener, so it must start over (trust nothing, hear
// everything again) rather than extend a lease that writers no longer honour.
constexpr const char* renew_listener =
    "UPDATE listeners SET heard = greatest(heard, $2), lease_until = " ORGKIT_PG_NOW_MS
    " + $3 WHERE id = $1 AND lease_until > " ORGKIT_PG_NOW_MS;
// Rows of listeners that ended without deregistering (a crash), long after their lease.
constexpr const char* forget_dead_listeners =
    "DELETE FROM listeners WHERE lease_until < " ORGKIT_PG_NOW_MS " - 60000";
constexpr const char* deregister_listener = "DELETE FROM listeners WHERE id = $1";
constexpr const char* raise_barrier =
    "WITH b AS (SELECT nextval('barriers') AS b) SELECT b, pg_notify($1, 'b ' || b) FROM b";
constexpr const char* listeners_behind =
    "SELECT count(*) FROM listeners WHERE id <> $1 AND heard < $2 AND lease_until > " ORGKIT_PG_NOW_MS;

std::size_t seen_slot(std::uint64_t token, std::size_t slots) {
  const std::uint64_t x = token * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>((x ^ (x >> 29)) & (slots - 1));
}

// Hands every notification on the channel to the signal; its own sync notification ends
// the listener's wait for the channel to catch up.
class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel, PgChangeSignal& signal,
           const std::string& sync, bool& synced)
      : pqxx::notification_receiver(c, channel), signal_(signal), sync_(sync), synced_(synced) {}
  void operator()(const std::string& payload, int) override {
    if (payload == sync_) {
      synced_ = true;
      return;
    }
    signal_.apply(payload);
  }

 private:
  PgChangeSignal& signal_;
  const std::string& sync_;
  bool& synced_;
};

// A statement on the listening connection, bounded like every other (connection.hpp,
// Watchdog): a listener whose server hangs gives up on the connection after a lease, and
// meanwhile trusts nothing, since its trust runs out by its own clock.
template <class... Args>
pqxx::result exec(pqxx::connection& conn, Watchdog::Entry& watch, const char* sql,
                  Args&&... args) {
  Deadline d(watch, listener_lease);
  try {
    pqxx::nontransaction tx(conn);  // ended before the next get_notifs(), which skips open ones
    return tx.exec_params(sql, std::forward<Args>(args)...);
  } catch (...) {
    d.check();
    throw;
  }
}

// Keeps a listening connection's socket under the watchdog for as long as it lives.
struct Watched {
  Watchdog::Entry entry;
  explicit Watched(int fd) {
    entry.fd.store(fd, std::memory_order_release);
    Watchdog::instance().add(&entry);
  }
  ~Watched() { Watchdog::instance().remove(&entry); }
  Watched(const Watched&) = delete;
  Watched& operator=(const Watched&) = delete;
};

}  // namespace

PgChangeSignal::PgChangeSignal(Settings settings)
    : settings_(std::move(settings)), channel_("orgkit_" + settings_.schema) {
  // Nothing is cached until the listener trusts the channel (listening_ starts false).
  thread_ = std::thread([this] { run(); });
}

PgChangeSignal::~PgChangeSignal() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PgChangeSignal::trusted() const noexcept {
  return listening_.load(std::memory_order_acquire) &&
         clock::now().time_since_epoch().count() <
             trusted_until_.load(std::memory_order_acquire);
}

std::optional<ChangeSignal::Version> PgChangeSignal::settled(OrgId org) const noexcept {
  if (!trusted()) return std::nullopt;
  return versions_.settled(org);
}

bool PgChangeSignal::unchanged(OrgId org, const Version& v) const noexcept {
  return trusted() && versions_.unchanged(org, v);
}

bool PgChangeSignal::covers(const CommitToken& token) const noexcept {
  if (token.sequence() == 0) return true;
  if (!trusted()) return false;
  return seen_[seen_slot(token.sequence(), seen_slots)].load(std::memory_order_acquire) ==
         token.sequence();
}

void PgChangeSignal::begin_commit(const std::vector<OrgId>& orgs) noexcept {
  versions_.for_each_pair(
      orgs, [](detail::VersionPair& p) { p.begun.fetch_add(1, std::memory_order_seq_cst); });
}

void PgChangeSignal::end_commit(const std::vector<OrgId>& orgs) noexcept {
  versions_.for_each_pair(
      orgs, [](detail::VersionPair& p) { p.ended.fetch_add(1, std::memory_order_seq_cst); });
}

void PgChangeSignal::bump_all() noexcept {
  versions_.all.begun.fetch_add(1, std::memory_order_seq_cst);
  versions_.all.ended.fetch_add(1, std::memory_order_seq_cst);
}

void PgChangeSignal::apply(const std::string& payload) noexcept {
  const char* p = payload.data();
  const char* end = p + payload.size();
  if (payload.size() > 2 && payload[0] == 'b' && payload[1] == ' ') {
    std::int64_t barrier = 0;
    if (std::from_chars(p + 2, end, barrier).ec == std::errc()) {
      barrier_heard_ = std::max(barrier_heard_, barrier);
      return;
    }
  }
  // A change: the commit is visible already, so both counters of what it changed advance.
  std::uint64_t token = 0;
  auto [after_token, ec] = std::from_chars(p, end, token);
  if (ec != std::errc() || after_token == end || *after_token != ' ') {
    bump_all();  // not ours to read: assume it changed everything
    return;
  }
  p = after_token + 1;
  if (p == end || *p == '*') {
    bump_all();
  } else {
    while (p < end) {
      std::int64_t id = 0;
      auto [next, idec] = std::from_chars(p, end, id);
      if (idec != std::errc()) {
        bump_all();
        break;
      }
      auto& pair = versions_.slot[detail::VersionTable::slot_of(OrgId(id))];
      pair.begun.fetch_add(1, std::memory_order_seq_cst);
      pair.ended.fetch_add(1, std::memory_order_seq_cst);
      p = next;
      if (p < end && *p == ',') ++p;
    }
  }
  // Published after the versions moved: a check that sees the token also sees the change.
  seen_[seen_slot(token, seen_slots)].store(token, std::memory_order_release);
}

void PgChangeSignal::distrust() noexcept {
  if (!listening_.exchange(false, std::memory_order_acq_rel)) return;
  bump_all();  // every answer cached before this moment stops being trusted
}

void PgChangeSignal::run() noexcept {
  std::mt19937_64 random{std::random_device{}()};
  for (std::uint64_t round = 0; !stop_.load(std::memory_order_acquire); ++round) {
    try {
      if (!listen_once(round)) break;
    } catch (...) {
      // The connection failed or broke: below, nothing is trusted until it is back.
    }
    distrust();
    id_.store(0, std::memory_order_release);
    std::unique_lock<std::mutex> lock(mutex_);
    const auto pause = std::chrono::milliseconds(100 + random() % 400);
    wake_.wait_for(lock, pause, [&] { return stop_.load(std::memory_order_acquire); });
  }
  distrust();
}

bool PgChangeSignal::listen_once(std::uint64_t round) {
  pqxx::connection conn(with_connect_timeout(settings_.conninfo, 2));
  pqxx::quiet_errorhandler quiet(conn);
  Watched watched(conn.sock());
  Watchdog::Entry& watch = watched.entry;
  // Named, so that an operator (and the pause tests) can tell this session in pg_stat_activity.
  exec(conn, watch, fmt::format("SET search_path TO \"{}\"", settings_.schema).c_str());
  exec(conn, watch, "SET application_name = 'orgkit listener'");
  sync_payload_ = fmt::format("sync {} {}", reinterpret_cast<std::uintptr_t>(this), round);
  synced_ = false;
  Receiver receiver(conn, channel_, *this, sync_payload_, synced_);  // LISTEN
  exec(conn, watch, "SELECT pg_notify($1, $2)", channel_, sync_payload_);
  const auto lease_ms = static_cast<std::int64_t>(listener_lease.count());
  const auto renew_every = listener_lease / 3;
  auto renewed = clock::time_point();
  std::int64_t acked = 0;
  // Trust begins at `sent` (when the statement that confirmed the lease was sent, which is
  // no later than the server's reading of its clock) and lasts a lease less the margin. The
  // notifications that came in with the answer are applied before trust is extended, and if
  // trust had lapsed meanwhile, every cached answer is dropped first: while it had lapsed, a
  // writer may have stopped waiting for this listener and returned, and its change may be
  // among the notifications not yet heard.
  auto trust_from = [&](clock::time_point sent, std::int64_t acknowledged) {
    conn.get_notifs();
    const auto until = trusted_until_.load(std::memory_order_acquire);
    if (clock::now().time_since_epoch().count() >= until) bump_all();
    renewed = sent;
    acked = acknowledged;
    trusted_until_.store((sent + listener_lease - listener_margin).time_since_epoch().count(),
                         std::memory_order_release);
  };
  // Wait on the connection's socket, a little at a time, so that stop is seen soon.
  // get_notifs() comes first: libpq may already hold notifications it read along with a
  // statement's result (our own sync arrives that way), which no poll would report.
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) {
      if (const auto id = listener_id(); id != 0) exec(conn, watch, deregister_listener, id);
      return false;
    }
    conn.get_notifs();  // runs the receiver; throws when the connection broke
    if (!conn.is_open()) return true;
    const auto now = clock::now();
    if (synced_ && listener_id() == 0) {
      // Caught up: every commit before the sync has been heard. Register, then trust.
      exec(conn, watch, forget_dead_listeners);
      const std::int64_t heard = barrier_heard_;
      const auto r = exec(conn, watch, register_listener, lease_ms);
      id_.store(r[0][0].as<std::int64_t>(), std::memory_order_release);
      trust_from(now, heard);
      bump_all();
      listening_.store(true, std::memory_order_release);
    } else if (listener_id() != 0 && (barrier_heard_ > acked || now - renewed >= renew_every)) {
      // Acknowledge what was heard and renew the lease in one statement.
      const std::int64_t heard = barrier_heard_;
      const auto r = exec(conn, watch, renew_listener, listener_id(), heard, lease_ms);
      if (r.affected_rows() != 1) return true;  // lapsed on the server, or gone: start over
      trust_from(now, heard);
    }
    pollfd fd{conn.sock(), POLLIN, 0};
    if (fd.fd < 0) return true;  // closed: reconnect
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(std::chrono::milliseconds(1),
                 std::min<std::chrono::milliseconds>(
                     std::chrono::milliseconds(250),
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         renewed + renew_every - clock::now()))));
    const int ready = ::poll(&fd, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) return true;
    if ((fd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  }
}

void await_listeners(Connection& c, const std::string& channel, std::int64_t own_listener) noexcept {
  // A listener that never answers lets its lease run out, and then trusts nothing.
  const auto give_up =
      std::chrono::steady_clock::now() + listener_lease + std::chrono::milliseconds(200);
  try {
    const auto barrier = c.exec(raise_barrier, channel)[0][0].as<std::int64_t>();
    auto pause = std::chrono::microseconds(50);
    while (c.exec(listeners_behind, own_listener, barrier)[0][0].as<std::int64_t>() > 0) {
      if (std::chrono::steady_clock::now() > give_up) return;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
  } catch (...) {
    // The commit stands, but whether the others heard it cannot be known: wait until any
    // lease current now has run out (a listener cut off from the server cannot renew it), so
    // that no check anywhere answers from before this commit once it has returned.
    std::this_thread::sleep_until(give_up);
  }
}

}  // namespace orgkit::postgres
