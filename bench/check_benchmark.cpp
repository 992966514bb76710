// Service::check, the call on the path of every request a host serves: how long one takes on
// an organization of 10,000 members in a SQLite file.
//
// Run it from the repository root (the "bench" preset is a Release build without tests):
//   cmake --preset bench
//   cmake --build --preset bench
//   ./build/bench/bench/orgkit_check_benchmark
// For stable figures (mean, median and spread of 5 runs of each benchmark) add the flags
//   --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The organization is written once, straight through the Storage interface in one write
// transaction (adding 10,000 members through the Service would be 10,000 transactions, each
// with its audit event, and is not what is measured), then handed to a Service. The file is
// a temporary one, removed at exit.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <unistd.h>

#include <orgkit/orgkit.hpp>

namespace {

constexpr int member_count = 10'000;

std::string member_id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user-%05d", i);
  return buf;
}

// One organization of `member_count` members (one owner, a few admins, members and viewers)
// in a temporary file, shared by every benchmark and thread.
class world {
 public:
  static world& get() {
    static world w;
    return w;
  }

  world(const world&) = delete;
  world& operator=(const world&) = delete;

  ~world() {
    kit_.reset();  // close the connections before removing the files
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }

  [[nodiscard]] const orgkit::Service& kit() const { return *kit_; }
  [[nodiscard]] orgkit::OrgId org() const { return org_; }
  [[nodiscard]] const orgkit::PermissionPolicy& policy() const { return kit_->policy(); }

  /// Member number i as an actor (i = 0 is the owner; i % 100 == 1 are admins; i % 10 == 2
  /// viewers; the rest members).
  [[nodiscard]] static orgkit::Actor actor(int i) {
    return orgkit::Actor{orgkit::UserId(member_id(i)), member_id(i) + "@example.com", "",
                         orgkit::default_tenant()};
  }

 private:
  world() {
    path_ = (std::filesystem::temp_directory_path() /
             ("orgkit-bench-" + std::to_string(::getpid()) + ".db"))
                .string();
    std::filesystem::remove(path_);
    orgkit::SqliteOptions options;
    options.path = path_;
    auto storage = orgkit::open_sqlite(options);
    if (!storage) die("open_sqlite", storage.error());

    auto tx = (*storage)->begin_write(orgkit::WriteScope{});
    if (!tx) die("begin", tx.error());
    const auto now = orgkit::SystemClock().now();
    orgkit::Organization org;
    org.tenant = orgkit::default_tenant();
    org.name = "Benchmark";
    org.slug = "benchmark";
    org.created_by = orgkit::UserId(member_id(0));
    org.created_at = now;
    auto id = (*tx)->insert_organization(org);
    if (!id) die("insert_organization", id.error());
    org_ = *id;
    for (int i = 0; i < member_count; ++i) {
      const char* role = i == 0 ? "owner" : i % 100 == 1 ? "admin" : i % 10 == 2 ? "viewer"
                                                                                : "member";
      orgkit::Membership m{org_, orgkit::UserId(member_id(i)), member_id(i) + "@example.com",
                           "", role, now, {}};
      if (auto ok = (*tx)->insert_membership(org.tenant, m); !ok) {
        die("insert_membership", ok.error());
      }
    }
    if (auto ok = (*tx)->commit(); !ok) die("commit", ok.error());
    tx->reset();
    auto kit = orgkit::Service::create(std::move(*storage));
    if (!kit) die("Service::create", kit.error());
    kit_ = std::move(*kit);
  }

  [[noreturn]] static void die(const char* what, const orgkit::Error& e) {
    std::fprintf(stderr, "benchmark setup: %s: %s\n", what, orgkit::to_string(e).c_str());
    std::exit(1);
  }

  std::string path_;
  std::unique_ptr<orgkit::Service> kit_;
  orgkit::OrgId org_;
};

orgkit::Permission permission(std::string_view name) {
  auto p = world::get().policy().permission(name);
  if (!p) std::abort();  // a typo in this file
  return *p;
}

// Runs check(actor, permission) in a loop; fails the benchmark if the answer is not `expected`.
void run_check(benchmark::State& state, const orgkit::Actor& actor, std::string_view name,
               bool expected) {
  const world& w = world::get();
  const orgkit::Permission p = permission(name);
  for (auto _ : state) {
    auto r = w.kit().check(actor, w.org(), p);
    benchmark::DoNotOptimize(r);
    if (!r || *r != expected) {
      state.SkipWithError("check gave an unexpected answer");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Each thread uses its own member, spread over the table, as concurrent requests would.
int member_for(const benchmark::State& state) { return 5'003 + 10 * state.thread_index(); }

void check_allowed(benchmark::State& state) {
  run_check(state, world::actor(member_for(state)), "resources:create", true);
}

void check_denied(benchmark::State& state) {
  run_check(state, world::actor(member_for(state)), "members:invite", false);
}

void check_non_member(benchmark::State& state) {
  run_check(state, world::actor(member_count + 7 + state.thread_index()), "resources:read",
            false);
}

// P7: "manage own" on a resource the member owns (the overload with a resource owner).
void check_resource_owner(benchmark::State& state) {
  const world& w = world::get();
  const orgkit::Actor actor = world::actor(member_for(state));
  const orgkit::Permission p = permission("resources:manage_own");
  for (auto _ : state) {
    auto r = w.kit().check(actor, w.org(), p, actor.id);
    benchmark::DoNotOptimize(r);
    if (!r || !*r) {
      state.SkipWithError("check gave an unexpected answer");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void setup(const benchmark::State&) { (void)world::get(); }

// Build the organization before timing starts, not inside the first measured iteration.
BENCHMARK(check_allowed)->Setup(setup);
BENCHMARK(check_denied)->Setup(setup);
BENCHMARK(check_non_member)->Setup(setup);
BENCHMARK(check_resource_owner)->Setup(setup);
BENCHMARK(check_allowed)->Setup(setup)->Threads(2)->UseRealTime();
BENCHMARK(check_resource_owner)->Setup(setup)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
