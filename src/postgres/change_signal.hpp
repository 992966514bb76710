// The PostgreSQL backend's ChangeSignal (orgkit/storage.hpp; C1, C2): LISTEN/NOTIFY with
// acknowledged invalidation, so that a cached check is never stale, from any server.
//
// Every write transaction of an orgkit process on the store sends, in the statement that
// records its commit token, NOTIFY orgkit_<schema> with its token and the organizations of
// its scope ("*" for a scope that names none). Each open store that caches checks listens on
// that channel on a connection and in a thread of its own, advances the versions of the
// organizations it hears about (change_versions.hpp), and is registered in the store's
// `listeners` table with a lease it renews. Its own commits advance the versions around
// COMMIT, as the SQLite store's do.
//
// Why a cached check is never stale (C1): a writer's commit() does not return until every
// other listener with a current lease has heard of it. After COMMIT the writer takes a
// barrier number from a sequence and notifies it ("b <n>"); PostgreSQL delivers
// notifications in commit order, so a listener that hears the barrier has already applied
// the writer's change, and it records the highest barrier it heard in its row; the writer
// waits (polling, bounded by the lease) until no current listener's row is below its
// barrier. A listener that cannot keep its lease (a stalled process, a lost connection)
// stops trusting its cache by itself before its lease runs out, by its own clock, so a
// writer may stop waiting for it once the lease has passed on the server's clock. Trust is
// extended only by a renewal that the server confirmed while the lease was still current
// (the UPDATE names it), counting from when that renewal was sent; the notifications that
// came in with its answer are applied first; and if trust had lapsed meanwhile, every cached
// answer is dropped before the cache is trusted again, since a writer may have stopped
// waiting for this listener while it was not listening. The cost
// is on writes, and only when another server listens: one statement for the barrier and a
// few polls while the others hear it (the README gives the figures).
//
// covers(token) is true only once the notification of the commit with that very token has
// been applied: by then every commit before it has been too. (A greater token says nothing:
// tokens of writers whose commits overlapped need not follow their commit order; see
// postgres.hpp.) A check at least as fresh as a token not yet heard reads the store.
//
// While the listening connection is down nothing is cached and nothing cached is trusted;
// when it is back, the listener notifies itself and trusts the channel only once that
// notification has come back, so that no commit in between is missed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <orgkit/storage.hpp>

#include "change_versions.hpp"
#include "postgres/connection.hpp"

namespace orgkit::postgres {

/// How long a listener's registration lasts without renewal, and how long before its end the
/// listener stops trusting its cache (its clock and the server's may disagree a little).
inline constexpr std::chrono::milliseconds listener_lease{3000};
inline constexpr std::chrono::milliseconds listener_margin{700};

class PgChangeSignal final : public ChangeSignal {
 public:
  /// Starts listening (in a thread) with a connection made from `settings`.
  explicit PgChangeSignal(Settings settings);
  ~PgChangeSignal() override;  // deregisters, stops the thread, closes its connection
  PgChangeSignal(const PgChangeSignal&) = delete;
  PgChangeSignal& operator=(const PgChangeSignal&) = delete;

  std::optional<Version> settled(OrgId org) const noexcept override;
  bool unchanged(OrgId org, const Version& v) const noexcept override;
  bool covers(const CommitToken& token) const noexcept override;

  /// Around COMMIT of a transaction of this process that wrote to `orgs` (all when empty).
  void begin_commit(const std::vector<OrgId>& orgs) noexcept;
  void end_commit(const std::vector<OrgId>& orgs) noexcept;
  /// This store's row in `listeners` (0 while unregistered): a writer of this process does
  /// not wait for its own listener, whose versions its commit advanced already.
  [[nodiscard]] std::int64_t listener_id() const noexcept {
    return id_.load(std::memory_order_acquire);
  }
  /// Whether the listener trusts the channel now (for tests).
  [[nodiscard]] bool trusted() const noexcept;

  /// Applies one notification's payload: "<token> <id>,<id>...", "<token> *", or a barrier
  /// "b <n>". Anything else advances every version.
  void apply(const std::string& payload) noexcept;

 private:
  using clock = std::chrono::steady_clock;
  void run() noexcept;
  bool listen_once(std::uint64_t round);  // one connection's life; false when told to stop
  void distrust() noexcept;
  void bump_all() noexcept;

  Settings settings_;
  std::string channel_;
  detail::VersionTable versions_{};
  std::atomic<bool> listening_{false};
  std::atomic<clock::rep> trusted_until_{0};  // clock ticks: trust ends then, whatever happens
  std::atomic<std::int64_t> id_{0};
  // Tokens whose notification was applied, by hash: covers() looks for its token's slot.
  static constexpr std::size_t seen_slots = 8192;
  std::array<std::atomic<std::uint64_t>, seen_slots> seen_{};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // with wake_: sleeps between reconnects end at once on stop
  std::condition_variable wake_;
  // Listener thread only.
  std::string sync_payload_;  // the notification the listener sends itself
  bool synced_ = false;
  std::int64_t barrier_heard_ = 0;
  std::thread thread_;
};

/// After the COMMIT of a write on `c`: raises a barrier and waits until every listener with a
/// current lease but `own_listener` has heard it (at most about a lease). Never throws: the
/// commit stands whatever happens here.
void await_listeners(Connection& c, const std::string& channel, std::int64_t own_listener) noexcept;

}  // namespace orgkit::postgres
