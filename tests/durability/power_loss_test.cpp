// Power loss (label "crash"), replayed: the fault VFS records every write, truncation and sync
// that a workload's database and log receive; the files are then rebuilt as a power loss at
// a chosen moment could have left them, in the manner of SQLite's crash tests (test6.c):
//   - what a file held at its last sync before the cut is there;
//   - each write after it is there, or missing, or torn (some of its 512-byte sectors
//     written, the others not), independently, so unsynced writes also land out of order.
// Each rebuilt database must open, pass integrity_check and hold exactly the state after
// some prefix of the workload's steps (no torn commit). With durability = power_loss that
// prefix includes every step that had returned before the cut; with process_crash (synced at
// checkpoints only) it may be shorter: sqlite.hpp says so.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "durability/fault_vfs.hpp"
#include "durability/options.hpp"
#include "durability/workload.hpp"
#include "support/test_support.hpp"

using namespace orgkit;
using namespace orgkit::test;
namespace fs = std::filesystem;

namespace {

constexpr int workload_steps = 24;
constexpr std::size_t sector = 512;

struct Recording {
  std::string initial_db;  // the database file before the workload
  std::vector<VfsRecord> records;
  std::vector<std::size_t> started;   // records before step i began
  std::vector<std::size_t> returned;  // records when step i returned
  std::vector<Memberships> after;     // after[j]: the state after the first j steps
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SqliteOptions options_for(const std::string& path, SqliteDurability durability) {
  SqliteOptions o;
  o.path = path;
  o.durability = durability;
  o.checkpoint_pages = 100;  // checkpoints happen during the workload, and can be cut too
  o.max_connections = 1;
  return o;
}

Recording record(const std::string& dir, SqliteDurability durability, std::uint64_t seed) {
  FaultVfs& vfs = FaultVfs::install();
  vfs.disarm();
  const std::string db = dir + "/power.db";
  {
    // An empty orgkit database, created and closed (its last connection checkpoints and
    // removes the log): the state the recording starts from.
    auto created = Service::open_sqlite(options_for(db, durability));
    REQUIRE_OK(created);
  }
  Recording r;
  r.initial_db = read_file(db);
  REQUIRE(!fs::exists(db + "-wal"));
  vfs.start_recording(dir + "/");
  {
    auto kit = Service::open_sqlite(options_for(db, durability));
    REQUIRE_OK(kit);
    Workload w(seed);
    r.after.push_back(w.expected());
    for (int i = 0; i < workload_steps; ++i) {
      r.started.push_back(vfs.recorded());
      Step s = w.step(**kit);
      REQUIRE(s.ok);
      r.returned.push_back(vfs.recorded());
      r.after.push_back(w.expected());
    }
    r.records = vfs.stop_recording();  // before the close, whose checkpoint is not the test
  }
  return r;
}

// The files a power loss after the first `cut` records could leave, written into `out`.
void rebuild(const Recording& r, std::size_t cut, std::mt19937_64& random, const std::string& from,
             const std::string& out) {
  std::map<std::string, std::string> files;
  files[from + "/power.db"] = r.initial_db;
  std::map<std::string, std::size_t> last_sync;
  for (std::size_t i = 0; i < cut; ++i) {
    if (r.records[i].kind == VfsRecord::Kind::sync) last_sync[r.records[i].file] = i + 1;
  }
  auto write = [&](std::string& content, std::int64_t at, const std::string& data,
                   std::size_t from_byte, std::size_t n) {
    const auto end = static_cast<std::size_t>(at) + from_byte + n;
    if (content.size() < end) content.resize(end, '\0');
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(from_byte), n,
                content.begin() + at + static_cast<std::ptrdiff_t>(from_byte));
  };
  auto apply_whole = [&](const VfsRecord& rec) {
    std::string& content = files[rec.file];
    if (rec.kind == VfsRecord::Kind::write) {
      write(content, rec.offset, rec.data, 0, rec.data.size());
    } else if (rec.kind == VfsRecord::Kind::truncate) {
      content.resize(static_cast<std::size_t>(rec.offset), '\0');
    }
  };
  // Synced: in order, whole.
  std::vector<const VfsRecord*> unsynced;
  for (std::size_t i = 0; i < cut; ++i) {
    const VfsRecord& rec = r.records[i];
    if (rec.kind == VfsRecord::Kind::sync) continue;
    if (i < last_sync[rec.file]) {
      apply_whole(rec);
    } else {
      unsynced.push_back(&rec);
    }
  }
  // Not synced: each whole, lost or torn, in any order.
  std::shuffle(unsynced.begin(), unsynced.end(), random);
  for (const VfsRecord* rec : unsynced) {
    const auto fate = random() % 4;
    if (fate == 0) continue;  // lost
    if (fate == 1 && rec->kind == VfsRecord::Kind::write && rec->data.size() > sector) {
      std::string& content = files[rec->file];
      for (std::size_t s = 0; s < rec->data.size(); s += sector) {
        if (random() % 2 == 0) {
          write(content, rec->offset, rec->data, s, std::min(sector, rec->data.size() - s));
        }
      }
      continue;  // torn
    }
    apply_whole(*rec);
  }
  fs::create_directories(out);
  for (const auto& [path, content] : files) {
    std::ofstream(out + "/" + fs::path(path).filename().string(), std::ios::binary) << content;
  }
}

void replay_cuts(SqliteDurability durability) {
  const TempFile scratch("orgkit-power");
  const std::string dir = scratch.path() + ".d";
  fs::create_directories(dir);
  const Recording r = record(dir, durability, durability_options().seed);
  REQUIRE(r.records.size() > 50);
  std::size_t syncs = 0;
  for (const auto& rec : r.records) syncs += rec.kind == VfsRecord::Kind::sync ? 1 : 0;
  WARN(r.records.size() << " writes, truncations and syncs recorded, " << syncs << " syncs");
  std::string marks;
  for (std::size_t i = 0; i < r.started.size(); ++i) {
    marks += std::to_string(r.started[i]) + "-" + std::to_string(r.returned[i]) + " ";
  }
  WARN("steps (records before and after each): " << marks);

  std::mt19937_64 random(durability_options().seed);
  // Cut points spread over the whole recording, each rebuilt in several random ways.
  const std::size_t cuts = static_cast<std::size_t>(rounds_or(40));
  int shorter = 0;
  for (std::size_t k = 0; k <= cuts; ++k) {
    const std::size_t cut = k * r.records.size() / std::max<std::size_t>(cuts, 1);
    for (int variant = 0; variant < 3; ++variant) {
      const std::string out = dir + "/cut-" + std::to_string(cut) + "-" + std::to_string(variant);
      rebuild(r, cut, random, dir, out);
      INFO("cut after " << cut << " of " << r.records.size() << " records, variant " << variant);
      const std::string db = out + "/power.db";
      CHECK(integrity_check(db) == "ok");
      auto kit = Service::open_sqlite(db);
      REQUIRE_OK(kit);
      auto stored = stored_memberships(**kit);
      REQUIRE_OK(stored);
      auto replayed = replayed_memberships(**kit);
      REQUIRE_OK(replayed);
      CHECK(*replayed == *stored);
      // Which prefix is it? Steps that returned before the cut, and those begun by then.
      std::size_t returned = 0, begun = 0;
      for (int i = 0; i < workload_steps; ++i) {
        if (r.returned[static_cast<std::size_t>(i)] <= cut) ++returned;
        if (r.started[static_cast<std::size_t>(i)] <= cut) ++begun;
      }
      std::optional<std::size_t> prefix;
      for (std::size_t j = 0; j <= begun; ++j) {
        if (r.after[j] == *stored) prefix = j;
      }
      INFO("stored:\n"
           << describe(*stored) << returned << " steps had returned, " << begun << " had begun");
      REQUIRE(prefix.has_value());  // exactly some prefix of the steps: no torn commit
      if (durability == SqliteDurability::power_loss) CHECK(*prefix >= returned);
      if (*prefix < returned) ++shorter;
      kit->reset();
      fs::remove_all(out);
    }
  }
  WARN(shorter << " rebuilt databases held fewer steps than had returned");
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("power loss with durability power_loss keeps every returned commit, none torn",
          "[crash][C1][A1]") {
  replay_cuts(SqliteDurability::power_loss);
}

TEST_CASE("power loss with durability process_crash keeps a prefix of the commits, none torn",
          "[crash][C1][A1]") {
  replay_cuts(SqliteDurability::process_crash);
}
