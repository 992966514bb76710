// I/O faults (label "faults"): every write, sync, truncation and shared-memory call that a
// workload makes may fail, one at a time, and the disk may fill up. In the manner of SQLite's
// own I/O error tests (ioerr.test): for every N, the Nth call of a kind fails (once, or from
// then on), and then
//   - the call that met it returns a typed error, and nothing escapes as an exception;
//   - the file, reopened, passes integrity_check;
//   - every step that returned success is there, and no step that failed left anything
//     (the store equals the workload's own expectation);
//   - the audit trail replays to exactly what is stored.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "durability/fault_vfs.hpp"
#include "durability/options.hpp"
#include "durability/workload.hpp"
#include "support/test_support.hpp"
#include "tools/process.hpp"

using namespace orgkit;
using namespace orgkit::test;
using namespace std::chrono_literals;

namespace {

constexpr int workload_steps = 30;

SqliteOptions options_for(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  o.checkpoint_pages = 100;  // the workload checkpoints, so checkpoints meet faults too
  o.max_connections = 2;
  return o;
}

bool typed(ErrorCode code) {
  return code == ErrorCode::storage || code == ErrorCode::unavailable || code == ErrorCode::aborted;
}

// One run of the workload on a new file, with whatever fault is armed. Returns the workload,
// whose expectation holds what succeeded; `errors` counts the steps that failed.
Workload run_workload(const std::string& path, std::uint64_t seed, int& errors,
                      std::vector<std::string>& untyped) {
  Workload w(seed);
  auto kit = Service::open_sqlite(options_for(path));
  if (!kit) {
    ++errors;
    if (!typed(kit.error().code)) untyped.push_back("open: " + to_string(kit.error()));
    return w;
  }
  for (int i = 0; i < workload_steps; ++i) {
    Step s = w.step(**kit);
    if (s.ok) continue;
    ++errors;
    // The workload's steps never break a rule (the clean run has no failure), so every
    // failure is the fault's: storage, unavailable or aborted, never anything else.
    if (!typed(s.error)) untyped.push_back(s.what + ": " + std::string(to_string(s.error)));
  }
  return w;
}

struct Sweep {
  VfsOp op;
  VfsFault fault;
};

}  // namespace

TEST_CASE("every I/O call of a workload may fail: typed errors, nothing lost or half-applied",
          "[faults][C1][A1]") {
  FaultVfs& vfs = FaultVfs::install();
  const std::uint64_t seed = durability_options().seed;

  // A clean run counts the calls of each kind; the sweep then fails each in turn.
  std::uint64_t counts[5] = {};
  {
    TempFile file("orgkit-faults");
    vfs.disarm();
    vfs.reset_counts();
    int errors = 0;
    std::vector<std::string> untyped;
    Workload clean = run_workload(file.path(), seed, errors, untyped);
    for (VfsOp op : all_vfs_ops) counts[static_cast<int>(op)] = vfs.count(op);
    auto kit = Service::open_sqlite(options_for(file.path()));
    REQUIRE_OK(kit);
    auto stored = stored_memberships(**kit);
    REQUIRE_OK(stored);
    REQUIRE(errors == 0);
    REQUIRE(*stored == clean.expected());  // the baseline itself is right
    REQUIRE(clean.expected().size() >= 2);
  }
  for (VfsOp op : all_vfs_ops) {
    WARN(to_string(op) << ": " << counts[static_cast<int>(op)] << " calls in the workload");
  }
  REQUIRE(counts[static_cast<int>(VfsOp::write)] > 0);
  REQUIRE(counts[static_cast<int>(VfsOp::sync)] > 0);
  REQUIRE(counts[static_cast<int>(VfsOp::shm_lock)] > 0);

  const std::vector<Sweep> sweeps = {
      {VfsOp::write, VfsFault::eio},         {VfsOp::write, VfsFault::enospc},
      {VfsOp::write, VfsFault::short_write}, {VfsOp::sync, VfsFault::eio},
      {VfsOp::truncate, VfsFault::eio},      {VfsOp::shm_map, VfsFault::eio},
      {VfsOp::shm_lock, VfsFault::eio},
  };
  // Every N for a person who asks (--rounds 1000000); in CI, an even spread of points.
  const std::uint64_t points = static_cast<std::uint64_t>(rounds_or(16));
  int runs = 0;
  int faults_met = 0;
  for (const Sweep& sweep : sweeps) {
    const std::uint64_t total = counts[static_cast<int>(sweep.op)];
    if (total == 0) continue;
    std::vector<std::uint64_t> ns;
    for (std::uint64_t i = 0; i < std::min(points, total); ++i) {
      ns.push_back(1 + i * (total - 1) / std::max<std::uint64_t>(1, std::min(points, total) - 1));
    }
    for (bool persistent : {false, true}) {
      for (std::uint64_t n : ns) {
        TempFile file("orgkit-faults");
        vfs.arm(sweep.op, n, sweep.fault, persistent);
        int errors = 0;
        std::vector<std::string> untyped;
        Workload w = run_workload(file.path(), seed, errors, untyped);
        const bool fired = vfs.fired();
        vfs.disarm();
        ++runs;
        faults_met += fired ? 1 : 0;
        INFO(to_string(sweep.op) << " call " << n << " fails with " << to_string(sweep.fault)
                                 << (persistent ? ", and every later one" : ", once"));
        CHECK(untyped.empty());
        CHECK(integrity_check(file.path()) == "ok");
        auto kit = Service::open_sqlite(options_for(file.path()));
        REQUIRE_OK(kit);
        auto stored = stored_memberships(**kit);
        REQUIRE_OK(stored);
        auto replayed = replayed_memberships(**kit);
        REQUIRE_OK(replayed);
        INFO("stored:\n" << describe(*stored) << "expected:\n" << describe(w.expected()));
        CHECK(*stored == w.expected());
        CHECK(*replayed == *stored);
      }
    }
  }
  WARN(runs << " runs, " << faults_met << " of them met their fault");
  CHECK(faults_met > runs / 2);
}

TEST_CASE("a full disk gives typed errors, never a crash, and writes work again once space is back",
          "[faults][C1]") {
  // Issue 21, bug 2: with the disk full, the first write to an organization whose slot page
  // of "-orgkit-shm" had never been touched died of SIGBUS (the file was made with ftruncate,
  // so its pages were allocated on first touch). The worker runs on a small tmpfs of its own.
  TempFile file("orgkit-full-disk");
  const std::string dir = file.path() + ".d";
  const Finished run = run_program(ORGKIT_CRASH_WORKER, {"full-disk", dir}, 120s);
  INFO(run.out << run.err);
  REQUIRE(run.exit_code != 4);  // could not mount a tmpfs: run as root, or allow user namespaces
  CHECK(run.exit_code == 0);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
