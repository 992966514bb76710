// Issue 9's figures in one run, side by side with baselines measured in the same run: the
// machines are shared and noisy, so every figure is a median of several repetitions and is
// reported as a ratio against a baseline of the same kind.
//
//   cmake --preset bench && cmake --build --preset bench --target orgkit_scale_benchmark
//   ./build/bench/bench/orgkit_scale_benchmark                      # 10,000 memberships
//   ./build/bench/bench/orgkit_scale_benchmark --memberships 1000000 # and a large file
//   options: --memberships N (default 10000), --users U (default N: every membership its own
//            user, in one organization; fewer: organizations of 1,000 members drawn from U
//            users, e.g. --memberships 10000000 --users 1000000),
//            --reps R (5), --csv-rows N (100000; 0 skips),
//            --rounds N (1000, cross-process freshness rounds), --keep (leave the file),
//            --working W (the checks' working set: W distinct memberships drawn from the
//            whole population; default min(N, 50000)), --mmap-mib M (SqliteOptions::mmap_mib
//            for orgkit, and mmap_size for the bare SELECT; default 0),
//            --cache-kib K (SqliteOptions::cache_kib for orgkit's connections, and
//            cache_size for the bare SELECT; default orgkit's, 8192),
//            --durability process_crash|power_loss (SqliteOptions::durability, and the same
//            synchronous setting, NORMAL or FULL, for the bare baselines; default process_crash),
//            --only checks|writes|csv|freshness (one part alone, e.g. under perf)
//
// Rows, each with its baseline:
//   check warm    Service::check answered from the cache, random members  / a string-keyed
//                 std::unordered_map probe of the same keys
//   check cold    the same with check_cache_capacity = 0                  / a bare prepared
//                 SELECT of the membership row on the same file (sqlite3 C API)
//   threads       warm checks from 2 threads, checks per second           / 1 thread
//   writes        add_member, change_member_role, remove_member, one per transaction / a bare
//                 BEGIN IMMEDIATE; INSERT; COMMIT of one row of the same shape, on the same file,
//                 with orgkit's checkpoint interval; also with the membership table's secondary
//                 indexes, and writing the same pages as add_member (indexes and a log row).
//                 In blocks of 200, each op's block next to its baseline's block;
//                 ratios are the median of the blocks' ratios
//   CSV import    import_invitations_csv of N rows                         / the same rows
//                 inserted bare into an invitations-shaped table in one transaction
//   memory        bytes per cached membership (RSS growth while the cache fills), and RSS
//                 before and after 10,000,000 warm checks
//   freshness     a second process (this program, spawned) revokes; this one checks through
//                 its cache: stale allows, and the time from the writer's commit returning to
//                 the first deny here
//
// The population is written straight through the Storage interface in one transaction (the
// Service would make it one transaction and one audit event per member); its time and the
// bytes on disk per membership are reported too. Nothing here is a test: no figure is checked.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <orgkit/orgkit.hpp>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;
using orgkit::Actor;
using orgkit::OrgId;
using orgkit::Service;
using orgkit::UserId;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "scale_benchmark: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(orgkit::Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + orgkit::to_string(r.error()));
  return std::move(*r);
}

void must(orgkit::Result<void> r, const char* what) {
  if (!r) die(std::string(what) + ": " + orgkit::to_string(r.error()));
}

std::string member_id(std::int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user-%07" PRId64, i);
  return buf;
}

Actor actor(std::int64_t i) {
  return Actor{UserId(member_id(i)), member_id(i) + "@example.com", "", orgkit::default_tenant()};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Nanoseconds per operation of `op(i)` over `n` operations, median of `reps` repetitions.
double ns_per_op(int reps, std::int64_t n, const std::function<void(std::int64_t)>& op) {
  std::vector<double> out;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock_type::now();
    for (std::int64_t i = 0; i < n; ++i) op(i);
    out.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() /
                  static_cast<double>(n));
  }
  return median(out);
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

struct Options {
  std::int64_t memberships = 10000;
  std::int64_t users = 0;  // 0: one user per membership, all in one organization
  int reps = 5;
  std::int64_t csv_rows = 100000;
  int rounds = 1000;
  bool keep = false;
  std::int64_t working = 0;  // 0: min(memberships, 50000)
  int mmap_mib = 0;          // SqliteOptions::mmap_mib, and the same for the bare SELECT
  int cache_kib = orgkit::SqliteOptions{}.cache_kib;  // the same for both, too
  bool power_loss = false;  // --durability power_loss: FULL for orgkit and the baselines
  std::string only;         // empty: every part
  bool runs(const char* part) const { return only.empty() || only == part; }
};

// A figure, its baseline and `ratio` (the median of paired measurements' ratios, which need
// not be the ratio of the medians).
void ratio_row(const char* what, double value, const char* unit, const char* baseline_name,
               double baseline, double ratio, double goal) {
  std::printf("%-34s %10.1f %-5s %-34s %10.1f %-5s %7.2fx  goal <= %.1fx  %s\n", what, value, unit,
              baseline_name, baseline, unit, ratio, goal, ratio <= goal ? "met" : "NOT met");
}

void row(const char* what, double value, const char* unit, const char* baseline_name,
         double baseline, double goal) {
  const double ratio = value / baseline;
  std::printf("%-34s %10.1f %-5s %-34s %10.1f %-5s %7.2fx  goal <= %.1fx  %s\n", what, value, unit,
              baseline_name, baseline, unit, ratio, goal, ratio <= goal ? "met" : "NOT met");
}

void info(const char* what, double value, const char* unit) {
  std::printf("%-34s %10.1f %s\n", what, value, unit);
}

// --- population ------------------------------------------------------------------------------

// The population: `orgs` organizations of `per_org` members each, drawn from `users` users
// (each user in about orgs * per_org / users organizations). Membership m is member
// m % per_org of organization m / per_org, whose user is user_of(...): distinct within an
// organization, since per_org <= users.
struct World {
  std::string path;
  OrgId org;  // the first organization: the writes and the freshness rounds use it
  std::vector<OrgId> orgs;
  std::int64_t per_org = 0;
  std::int64_t users = 0;
  std::int64_t user_of(std::int64_t org_index, std::int64_t j) const {
    return (org_index * 7919 + j) % users;
  }
};

World populate(const std::string& path, std::int64_t n, std::int64_t users) {
  for (const char* suffix : {"", "-wal", "-shm", "-orgkit-shm"}) {
    std::filesystem::remove(path + suffix);
  }
  World w;
  w.path = path;
  w.users = users;
  // One organization when every membership has its own user, else organizations of 1,000.
  w.per_org = users >= n ? n : std::min<std::int64_t>(1000, users);
  const std::int64_t orgs = (n + w.per_org - 1) / w.per_org;
  orgkit::SqliteOptions so;
  so.path = path;
  so.cache_kib = 262144;
  auto storage = must(orgkit::open_sqlite(so), "open_sqlite");
  const auto t0 = clock_type::now();
  auto tx = must(storage->begin_write(orgkit::WriteScope{}), "begin");
  const auto now = orgkit::SystemClock().now();
  std::int64_t written = 0;
  for (std::int64_t o = 0; o < orgs; ++o) {
    orgkit::Organization org;
    org.tenant = orgkit::default_tenant();
    org.name = "Benchmark " + std::to_string(o);
    org.slug = "benchmark-" + std::to_string(o);
    org.created_by = UserId(member_id(w.user_of(o, 0)));
    org.created_at = now;
    const OrgId id = must(tx->insert_organization(org), "insert_organization");
    w.orgs.push_back(id);
    for (std::int64_t j = 0; j < w.per_org && written < n; ++j, ++written) {
      const char* role = j == 0         ? "owner"
                         : j % 100 == 1 ? "admin"
                         : j % 10 == 2  ? "viewer"
                                        : "member";
      const std::string user = member_id(w.user_of(o, j));
      orgkit::Membership m{id, UserId(user), user + "@example.com", "", role, now, {}};
      must(tx->insert_membership(org.tenant, m), "insert_membership");
    }
  }
  must(tx->commit(), "commit");
  tx.reset();
  storage.reset();
  w.org = w.orgs.front();
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::error_code ec;
  const auto bytes =
      std::filesystem::file_size(path, ec) + std::filesystem::file_size(path + "-wal", ec);
  std::printf("population: %" PRId64 " memberships of %" PRId64 " users in %" PRId64
              " organizations in %.1f s; %.0f bytes on disk per membership\n",
              n, users, orgs, secs, static_cast<double>(bytes) / static_cast<double>(n));
  return w;
}

int mmap_mib = 0;                                   // --mmap-mib
int cache_kib = orgkit::SqliteOptions{}.cache_kib;  // --cache-kib
bool power_loss = false;                            // --durability power_loss

std::unique_ptr<Service> open_service(const World& w, std::size_t cache) {
  orgkit::ServiceOptions options;
  options.check_cache_capacity = cache;
  orgkit::SqliteOptions so;
  so.path = w.path;
  so.mmap_mib = mmap_mib;
  so.cache_kib = cache_kib;
  so.durability = power_loss ? orgkit::SqliteDurability::power_loss
                             : orgkit::SqliteDurability::process_crash;
  return must(Service::open_sqlite(so, std::move(options)), "open_sqlite");
}

// --- checks ----------------------------------------------------------------------------------

struct PairHash {
  std::size_t operator()(const std::pair<std::int64_t, std::string>& k) const noexcept {
    return std::hash<std::string>{}(k.second) ^
           (static_cast<std::size_t>(k.first) * 0x9e3779b97f4a7c15ULL);
  }
};

struct CheckFigures {
  double warm = 0, cold = 0;  // ns per check
};

// `reference`: only measure the warm and cold checks (of a 10,000-member file, for the scale
// rows of a large run), print nothing.
CheckFigures checks(const Options& o, const World& w, bool reference = false) {
  const std::int64_t population = reference ? 10000 : o.memberships;
  const std::int64_t working = std::min<std::int64_t>(
      population, o.working > 0 ? o.working : std::min<std::int64_t>(population, 50000));
  if (!reference) {
    std::printf("working set: %" PRId64 " memberships, drawn from all of them\n", working);
  }
  std::mt19937_64 rng(42);
  // The working set: `working` distinct memberships drawn from the whole population.
  std::vector<Actor> actors;
  std::vector<OrgId> where;
  {
    std::vector<std::int64_t> picked;
    std::unordered_map<std::int64_t, bool> seen;
    while (static_cast<std::int64_t>(picked.size()) < working) {
      const auto m =
          working == population
              ? static_cast<std::int64_t>(picked.size())
              : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(population));
      if (seen.emplace(m, true).second) picked.push_back(m);
    }
    for (const auto m : picked) {
      const std::int64_t org_index = m / w.per_org;
      actors.push_back(actor(w.user_of(org_index, m % w.per_org)));
      where.push_back(w.orgs[static_cast<std::size_t>(org_index)]);
    }
  }
  std::vector<std::int64_t> keys;
  for (std::int64_t i = 0; i < 200000; ++i) {
    keys.push_back(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(working)));
  }
  const std::int64_t n = static_cast<std::int64_t>(keys.size());
  auto org_of = [&](std::int64_t k) { return where[static_cast<std::size_t>(k)]; };

  // Baseline: a string-keyed hash map of the same (organization, user) keys.
  std::unordered_map<std::pair<std::int64_t, std::string>, int, PairHash> map;
  for (std::int64_t i = 0; i < working; ++i) {
    map.emplace(std::make_pair(org_of(i).value(), actors[static_cast<std::size_t>(i)].id.value()),
                1);
  }
  volatile int sink = 0;
  const double probe = ns_per_op(o.reps, n, [&](std::int64_t i) {
    const auto k = keys[static_cast<std::size_t>(i)];
    const Actor& a = actors[static_cast<std::size_t>(k)];
    auto it = map.find(std::make_pair(org_of(k).value(), a.id.value()));
    sink = sink + (it != map.end() ? it->second : 0);
  });

  // What one pass of reads costs in memory without a cache (SQLite's page cache of a fresh
  // Service), to take it out of the cache's own figure below.
  long page_cache_kib = 0;
  {
    auto probe_kit = open_service(w, 0);
    const auto read = must(probe_kit->policy().permission("resources:read"), "permission");
    const long before = rss_kib();
    for (std::int64_t i = 0; i < working; ++i) {
      (void)probe_kit->check(actors[static_cast<std::size_t>(i)], org_of(i), read);
    }
    page_cache_kib = rss_kib() - before;
  }
  // A cache sized for the working set, filled once: its bytes per membership, then its hits.
  const long rss_before = rss_kib();
  auto mem_kit = open_service(w, static_cast<std::size_t>(working));
  const auto p = must(mem_kit->policy().permission("resources:read"), "permission");
  for (std::int64_t i = 0; i < working; ++i) {
    (void)mem_kit->check(actors[static_cast<std::size_t>(i)], org_of(i), p);
  }
  const long rss_filled = rss_kib();
  auto& warm_kit = mem_kit;  // timed with a cache exactly the working set's size
  const double warm = ns_per_op(o.reps, n, [&](std::int64_t i) {
    const auto k = keys[static_cast<std::size_t>(i)];
    auto r = warm_kit->check(actors[static_cast<std::size_t>(k)], org_of(k), p);
    if (!r || !*r) die("warm check failed");
  });

  // Baseline: a bare prepared SELECT of the membership row on the same file.
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(w.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    die("sqlite3_open");
  if (mmap_mib > 0) {
    const std::string pragma = "PRAGMA mmap_size = " + std::to_string(std::int64_t{mmap_mib} << 20);
    sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
  }
  const std::string cache_pragma = "PRAGMA cache_size = -" + std::to_string(cache_kib);
  sqlite3_exec(db, cache_pragma.c_str(), nullptr, nullptr, nullptr);
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT role FROM memberships WHERE org_id = ? AND user_id = ? AND tenant = ?",
                     -1, &select, nullptr);
  const double bare_select = ns_per_op(o.reps, n / 4, [&](std::int64_t i) {
    const auto k = keys[static_cast<std::size_t>(i)];
    const Actor& a = actors[static_cast<std::size_t>(k)];
    sqlite3_bind_int64(select, 1, org_of(k).value());
    sqlite3_bind_text(select, 2, a.id.value().data(), static_cast<int>(a.id.value().size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(select, 3, "default", 7, SQLITE_STATIC);
    if (sqlite3_step(select) != SQLITE_ROW) die("bare select found nothing");
    sqlite3_reset(select);
  });
  sqlite3_finalize(select);
  sqlite3_close(db);

  auto cold_kit = open_service(w, 0);
  const double cold = ns_per_op(o.reps, n / 4, [&](std::int64_t i) {
    const auto k = keys[static_cast<std::size_t>(i)];
    auto r = cold_kit->check(actors[static_cast<std::size_t>(k)], org_of(k), p);
    if (!r || !*r) die("cold check failed");
  });

  if (reference) return {warm, cold};
  std::printf("\n%-34s %16s %-34s %16s %8s\n", "what", "orgkit", "baseline", "", "ratio");
  row("check, warm (cache hit)", warm, "ns", "unordered_map<(org,string)> probe", probe, 3.0);
  row("check, cold (cache off)", cold, "ns", "bare prepared SELECT", bare_select, 1.2);

  // Threads: warm checks per second from 1 and 2 threads. Each thread first fills its own
  // cache (untimed: a new thread's cache is empty, and filling it is cold checks), then all
  // start together and the clock runs from that start until the last one ends.
  auto throughput = [&](int threads) {
    std::vector<double> out;
    for (int r = 0; r < o.reps; ++r) {
      std::vector<std::thread> pool;
      const std::int64_t per = n;
      std::atomic<int> filled{0};
      std::atomic<bool> go{false};
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          for (std::int64_t k = 0; k < working; ++k) {
            (void)warm_kit->check(actors[static_cast<std::size_t>(k)], org_of(k), p);
          }
          filled.fetch_add(1);
          while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
          for (std::int64_t i = 0; i < per; ++i) {
            const auto k = keys[static_cast<std::size_t>((i + t * 7919) % n)];
            (void)warm_kit->check(actors[static_cast<std::size_t>(k)], org_of(k), p);
          }
        });
      }
      while (filled.load() < threads) std::this_thread::yield();
      const auto t0 = clock_type::now();
      go.store(true, std::memory_order_release);
      for (auto& th : pool) th.join();
      out.push_back(static_cast<double>(per * threads) /
                    std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    return median(out);
  };
  // The baseline's scaling: the same probes of the hash map from 1 and 2 threads.
  auto probes = [&](int threads) {
    std::vector<double> out;
    for (int r = 0; r < o.reps; ++r) {
      std::vector<std::thread> pool;
      std::atomic<std::int64_t> found{0};
      const auto t0 = clock_type::now();
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          std::int64_t mine = 0;
          for (std::int64_t i = 0; i < n; ++i) {
            const auto k = keys[static_cast<std::size_t>((i + t * 7919) % n)];
            const Actor& a = actors[static_cast<std::size_t>(k)];
            mine += map.count(std::make_pair(org_of(k).value(), a.id.value()));
          }
          found.fetch_add(mine);
        });
      }
      for (auto& th : pool) th.join();
      out.push_back(static_cast<double>(n * threads) /
                    std::chrono::duration<double>(clock_type::now() - t0).count());
      if (found.load() != n * threads) die("a probe missed");
    }
    return median(out);
  };
  const double one = throughput(1), two = throughput(2);
  info("warm checks/s, 1 thread", one, "/s");
  info("warm checks/s, 2 threads", two, "/s");
  info("  scaling, 2 threads / 1", two / one, "x");
  const double probe_one = probes(1), probe_two = probes(2);
  info("  hash probes, 2 threads / 1", probe_two / probe_one, "x (the machine's own scaling)");

  info("bytes per cached membership",
       static_cast<double>(rss_filled - rss_before - page_cache_kib) * 1024.0 /
           static_cast<double>(working),
       "B (RSS growth filling the cache, less a cache-off pass's)");
  const long before_10m = rss_kib();
  for (std::int64_t i = 0; i < 10'000'000; ++i) {
    const auto k = keys[static_cast<std::size_t>(i % n)];
    (void)warm_kit->check(actors[static_cast<std::size_t>(k)], org_of(k), p);
  }
  std::printf("%-34s %10ld KiB before, %ld KiB after 10,000,000 warm checks\n", "RSS", before_10m,
              rss_kib());
  return {warm, cold};
}

// --- writes ----------------------------------------------------------------------------------

// A bare table of the membership's shape on the benchmark's file, written one row per
// BEGIN IMMEDIATE; INSERT; COMMIT through the sqlite3 C API: the baseline of the writes.
class BareInserts {
 public:
  // `indexes`: the membership table's three secondary indexes too. `checkpoint_pages`: 0 for
  // SQLite's default interval (1000 pages), else that interval (orgkit's own setting).
  // `same_pages`: the role index partial as orgkit's, and each transaction also appends a row
  // to an (org_id, id) table, so that it dirties the pages add_member does (a membership with
  // its indexes, an audit event) and nothing else. (orgkit's commit numbers write no page:
  // they are reserved in blocks.)
  BareInserts(const std::string& path, const char* table, bool indexes, int checkpoint_pages,
              bool same_pages = false)
      : table_(table) {
    sqlite3_open(path.c_str(), &db_);
    sqlite3_busy_timeout(db_, 10000);
    exec(power_loss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (checkpoint_pages > 0)
      exec("PRAGMA wal_autocheckpoint = " + std::to_string(checkpoint_pages));
    exec("DROP TABLE IF EXISTS " + table_);
    exec("CREATE TABLE " + table_ +
         " (org_id INTEGER NOT NULL, user_id TEXT NOT NULL, "
         "tenant TEXT NOT NULL, email TEXT NOT NULL, display_name TEXT NOT NULL, "
         "role TEXT NOT NULL, joined_at INTEGER NOT NULL, email_key TEXT NOT NULL, "
         "department TEXT NOT NULL, PRIMARY KEY (org_id, user_id)) WITHOUT ROWID");
    if (indexes) {
      exec("CREATE INDEX " + table_ + "_by_user ON " + table_ + " (tenant, user_id)");
      // With the same pages as orgkit's, the role index as orgkit keeps it: owners and custom
      // roles only (src/sqlite/role_index.hpp), which a new member is not.
      exec("CREATE INDEX " + table_ + "_by_role ON " + table_ + " (org_id, role, user_id)" +
           (same_pages ? " WHERE role <> 'admin' AND role <> 'member' AND role <> 'viewer'" : ""));
      exec("CREATE INDEX " + table_ + "_by_email ON " + table_ + " (org_id, email_key)");
    }
    if (same_pages) {
      exec("DROP TABLE IF EXISTS " + table_ + "_log");
      exec("CREATE TABLE " + table_ +
           "_log (org_id INTEGER NOT NULL, id INTEGER NOT NULL, "
           "what TEXT NOT NULL, PRIMARY KEY (org_id, id)) WITHOUT ROWID");
      const std::string log = "INSERT INTO " + table_ +
                              "_log VALUES (1, ?1, "
                              "'default u-owner member member.added bare-n role member email')";
      sqlite3_prepare_v2(db_, log.c_str(), -1, &log_, nullptr);
    }
    sqlite3_prepare_v2(db_, "BEGIN IMMEDIATE", -1, &begin_, nullptr);
    const std::string insert =
        "INSERT INTO " + table_ + " VALUES (1, ?1, 'default', ?2, '', 'member', 0, ?2, '')";
    sqlite3_prepare_v2(db_, insert.c_str(), -1, &insert_, nullptr);
    sqlite3_prepare_v2(db_, "COMMIT", -1, &commit_, nullptr);
  }
  ~BareInserts() {
    sqlite3_finalize(begin_);
    sqlite3_finalize(insert_);
    sqlite3_finalize(commit_);
    if (log_ != nullptr) {
      sqlite3_finalize(log_);
      exec("DROP TABLE " + table_ + "_log");
    }
    exec("DROP TABLE " + table_);
    sqlite3_close(db_);
  }
  // Microseconds per transaction over `n` more rows.
  double run(int n) {
    const auto t0 = clock_type::now();
    for (int k = 0; k < n; ++k, ++next_) {
      const std::string id = "bare-" + std::to_string(next_), email = id + "@example.com";
      sqlite3_step(begin_);
      sqlite3_reset(begin_);
      sqlite3_bind_text(insert_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert_, 2, email.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(insert_) != SQLITE_DONE) die(sqlite3_errmsg(db_));
      sqlite3_reset(insert_);
      if (log_ != nullptr) {
        sqlite3_bind_int64(log_, 1, next_);
        sqlite3_step(log_);
        sqlite3_reset(log_);
      }
      sqlite3_step(commit_);
      sqlite3_reset(commit_);
    }
    return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
  }

 private:
  void exec(const std::string& sql) { sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  std::string table_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt *begin_ = nullptr, *insert_ = nullptr, *commit_ = nullptr, *log_ = nullptr;
  std::int64_t next_ = 0;
};

// Writes in blocks of 200, each block of an operation followed by a block of bare inserts, so
// that both see the same load on a shared machine; ratios are the median of the blocks'.
void writes(const Options& o, const World& w) {
  constexpr int block = 200;
  const int blocks = 5 * o.reps;
  auto kit = open_service(w, 65536);
  const Actor owner = actor(0);
  // The baselines run with orgkit's checkpoint interval: they share the file's log with
  // orgkit's writes, and a connection with SQLite's shorter default would do the checkpoints
  // of both, which would make the baseline pay for orgkit's pages.
  const int interval = orgkit::SqliteOptions{}.checkpoint_pages;
  BareInserts bare(w.path, "bare_members", false, interval),
      bare_indexed(w.path, "bare_indexed", true, interval),
      bare_pages(w.path, "bare_pages", true, interval, true);
  std::vector<double> add, change, remove, base, base_indexed, base_pages, add_r, change_r,
      remove_r, add_ri, add_rp;
  for (int b = 0; b < blocks; ++b) {
    const std::string prefix = "w" + std::to_string(b) + "-";
    auto timed = [&](const std::function<void(int)>& op) {
      const auto t0 = clock_type::now();
      for (int i = 0; i < block; ++i) op(i);
      return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / block;
    };
    add.push_back(timed([&](int i) {
      const std::string id = prefix + std::to_string(i);
      must(kit->add_member(owner, w.org, {UserId(id), id + "@example.com", "", "member"}),
           "add_member");
    }));
    base.push_back(bare.run(block));
    base_indexed.push_back(bare_indexed.run(block));
    base_pages.push_back(bare_pages.run(block));
    add_r.push_back(add.back() / base.back());
    add_ri.push_back(add.back() / base_indexed.back());
    add_rp.push_back(add.back() / base_pages.back());
    change.push_back(timed([&](int i) {
      must(kit->change_member_role(owner, w.org, UserId(prefix + std::to_string(i)), "viewer"),
           "change_member_role");
    }));
    base.push_back(bare.run(block));
    change_r.push_back(change.back() / base.back());
    remove.push_back(timed([&](int i) {
      must(kit->remove_member(owner, w.org, UserId(prefix + std::to_string(i))), "remove_member");
    }));
    base.push_back(bare.run(block));
    remove_r.push_back(remove.back() / base.back());
  }
  std::printf("\n");
  ratio_row("add_member", median(add), "us", "bare INSERT transaction", median(base), median(add_r),
            3.0);
  ratio_row("change_member_role", median(change), "us", "bare INSERT transaction", median(base),
            median(change_r), 3.0);
  ratio_row("remove_member", median(remove), "us", "bare INSERT transaction", median(base),
            median(remove_r), 3.0);
  ratio_row("add_member", median(add), "us", "bare INSERT, same 3 indexes", median(base_indexed),
            median(add_ri), 3.0);
  ratio_row("add_member", median(add), "us", "bare, same pages (4: +log row)", median(base_pages),
            median(add_rp), 3.0);
}

// --- CSV import ------------------------------------------------------------------------------

void csv_import(const Options& o) {
  if (o.csv_rows <= 0) return;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("orgkit-scale-csv-" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::string csv = "email,role,department,message\n";
  for (std::int64_t i = 0; i < o.csv_rows; ++i) {
    csv += "invitee" + std::to_string(i) + "@example.com,member,engineering,Welcome\n";
  }
  std::vector<double> orgkit_ms, bare_ms;
  for (int r = 0; r < std::min(o.reps, 3); ++r) {
    for (const char* suffix : {"", "-wal", "-shm", "-orgkit-shm"})
      std::filesystem::remove(path + suffix);
    orgkit::ServiceOptions options;
    options.invitations.max_csv_rows = static_cast<std::size_t>(o.csv_rows);
    auto kit = must(Service::open_sqlite(path, std::move(options)), "open_sqlite");
    const Actor owner = actor(0);
    orgkit::NewOrganization spec;
    spec.name = "Import";
    const OrgId org = must(kit->create_organization(owner, spec), "create_organization").id;
    auto t0 = clock_type::now();
    auto result = must(kit->import_invitations_csv(owner, org, csv), "import");
    orgkit_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    if (result.invited != static_cast<std::size_t>(o.csv_rows)) die("import invited fewer rows");
    kit.reset();

    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "CREATE TABLE bare_invitations (id INTEGER PRIMARY KEY, org_id INTEGER, "
                 "email TEXT, email_key TEXT, role TEXT, department TEXT, message TEXT, "
                 "token_hash BLOB UNIQUE, created_at INTEGER, expires_at INTEGER)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO bare_invitations (org_id, email, email_key, role, "
                       "department, message, token_hash, created_at, expires_at) "
                       "VALUES (1, ?1, ?1, 'member', 'engineering', 'Welcome', ?2, 0, 0)",
                       -1, &insert, nullptr);
    std::mt19937_64 rng(7);
    t0 = clock_type::now();
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (std::int64_t i = 0; i < o.csv_rows; ++i) {
      const std::string email = "invitee" + std::to_string(i) + "@example.com";
      std::uint64_t hash[4] = {rng(), rng(), rng(), rng()};
      sqlite3_bind_text(insert, 1, email.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob(insert, 2, hash, sizeof hash, SQLITE_TRANSIENT);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    bare_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  for (const char* suffix : {"", "-wal", "-shm", "-orgkit-shm"})
    std::filesystem::remove(path + suffix);
  std::printf("\n");
  char what[64];
  std::snprintf(what, sizeof what, "CSV import, %" PRId64 " rows", o.csv_rows);
  row(what, median(orgkit_ms), "ms", "bare inserts, one transaction", median(bare_ms), 4.0);
}

// --- cross-process freshness -----------------------------------------------------------------

// The writer process: for each byte read on `in`, 'g' grants, 'r' revokes; after each commit
// returns it writes the steady-clock time (ns) of that moment on `out`.
int writer_main(const std::string& path, OrgId org, int in, int out) {
  auto kit = must(Service::open_sqlite(path), "writer open");
  const Actor owner = actor(0), target = actor(3);  // a member
  char c = 0;
  while (::read(in, &c, 1) == 1) {
    must(kit->change_member_role(owner, org, target.id, c == 'g' ? "admin" : "viewer"), "writer");
    const std::int64_t at =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
            .count();
    if (::write(out, &at, sizeof at) != sizeof at) return 1;
  }
  return 0;
}

void freshness(const Options& o, const World& w, const char* self) {
  // This process's ends are close-on-exec: the writer must not hold the write end of its own
  // input, or it would never see the end of it.
  int to_writer[2], from_writer[2];
  if (::pipe2(to_writer, O_CLOEXEC) != 0 || ::pipe2(from_writer, O_CLOEXEC) != 0) die("pipe");
  ::fcntl(to_writer[0], F_SETFD, 0);
  ::fcntl(from_writer[1], F_SETFD, 0);
  const std::string org = std::to_string(w.org.value()), in = std::to_string(to_writer[0]),
                    out = std::to_string(from_writer[1]);
  std::vector<std::string> args{self, "--writer", w.path, org, in, out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self, nullptr, nullptr, argv.data(), environ) != 0) die("posix_spawn");
  ::close(to_writer[0]);
  ::close(from_writer[1]);

  auto kit = open_service(w, 65536);
  const Actor target = actor(3);
  const auto invite = must(kit->policy().permission("members:invite"), "permission");
  long stale = 0;
  std::vector<double> to_deny_us;
  auto wait_commit = [&] {
    std::int64_t at = 0;
    if (::read(from_writer[0], &at, sizeof at) != sizeof at) die("writer ended");
    return at;
  };
  for (int round = 0; round < o.rounds; ++round) {
    if (::write(to_writer[1], "g", 1) != 1) die("write");
    (void)wait_commit();
    for (int k = 0; k < 3; ++k) {  // warm the cache with the grant
      if (!must(kit->check(target, w.org, invite), "check")) die("grant not seen");
    }
    if (::write(to_writer[1], "r", 1) != 1) die("write");
    const std::int64_t committed = wait_commit();
    // Every check from here on started after the revocation's commit returned.
    for (;;) {
      const bool allowed = must(kit->check(target, w.org, invite), "check");
      if (!allowed) break;
      ++stale;
      if (stale > 1000000) die("never denied");
    }
    const std::int64_t denied =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
            .count();
    to_deny_us.push_back(static_cast<double>(denied - committed) / 1000.0);
  }
  ::close(to_writer[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(from_writer[0]);
  std::sort(to_deny_us.begin(), to_deny_us.end());
  std::printf("\ncross-process freshness, %d revocations by another process:\n", o.rounds);
  info("  stale allows", static_cast<double>(stale), "");
  info("  commit returned -> first deny, median", to_deny_us[to_deny_us.size() / 2], "us");
  info("  commit returned -> first deny, p99", to_deny_us[to_deny_us.size() * 99 / 100], "us");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::strcmp(argv[1], "--writer") == 0) {
    return writer_main(argv[2], OrgId(std::atoll(argv[3])), std::atoi(argv[4]), std::atoi(argv[5]));
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) die("missing value after " + a);
      return std::atoll(argv[++i]);
    };
    if (a == "--memberships")
      o.memberships = next();
    else if (a == "--users")
      o.users = next();
    else if (a == "--reps")
      o.reps = static_cast<int>(next());
    else if (a == "--csv-rows")
      o.csv_rows = next();
    else if (a == "--rounds")
      o.rounds = static_cast<int>(next());
    else if (a == "--keep")
      o.keep = true;
    else if (a == "--working")
      o.working = next();
    else if (a == "--mmap-mib")
      o.mmap_mib = static_cast<int>(next());
    else if (a == "--cache-kib")
      o.cache_kib = static_cast<int>(next());
    else if (a == "--durability" && i + 1 < argc) {
      const std::string d = argv[++i];
      if (d != "process_crash" && d != "power_loss") die("--durability: process_crash or power_loss");
      o.power_loss = d == "power_loss";
    }
    else if (a == "--only" && i + 1 < argc)
      o.only = argv[++i];
    else
      die("unknown option " + a + " (see the top of bench/scale_benchmark.cpp)");
  }
  if (o.memberships < 10 || o.reps < 1 || o.rounds < 1 || o.working < 0 || o.cache_kib < 64 ||
      o.working > o.memberships ||
      !(o.only.empty() || o.only == "checks" || o.only == "writes" || o.only == "csv" ||
        o.only == "freshness")) {
    die("bad option values");
  }
  std::printf("orgkit_scale_benchmark --memberships %" PRId64 " --users %" PRId64
              " --reps %d --csv-rows %" PRId64
              " --rounds %d --mmap-mib %d --cache-kib %d --durability %s (medians of %d "
              "repetitions)\n",
              o.memberships, o.users > 0 ? o.users : o.memberships, o.reps, o.csv_rows, o.rounds,
              o.mmap_mib, o.cache_kib, o.power_loss ? "power_loss" : "process_crash", o.reps);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("orgkit-scale-" + std::to_string(::getpid()) + ".db"))
                               .string();
  if (o.users <= 0 || o.users > o.memberships) o.users = o.memberships;
  mmap_mib = o.mmap_mib;
  cache_kib = o.cache_kib;
  power_loss = o.power_loss;
  const World w = populate(path, o.memberships, o.users);
  if (o.runs("checks")) {
    const CheckFigures large = checks(o, w);
    if (o.memberships > 10000) {
      // The scale goal compares with 10,000 members: measured here, in the same run, on a file
      // of 10,000 members in one organization with the same working set and settings.
      const std::string ref_path = path + "-ref.db";
      const World ref = populate(ref_path, 10000, 10000);
      const CheckFigures small = checks(o, ref, true);
      for (const char* suffix : {"", "-wal", "-shm", "-orgkit-shm"}) {
        std::filesystem::remove(ref_path + suffix);
      }
      row("check, warm, this file", large.warm, "ns", "the same, 10,000 members", small.warm, 1.5);
      row("check, cold, this file", large.cold, "ns", "the same, 10,000 members", small.cold, 1.5);
    }
  }
  if (o.runs("writes")) writes(o, w);
  if (o.runs("csv")) csv_import(o);
  if (o.runs("freshness")) freshness(o, w, argv[0]);
  if (!o.keep) {
    for (const char* suffix : {"", "-wal", "-shm", "-orgkit-shm"})
      std::filesystem::remove(path + suffix);
  }
  return 0;
}
