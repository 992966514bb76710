// A test VFS over SQLite's default one ("unix"), in the manner of SQLite's own I/O error and
// crash tests (test_vfs.c, test6.c): it forwards every call, and it can
//   - fail the Nth call of one kind (write, sync, truncate, shared-memory map or lock) with
//     EIO, ENOSPC or a short write, once or from then on (faults_test.cpp);
//   - record every write, truncation and sync that reaches a database or WAL file, so that a
//     test can rebuild the files as a power loss at any moment could have left them
//     (power_loss_test.cpp).
// install() registers it as the process's default VFS, so that orgkit's own connections go
// through it without knowing: the library is tested as it ships. Only tests link it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace orgkit::test {

/// The calls a fault can be planted in.
enum class VfsOp { write, sync, truncate, shm_map, shm_lock };
inline constexpr VfsOp all_vfs_ops[] = {VfsOp::write, VfsOp::sync, VfsOp::truncate, VfsOp::shm_map,
                                        VfsOp::shm_lock};
const char* to_string(VfsOp op);

/// What the failing call does.
enum class VfsFault {
  eio,          ///< fails as the device would on EIO (SQLITE_IOERR_*)
  enospc,       ///< the disk is full (SQLITE_FULL)
  short_write,  ///< writes the first half of what it was given, then reports a full disk
};
const char* to_string(VfsFault fault);

/// One recorded step of what reached a file (power loss replay).
struct VfsRecord {
  enum class Kind { write, truncate, sync } kind = Kind::write;
  std::string file;         ///< The file's full path.
  std::int64_t offset = 0;  ///< write: where; truncate: the new size.
  std::string data;         ///< write: the bytes.
};

class FaultVfs {
 public:
  /// Registers the VFS as the default (once per process) and returns it.
  static FaultVfs& install();

  /// From now on, the `nth` (1-based) call of `op` fails with `fault`; when `persistent`, so
  /// does every later call of `op`. Counting starts at zero again.
  void arm(VfsOp op, std::uint64_t nth, VfsFault fault, bool persistent);
  /// No more faults; counting goes on.
  void disarm();
  /// Whether an armed fault has fired since arm().
  [[nodiscard]] bool fired() const;
  /// Calls of `op` since the last arm() or reset_counts().
  [[nodiscard]] std::uint64_t count(VfsOp op) const;
  void reset_counts();

  /// Records writes, truncations and syncs of database and WAL files whose path starts with
  /// `prefix` until stop_recording(), which returns them in the order they happened.
  void start_recording(const std::string& prefix);
  std::vector<VfsRecord> stop_recording();
  /// How many records there are so far (a mark between two steps of a workload).
  [[nodiscard]] std::size_t recorded() const;

  // Called by the VFS's methods.
  int fault_for(VfsOp op);  // 0, or the SQLite error code to return
  [[nodiscard]] VfsFault armed_fault() const;
  void record(VfsRecord r);
  [[nodiscard]] bool recording(const std::string& file) const;

 private:
  FaultVfs() = default;
  mutable std::mutex mutex_;
  std::uint64_t counts_[5] = {};
  bool armed_ = false;
  VfsOp op_ = VfsOp::write;
  std::uint64_t nth_ = 0;
  VfsFault fault_ = VfsFault::eio;
  bool persistent_ = false;
  bool fired_ = false;
  bool recording_ = false;
  std::string prefix_;
  std::vector<VfsRecord> records_;
};

}  // namespace orgkit::test
