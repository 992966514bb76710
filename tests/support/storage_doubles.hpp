// Test doubles built on StorageWrapper: each wraps a real backend and changes one thing.
//   - ScopeCheckingStorage: fails the test when a write transaction touches an organization
//     it did not declare (S1), or a read transaction writes. Every Fixture uses it, so every
//     behaviour test also checks the scopes the unit of work declares.
//   - FlakyStorage: the first N commits lose a race (aborted), to test retries (S2).
//   - OrgLockingStorage: a backend that serializes only transactions sharing an organization,
//     with a rendezvous that shows two transactions on different organizations overlap.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <orgkit/storage_wrapper.hpp>

namespace orgkit::test {

/// Where a transaction broke its declared scope, for the test to report.
struct ScopeViolations {
  std::mutex mutex;
  std::vector<std::string> found;
  void add(std::string what);
  std::vector<std::string> list();
};

class ScopeCheckingStorage final : public StorageWrapper {
 public:
  ScopeCheckingStorage(std::unique_ptr<Storage> target, std::shared_ptr<ScopeViolations> sink)
      : StorageWrapper(std::move(target)), violations_(std::move(sink)) {}
  Result<std::unique_ptr<StorageTransaction>> begin_read() override;
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override;

 private:
  std::shared_ptr<ScopeViolations> violations_;
};

/// Makes the first `failures` commits of write transactions fail with aborted (after rolling
/// them back), as a backend does when a concurrent transaction wins.
class FlakyStorage final : public StorageWrapper {
 public:
  FlakyStorage(std::unique_ptr<Storage> target, int failures)
      : StorageWrapper(std::move(target)), failures_left_(failures) {}
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override;
  std::atomic<int> write_begins{0};
  std::atomic<int> commits_refused{0};

 private:
  friend class FlakyTransaction;
  std::atomic<int> failures_left_;
};

/// Serializes write transactions per organization (in this process) instead of per database:
/// begin_write locks the scope's organizations, then runs an optimistic transaction on the
/// SQLite file (a deferred BEGIN: reads share the file, the first writer wins, and the
/// loser's write fails with aborted and is retried by the unit of work). The first find_membership of each write
/// transaction waits at a rendezvous until `rendezvous_size` transactions are inside at once,
/// or `rendezvous_timeout` passes; `overlapped` says whether they all met.
class OrgLockingStorage final : public StorageWrapper {
 public:
  OrgLockingStorage(std::unique_ptr<Storage> target, int rendezvous_size,
                    std::chrono::milliseconds rendezvous_timeout)
      : StorageWrapper(std::move(target)),
        rendezvous_size_(rendezvous_size),
        timeout_(rendezvous_timeout) {}
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override;

  /// Called by the transactions: blocks until everyone arrived or the timeout passed.
  void arrive();
  std::atomic<bool> overlapped{false};
  std::atomic<int> write_begins{0};

 private:
  std::mutex& lock_for(OrgId org);
  std::mutex locks_mutex_;
  std::map<std::int64_t, std::unique_ptr<std::mutex>> locks_;
  std::mutex meet_mutex_;
  std::condition_variable met_;
  int arrived_ = 0;
  int rendezvous_size_;
  std::chrono::milliseconds timeout_;
};

}  // namespace orgkit::test
