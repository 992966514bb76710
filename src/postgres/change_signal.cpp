// PgChangeSignal: see change_signal.hpp.
#include "postgres/change_signal.hpp"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <pqxx/notification>

namespace orgkit::postgres {

namespace {

std::size_t seen_slot(std::uint64_t token, std::size_t slots) {
  std::uint64_t x = token * 0x9e3779b97f4a7c15ULL;
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

std::optional<ChangeSignal::Version> PgChangeSignal::settled(OrgId org) const noexcept {
  if (!listening()) return std::nullopt;
  return versions_.settled(org);
}

bool PgChangeSignal::unchanged(OrgId org, const Version& v) const noexcept {
  return listening() && versions_.unchanged(org, v);
}

bool PgChangeSignal::covers(const CommitToken& token) const noexcept {
  if (token.sequence() == 0) return true;
  if (!listening()) return false;
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
  // The commit is visible already: advance both counters of what it changed.
  std::uint64_t token = 0;
  const char* p = payload.data();
  const char* end = p + payload.size();
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

void PgChangeSignal::set_listening(bool on) noexcept {
  if (listening() == on) return;
  if (!on) listening_.store(false, std::memory_order_release);
  bump_all();  // every answer cached before this moment stops being trusted
  if (on) listening_.store(true, std::memory_order_release);
}

void PgChangeSignal::run() noexcept {
  std::mt19937_64 random{std::random_device{}()};
  for (std::uint64_t round = 0; !stop_.load(std::memory_order_acquire); ++round) {
    try {
      if (!listen_once(round)) break;
    } catch (...) {
      // The connection failed or broke: below, nothing is trusted until it is back.
    }
    set_listening(false);
    std::unique_lock<std::mutex> lock(mutex_);
    const auto pause = std::chrono::milliseconds(100 + random() % 400);
    wake_.wait_for(lock, pause, [&] { return stop_.load(std::memory_order_acquire); });
  }
  set_listening(false);
}

bool PgChangeSignal::listen_once(std::uint64_t round) {
  pqxx::connection conn(settings_.conninfo);
  pqxx::quiet_errorhandler quiet(conn);
  sync_payload_ = fmt::format("sync {} {}", reinterpret_cast<std::uintptr_t>(this), round);
  synced_ = false;
  Receiver receiver(conn, channel_, *this, sync_payload_, synced_);  // LISTEN
  {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_notify(" + tx.quote(channel_) + ", " + tx.quote(sync_payload_) + ")");
  }
  // Wait on the connection's socket, a quarter second at a time, so that stop is seen soon.
  // get_notifs() comes first: libpq may already hold notifications it read along with a
  // statement's result (our own sync arrives that way), which no poll would report.
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return false;
    conn.get_notifs();  // runs the receiver; throws when the connection broke
    if (!conn.is_open()) return true;
    if (synced_ && !listening()) set_listening(true);  // every commit before the sync was heard
    pollfd fd{conn.sock(), POLLIN, 0};
    if (fd.fd < 0) return true;  // closed: reconnect
    const int ready = ::poll(&fd, 1, 250);
    if (ready < 0 && errno != EINTR) return true;
    if ((fd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  }
}

}  // namespace orgkit::postgres
