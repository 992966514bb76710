// The SQLite backend's ChangeSignal (orgkit/storage.hpp; C1, C2): versions in shared memory.
//
// Next to the database file lives "<file>-orgkit-shm", 64 KiB mapped by every process that
// opens the file through orgkit: one database-wide counter pair, 4096 counter pairs that
// organizations hash into, the highest commit sequence number published, and the commit
// numbers themselves (below). Each pair is
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
// Commit numbers (issue 9, item 5): writers take them here, under SQLite's write lock, so that
// a commit writes no page for its number. The database's commit_sequence row holds a mark
// reserved ahead, in blocks of `sequence_block`: a commit whose number passes the reserved
// mark raises the row by a block in its own transaction, and the mark in this file is raised
// only once that commit has succeeded. So every committed number is at most the row's mark,
// and a process that finds this file new (or behind the row: the file belongs to another copy
// of the database) starts numbering above the row: numbers never repeat, even when this file
// is lost. A number taken by a commit that then failed is skipped, and published like any
// other (no commit has it), so that waiting for it ends.
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
  /// The signal for `db_path`; `in_memory`: process-local counters. storage if the shared
  /// file cannot be created, given its disk space (every page is allocated here, so that no
  /// later write to the mapping can meet a full disk: that would be SIGBUS, not an error),
  /// or mapped, or holds another layout. There is no store without the signal: its writes
  /// would go unseen by the cached checks of every other process on the file (C1).
  static Result<std::unique_ptr<ShmChangeSignal>> open(const std::string& db_path,
                                                       bool in_memory);
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
  /// Publishes a sequence number: every commit numbered up to it has ended.
  void publish(std::uint64_t sequence) noexcept;

  /// At open, under the file's write lock, with the commit_sequence row's mark: makes this
  /// file's numbering start above `mark` unless it already counts from it.
  void seed(std::uint64_t mark) noexcept;
  /// The highest number taken so far (call under the write lock).
  std::uint64_t issued() const noexcept { return shared_->issued.load(std::memory_order_acquire); }
  /// The highest number the database row is known to have reserved.
  std::uint64_t reserved() const noexcept {
    return shared_->reserved.load(std::memory_order_acquire);
  }
  /// The highest number whose commit has ended (a read's snapshot includes at least these).
  std::uint64_t published() const noexcept {
    return shared_->published.load(std::memory_order_acquire);
  }
  /// Takes `number` (before COMMIT, under the write lock).
  void take(std::uint64_t number) noexcept { shared_->issued.store(number, std::memory_order_release); }
  /// After a successful COMMIT that raised the row's mark to `mark`.
  void reserved_up_to(std::uint64_t mark) noexcept;

  /// How far ahead a commit reserves numbers in the database row.
  static constexpr std::uint64_t sequence_block = 4096;

  static constexpr std::uint32_t slot_count = detail::version_slots;
  struct Shared {
    std::uint64_t magic;
    std::uint32_t layout;
    std::uint32_t slots;
    std::atomic<std::uint64_t> published;  // highest commit sequence number whose commit ended
    detail::VersionTable versions;
    // Layout 2: the commit numbers (zero in a file of layout 1, which is grown to this size).
    std::atomic<std::uint64_t> seeded;    // 1 once seed() has run for this file
    std::atomic<std::uint64_t> issued;    // the highest number taken
    std::atomic<std::uint64_t> reserved;  // the row's mark, as far as this file knows
  };

 private:
  ShmChangeSignal(Shared* shared, std::size_t mapped) : shared_(shared), mapped_(mapped) {}
  Shared* shared_;
  std::size_t mapped_;  // bytes mapped from the file; 0 when `shared_` is process memory
};

}  // namespace orgkit::sqlite
