// The SQLite backend's ChangeSignal (orgkit/storage.hpp; C1, C2): versions in shared memory.
//
// Next to the database file lives "<file>-orgkit-shm", 64 KiB mapped by every process that
// opens the file through orgkit: one database-wide counter pair, 4096 counter pairs that
// organizations hash into, and the highest commit sequence number published. Each pair is
// (begun, ended): a writer increments `begun` of every pair its commit may change before
// COMMIT and `ended` after it, before commit() returns. A pair is settled when begun == ended.
// A reader compares plain atomic loads: no system call, no lock.
//
// Which writers are seen: every orgkit writer on the file, in any process (they all go through
// SqliteTransaction::commit). A program that writes the database without orgkit (the sqlite3
// shell, say) is not seen: cached checks keep their answers until an orgkit commit on the same
// organization or a Service restart. A writer that dies inside its commit leaves its pairs
// unsettled, so nothing about those organizations is cached until the next orgkit writer
// repairs them (it holds the file's write lock, so no other commit can be in flight).
//
// ":memory:" databases live in one process: the counters are ordinary memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <orgkit/storage.hpp>

#include "change_versions.hpp"

namespace orgkit::sqlite {

class ShmChangeSignal final : public ChangeSignal {
 public:
  /// The signal for `db_path`, or nullptr when the shared file cannot be created or mapped
  /// (checks then read the database every time). `in_memory`: process-local counters.
  static std::unique_ptr<ShmChangeSignal> open(const std::string& db_path, bool in_memory);
  ~ShmChangeSignal() override;
  ShmChangeSignal(const ShmChangeSignal&) = delete;
  ShmChangeSignal& operator=(const ShmChangeSignal&) = delete;

  std::optional<Version> settled(OrgId org) const noexcept override;
  bool unchanged(OrgId org, const Version& v) const noexcept override;
  bool covers(const CommitToken& token) const noexcept override;

  /// Before COMMIT of a transaction that wrote: advances `begun` of `orgs` (all of them when
  /// empty). `exclusive`: the caller holds the file's write lock, so unsettled pairs were left
  /// by a writer that died, and are repaired first.
  void begin_commit(const std::vector<OrgId>& orgs, bool exclusive) noexcept;
  /// After COMMIT (or its failure): settles the pairs again and publishes `sequence`.
  void end_commit(const std::vector<OrgId>& orgs, std::uint64_t sequence) noexcept;
  /// Publishes a sequence number already in the database (at open).
  void publish(std::uint64_t sequence) noexcept;

  static constexpr std::uint32_t slot_count = detail::version_slots;
  struct Shared {
    std::uint64_t magic;
    std::uint32_t layout;
    std::uint32_t slots;
    std::atomic<std::uint64_t> published;  // highest commit sequence number whose commit ended
    detail::VersionTable versions;
  };

 private:
  ShmChangeSignal(Shared* shared, std::size_t mapped) : shared_(shared), mapped_(mapped) {}
  Shared* shared_;
  std::size_t mapped_;  // bytes mapped from the file; 0 when `shared_` is process memory
};

}  // namespace orgkit::sqlite
