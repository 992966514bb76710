// The PostgreSQL backend's figures (issue 10, item 8), each next to a baseline measured in
// the same run on the same server: the machines are shared and noisy, so every figure is a
// median of several repetitions, reported with its ratio to the baseline.
//
//   cmake --preset bench && cmake --build --preset bench --target orgkit_postgres_benchmark
//   ./build/bench/bench/orgkit_postgres_benchmark             # starts a throwaway server
//   ./build/bench/bench/orgkit_postgres_benchmark --conninfo "host=/run/postgresql dbname=x"
//   options: --members N (1000), --reps R (5), --checks N (2000 per repetition),
//            --writes N (300 per repetition), --rounds N (300 freshness rounds), --conninfo C
//            (an existing server; the benchmark makes a schema of its own there and drops it
//            at the end)
//
// Rows, each with its baseline:
//   check, warm          Service::check answered from the cache (LISTEN/NOTIFY keeps it fresh),
//                        random members / a string-keyed std::unordered_map probe of the keys
//   check, cache off     Service::check with check_cache_capacity = 0, random members
//   check, token unseen  at_least_as_fresh(token) of a commit whose notification this process
//                        has not received: a read
//   check, token seen    the same once the notification is in: the cache
//     baseline for the cold three: a bare prepared libpqxx SELECT of the same membership row
//     (and its custom role), outside a transaction, on a connection of its own
//   freshness            a second process (this program, spawned) grants and revokes; this one
//                        checks: stale allows of plain checks, the time from the writer's commit
//                        returning to the first plain deny here (the stale window), and stale
//                        allows of checks at the writer's token (0 by design)
//   add_member, change_member_role, remove_member: one use case per transaction
//   add_member, 2nd server: the same while another store listens, so that each commit waits
//                        until that store has heard of it (the price of never-stale caches)
//     baseline: a bare BEGIN; INSERT one memberships-shaped row; COMMIT through libpqxx
//
// Without --conninfo the server is tests/postgres/server.sh's throwaway cluster (Unix
// socket only, fsync off: a test setting, so write figures are lower than on a durable
// server, for the baseline as well). Nothing here is a test: no figure is checked.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcntl.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <orgkit/orgkit.hpp>
#include <orgkit/postgres.hpp>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;
using namespace orgkit;

struct Options {
  std::string conninfo;
  int members = 1000;
  int reps = 5;
  int checks = 2000;
  int writes = 300;
  int rounds = 300;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "orgkit_postgres_benchmark: %s\n", what.c_str());
  std::exit(1);
}

template <class R>
void must(const R& r, const char* what) {
  if (!r) die(std::string(what) + ": " + to_string(r.error()));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Microseconds per call of `op(i)` over `n` calls, median of `reps` repetitions.
double us_per_op(int reps, int n, const std::function<void(int, int)>& op) {
  std::vector<double> out;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) op(r, i);
    out.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n);
  }
  return median(out);
}

void row(const char* what, double value, const char* baseline_name, double baseline) {
  std::printf("%-22s %9.1f us   %-34s %9.1f us   %6.2fx\n", what, value, baseline_name, baseline,
              value / baseline);
}

// The throwaway server of tests/postgres/server.sh, stopped when this object dies.
class OwnServer {
 public:
  OwnServer() : info_("/tmp/orgkit-bench-" + std::to_string(::getpid()) + ".info") {
    if (script("start") != 0) die("could not start a PostgreSQL server (see above)");
    std::ifstream in(info_);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("conninfo=", 0) == 0) conninfo_ = line.substr(9);
    }
  }
  ~OwnServer() { (void)script("stop"); }
  OwnServer(const OwnServer&) = delete;
  OwnServer& operator=(const OwnServer&) = delete;
  const std::string& conninfo() const { return conninfo_; }

 private:
  int script(const std::string& command) {
    std::vector<std::string> args{"sh", ORGKIT_PG_SERVER_SCRIPT, command, info_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) != 0) return -1;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string info_;
  std::string conninfo_;
};

std::string member_id(int i) { return "member-" + std::to_string(i); }

Actor member_actor(int i) {
  return Actor{UserId(member_id(i)), member_id(i) + "@example.com", "", default_tenant()};
}

// The organization and its members, written through the Storage interface in one
// transaction (the Service would make that one use case and one audit event per member).
OrgId populate(Storage& s, int members) {
  auto tx = s.begin_write(WriteScope{default_tenant(), {}});
  must(tx, "begin");
  Organization o;
  o.tenant = default_tenant();
  o.name = "Bench";
  o.slug = "bench";
  o.created_by = UserId(member_id(0));
  o.created_at = from_unix_ms(0);
  auto org = (*tx)->insert_organization(o);
  must(org, "insert organization");
  for (int i = 0; i < members; ++i) {
    must((*tx)->insert_membership(default_tenant(),
                                  {*org, UserId(member_id(i)), member_id(i) + "@example.com", "",
                                   i == 0 ? "owner" : "member", from_unix_ms(0), {}}),
         "insert membership");
  }
  must((*tx)->commit(), "commit");
  return *org;
}

std::unique_ptr<Service> service(const PostgresOptions& po, std::size_t cache,
                                 const Storage** store = nullptr) {
  auto storage = open_postgres(po);
  must(storage, "open_postgres");
  if (store != nullptr) *store = storage->get();
  ServiceOptions so;
  so.check_cache_capacity = cache;
  auto kit = Service::create(std::move(*storage), std::move(so));
  must(kit, "Service::create");
  return std::move(*kit);
}

// Waits (bounded) until the store's listener trusts its channel.
void wait_listening(const Storage& store) {
  const ChangeSignal* signal = store.change_signal();
  if (signal == nullptr) die("no change signal: is cache_checks off?");
  for (int i = 0; i < 5000 && !signal->settled(OrgId(1)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void checks(const Options& o, const PostgresOptions& po, OrgId org) {
  auto cold = service(po, 0);
  const Storage* warm_store = nullptr;
  auto warm = service(po, 65536, &warm_store);
  wait_listening(*warm_store);
  pqxx::connection bare(po.connection);
  pqxx::nontransaction run(bare);
  run.exec("SET search_path TO " + po.schema);
  bare.prepare("access",
               "SELECT m.role, r.permissions FROM memberships m LEFT JOIN org_roles r "
               "ON r.org_id = m.org_id AND r.name = m.role "
               "WHERE m.org_id = $1 AND m.user_id = $2 AND m.tenant = $3");
  std::mt19937 random(42);
  std::vector<int> who(static_cast<std::size_t>(o.checks));
  for (auto& w : who) w = static_cast<int>(random() % static_cast<unsigned>(o.members));
  std::vector<Actor> actors;
  for (int i = 0; i < o.members; ++i) actors.push_back(member_actor(i));
  const Actor owner = member_actor(0);
  auto last = cold->change_member_role(owner, org, UserId(member_id(1)), "viewer");
  must(last, "change_member_role");
  const CommitToken token = last->commit_token;  // another store's write: heard by notification

  auto check_with = [&](Service& kit, const Consistency c) {
    return [&kit, &who, &actors, org, c](int, int i) {
      auto r = kit.check(actors[static_cast<std::size_t>(who[static_cast<std::size_t>(i)])], org,
                         "members:read", c);
      must(r, "check");
    };
  };
  const double baseline = us_per_op(o.reps, o.checks, [&](int, int i) {
    const std::string user = member_id(who[static_cast<std::size_t>(i)]);
    const auto r = run.exec_prepared("access", org.value(), user, default_tenant().value());
    if (r.size() != 1) die("bare SELECT found no row");
  });
  const double off = us_per_op(o.reps, o.checks, check_with(*cold, Consistency::minimize_latency()));
  const double unseen = us_per_op(o.reps, o.checks,
                                  check_with(*warm, Consistency::at_least_as_fresh(CommitToken(
                                                        token.sequence() + 1))));
  // Warm: every member checked once to fill the cache, then the timed passes.
  for (int i = 0; i < o.members; ++i) must(warm->check(actors[static_cast<std::size_t>(i)], org, "members:read"), "check");
  const int warm_n = o.checks * 50;
  std::vector<int> warm_who(static_cast<std::size_t>(warm_n));
  for (auto& w : warm_who) w = static_cast<int>(random() % static_cast<unsigned>(o.members));
  auto ns = [&](const std::function<void(int)>& op) {
    std::vector<double> out;
    for (int r = 0; r < o.reps; ++r) {
      const auto t0 = clock_type::now();
      for (int i = 0; i < warm_n; ++i) op(i);
      out.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() / warm_n);
    }
    return median(out);
  };
  std::unordered_map<std::string, bool> probe;
  for (int i = 0; i < o.members; ++i) probe.emplace(std::to_string(org.value()) + "/" + member_id(i), true);
  std::string key;
  const double hash_ns = ns([&](int i) {
    const Actor& a = actors[static_cast<std::size_t>(warm_who[static_cast<std::size_t>(i)])];
    key.assign(std::to_string(org.value())).append("/").append(a.id.value());
    if (probe.find(key) == probe.end()) die("probe missed");
  });
  const double warm_ns = ns([&](int i) {
    auto r = warm->check(actors[static_cast<std::size_t>(warm_who[static_cast<std::size_t>(i)])],
                         org, "members:read");
    must(r, "check");
  });
  const double seen = us_per_op(o.reps, o.checks,
                                check_with(*warm, Consistency::at_least_as_fresh(token)));
  std::printf("%-22s %9.1f ns   %-34s %9.1f ns   %6.2fx\n", "check, warm", warm_ns,
              "unordered_map<string> probe", hash_ns, warm_ns / hash_ns);
  row("check, cache off", off, "bare prepared SELECT (libpqxx)", baseline);
  row("check, token unseen", unseen, "bare prepared SELECT (libpqxx)", baseline);
  row("check, token seen", seen, "bare prepared SELECT (libpqxx)", baseline);
}

// The writer process of the freshness rounds: for each byte on stdin, 'g' grants, 'r'
// revokes; after each commit returns it writes the steady-clock time (ns) and the token.
int writer_main(const PostgresOptions& po, OrgId org) {
  auto kit = service(po, 0);
  const Actor owner = member_actor(0);
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1) {
    auto r = kit->change_member_role(owner, org, UserId(member_id(2)), c == 'g' ? "admin" : "viewer");
    must(r, "writer");
    const std::int64_t at = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                clock_type::now().time_since_epoch()).count();
    const std::uint64_t token = r->commit_token.sequence();
    if (::write(STDOUT_FILENO, &at, sizeof at) != sizeof at) return 1;
    if (::write(STDOUT_FILENO, &token, sizeof token) != sizeof token) return 1;
  }
  return 0;
}

void freshness(const Options& o, const PostgresOptions& po, OrgId org, const char* self) {
  int to_writer[2], from_writer[2];
  if (::pipe2(to_writer, O_CLOEXEC) != 0 || ::pipe2(from_writer, O_CLOEXEC) != 0) die("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_writer[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_writer[1], STDOUT_FILENO);
  // The connection string (it may hold a password) goes through the environment, never the
  // command line, which every user of the machine can read.
  ::setenv("ORGKIT_BENCH_CONNINFO", po.connection.c_str(), 1);
  std::vector<std::string> args{self, "--writer", po.schema, std::to_string(org.value())};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self, &actions, nullptr, argv.data(), environ) != 0) die("posix_spawn");
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_writer[0]);
  ::close(from_writer[1]);

  const Storage* store = nullptr;
  auto kit = service(po, 65536, &store);
  wait_listening(*store);
  const Actor target = member_actor(2);
  long stale = 0, stale_at_token = 0;
  std::vector<double> to_deny_us;
  auto wait_commit = [&](std::uint64_t& token) {
    std::int64_t at = 0;
    if (::read(from_writer[0], &at, sizeof at) != sizeof at) die("writer ended");
    if (::read(from_writer[0], &token, sizeof token) != sizeof token) die("writer ended");
    return at;
  };
  for (int round = 0; round < o.rounds; ++round) {
    std::uint64_t token = 0;
    if (::write(to_writer[1], "g", 1) != 1) die("write");
    (void)wait_commit(token);
    for (int k = 0; k < 1000; ++k) {  // until the grant is heard, then cached
      auto r = kit->check(target, org, "members:invite");
      must(r, "check");
      if (*r) break;
    }
    if (::write(to_writer[1], "r", 1) != 1) die("write");
    const std::int64_t committed = wait_commit(token);
    auto at_token = kit->check(target, org, "members:invite",
                               Consistency::at_least_as_fresh(CommitToken(token)));
    must(at_token, "check");
    if (*at_token) ++stale_at_token;
    for (long spins = 0;; ++spins) {
      auto r = kit->check(target, org, "members:invite");
      must(r, "check");
      if (!*r) break;
      ++stale;
      if (spins > 100000000) die("never denied");
    }
    const std::int64_t denied = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    clock_type::now().time_since_epoch()).count();
    to_deny_us.push_back(static_cast<double>(denied - committed) / 1000.0);
  }
  ::close(to_writer[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(from_writer[0]);
  std::sort(to_deny_us.begin(), to_deny_us.end());
  std::printf("\nfreshness, %d revocations by another process:\n", o.rounds);
  std::printf("  %-50s %ld\n", "stale allows, checks at the writer's token", stale_at_token);
  std::printf("  %-50s %ld (in %d rounds)\n", "stale allows, plain checks (cache)", stale, o.rounds);
  std::printf("  %-50s %.1f us median, %.1f us p99, %.1f us max\n",
              "commit returned -> first plain deny (stale window)",
              to_deny_us[to_deny_us.size() / 2], to_deny_us[to_deny_us.size() * 99 / 100],
              to_deny_us.back());
}

void writes(const Options& o, const PostgresOptions& po, OrgId org) {
  auto kit = service(po, 65536);
  pqxx::connection bare(po.connection);
  pqxx::nontransaction run(bare);
  run.exec("SET search_path TO " + po.schema +
           "; CREATE TABLE bare_members (LIKE memberships INCLUDING ALL)");
  bare.prepare("insert",
               "INSERT INTO bare_members (org_id, user_id, tenant, email, email_key, role, "
               "joined_at) VALUES ($1, $2, 'default', $3, $3, 'member', 0)");
  const Actor owner = member_actor(0);
  auto id = [](int r, int i) { return "w" + std::to_string(r) + "-" + std::to_string(i); };
  const double add = us_per_op(o.reps, o.writes, [&](int r, int i) {
    must(kit->add_member(owner, org, {UserId(id(r, i)), id(r, i) + "@example.com", "", "member"}),
         "add_member");
  });
  const double change = us_per_op(o.reps, o.writes, [&](int r, int i) {
    must(kit->change_member_role(owner, org, UserId(id(r, i)), "viewer"), "change_member_role");
  });
  const double remove = us_per_op(o.reps, o.writes, [&](int r, int i) {
    must(kit->remove_member(owner, org, UserId(id(r, i))), "remove_member");
  });
  const double baseline = us_per_op(o.reps, o.writes, [&](int r, int i) {
    run.exec("BEGIN");
    run.exec_prepared("insert", org.value(), id(r, i), id(r, i) + "@example.com");
    run.exec("COMMIT");
  });
  // Another application server's cache listening: each commit now waits for it to hear.
  const Storage* other_store = nullptr;
  auto other = service(po, 65536, &other_store);
  wait_listening(*other_store);
  auto id2 = [](int r, int i) { return "l" + std::to_string(r) + "-" + std::to_string(i); };
  const double add_listened = us_per_op(o.reps, o.writes, [&](int r, int i) {
    must(kit->add_member(owner, org, {UserId(id2(r, i)), id2(r, i) + "@example.com", "", "member"}),
         "add_member");
  });
  row("add_member", add, "bare BEGIN; INSERT; COMMIT", baseline);
  row("change_member_role", change, "bare BEGIN; INSERT; COMMIT", baseline);
  row("remove_member", remove, "bare BEGIN; INSERT; COMMIT", baseline);
  row("add_member, 2nd server", add_listened, "bare BEGIN; INSERT; COMMIT", baseline);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--conninfo") o.conninfo = next();
    else if (a == "--members") o.members = std::max(2, std::atoi(next().c_str()));
    else if (a == "--reps") o.reps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--checks") o.checks = std::max(1, std::atoi(next().c_str()));
    else if (a == "--writes") o.writes = std::max(1, std::atoi(next().c_str()));
    else if (a == "--rounds") o.rounds = std::max(1, std::atoi(next().c_str()));
    else die("unknown option " + a + " (see the top of postgres_benchmark.cpp)");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--writer") {
    PostgresOptions po;
    const char* conninfo = std::getenv("ORGKIT_BENCH_CONNINFO");
    po.connection = conninfo != nullptr ? conninfo : "";
    po.schema = argv[2];
    return writer_main(po, OrgId(std::atoll(argv[3])));
  }
  Options o = parse(argc, argv);
  std::unique_ptr<OwnServer> server;
  if (o.conninfo.empty()) {
    server = std::make_unique<OwnServer>();
    o.conninfo = server->conninfo();
  }
  PostgresOptions po;
  po.connection = o.conninfo;
  po.schema = "orgkit_bench_" + std::to_string(::getpid());
  OrgId org;
  {
    auto store = open_postgres(po);
    must(store, "open_postgres");
    org = populate(**store, o.members);
  }
  std::printf("orgkit PostgreSQL benchmark: %d members, medians of %d repetitions\n\n", o.members,
              o.reps);
  std::printf("%-22s %12s   %-34s %12s   %7s\n", "what", "orgkit", "baseline", "", "ratio");
  checks(o, po, org);
  writes(o, po, org);
  freshness(o, po, org, argv[0]);
  try {
    pqxx::connection c(po.connection);
    pqxx::nontransaction n(c);
    n.exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + po.schema + " CASCADE");
  } catch (const std::exception&) {
    std::fprintf(stderr, "orgkit_postgres_benchmark: could not drop schema %s\n",
                 po.schema.c_str());
  }
  return 0;
}
