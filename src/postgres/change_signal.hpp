// The PostgreSQL backend's ChangeSignal (orgkit/storage.hpp; C1, C2): LISTEN/NOTIFY.
//
// Every write transaction of an orgkit process on the store sends, in the statement that
// records its commit token, NOTIFY orgkit_<schema> with its token and the organizations of
// its scope ("*" for a scope that names none). Each open store listens on that channel on a
// connection of its own, in a thread of its own, and advances the version of the
// organizations it hears about (change_versions.hpp); its own commits advance them before and
// after COMMIT, as the SQLite store does. So a check answered from the per-thread cache:
// - is never stale for a change made through the same store (the same process);
// - is stale for a change committed by another process (another application server) only
//   until this process has received that commit's notification: the stale window, which
//   orgkit_postgres_benchmark measures (PostgreSQL delivers a notification after the commit
//   returns, typically within a fraction of a millisecond on one host).
// covers(token) is true only once the notification of the commit with that very token has
// been received: PostgreSQL delivers notifications in commit order, so by then every commit
// before it has been received too. (A greater token says nothing: tokens of writers whose
// commits overlapped need not follow their commit order; see postgres.hpp.) A check at least
// as fresh as a token the listener has not seen yet therefore reads the store, and is never
// stale.
//
// While the listening connection is down (the server restarted), nothing is cached and
// nothing cached is trusted; when it is back, the listener sends itself a notification and
// waits for it before it trusts the channel again, so that no commit in between is missed.
#pragma once

#include <array>
#include <atomic>
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

class PgChangeSignal final : public ChangeSignal {
 public:
  /// Starts listening (in a thread) with a connection made from `settings`.
  explicit PgChangeSignal(Settings settings);
  ~PgChangeSignal() override;  // stops the thread and closes its connection
  PgChangeSignal(const PgChangeSignal&) = delete;
  PgChangeSignal& operator=(const PgChangeSignal&) = delete;

  std::optional<Version> settled(OrgId org) const noexcept override;
  bool unchanged(OrgId org, const Version& v) const noexcept override;
  bool covers(const CommitToken& token) const noexcept override;

  /// The channel writers notify.
  [[nodiscard]] const std::string& channel() const noexcept { return channel_; }
  /// Around COMMIT of a transaction of this process that wrote to `orgs` (all when empty).
  void begin_commit(const std::vector<OrgId>& orgs) noexcept;
  void end_commit(const std::vector<OrgId>& orgs) noexcept;
  /// Whether the listener is connected and trusts the channel (for tests).
  [[nodiscard]] bool listening() const noexcept {
    return listening_.load(std::memory_order_acquire);
  }

  /// Applies one notification's payload ("<token> <id>,<id>..." or "<token> *").
  void apply(const std::string& payload) noexcept;

 private:
  void run() noexcept;
  bool listen_once(std::uint64_t round);  // one connection's life; false when told to stop
  void set_listening(bool on) noexcept;
  void bump_all() noexcept;

  Settings settings_;
  std::string channel_;
  detail::VersionTable versions_{};
  std::atomic<bool> listening_{false};
  // Tokens whose notification was received, by hash: covers() looks for its token's slot.
  static constexpr std::size_t seen_slots = 8192;
  std::array<std::atomic<std::uint64_t>, seen_slots> seen_{};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // with wake_: sleeps between reconnects end at once on stop
  std::condition_variable wake_;
  std::string sync_payload_;  // the notification the listener sends itself (listener thread)
  bool synced_ = false;       // listener thread only
  std::thread thread_;
};

}  // namespace orgkit::postgres
