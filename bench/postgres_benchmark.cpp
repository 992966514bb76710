// The PostgreSQL backend's figures (issue 10, item 8), each next to a baseline measured in
// the same run on the same server: the machines are shared and noisy, so every figure is a
// median of several repetitions, reported with its ratio to the baseline.
//
//   cmake --preset bench && cmake --build --preset bench --target orgkit_postgres_benchmark
//   ./build/bench/bench/orgkit_postgres_benchmark             # starts a throwaway server
//   ./build/bench/bench/orgkit_postgres_benchmark --conninfo "host=/run/postgresql dbname=x"
//   options: --members N (1000), --reps R (5), --checks N (2000 per repetition),
//            --writes N (300 per repetition), --conninfo C (an existing server; the benchmark
//            makes a schema of its own there and drops it at the end)
//
// Rows, each with its baseline:
//   check, cache off     Service::check with check_cache_capacity = 0, random members
//   check, cache on      the same with the default cache: the PostgreSQL store has no change
//                        signal yet, so this reads the store too (the figure shows it costs
//                        nothing extra)
//   check with a token   check(actor, org, permission, token): "at least as fresh as" the
//                        last write; always a read here
//     baseline for the three: a bare prepared libpqxx SELECT of the same membership row (and
//     its custom role), outside a transaction, on a connection of its own
//   add_member, change_member_role, remove_member: one use case per transaction
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
#include <vector>

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

std::unique_ptr<Service> service(const PostgresOptions& po, std::size_t cache) {
  auto storage = open_postgres(po);
  must(storage, "open_postgres");
  ServiceOptions so;
  so.check_cache_capacity = cache;
  auto kit = Service::create(std::move(*storage), std::move(so));
  must(kit, "Service::create");
  return std::move(*kit);
}

void checks(const Options& o, const PostgresOptions& po, OrgId org) {
  auto cold = service(po, 0);
  auto warm = service(po, 65536);
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
  const Actor owner = member_actor(0);
  auto last = warm->change_member_role(owner, org, UserId(member_id(1)), "viewer");
  must(last, "change_member_role");
  const CommitToken token = last->commit_token;

  auto check_with = [&](Service& kit, const CommitToken* t) {
    return [&kit, &who, org, t](int, int i) {
      const Actor a = member_actor(who[static_cast<std::size_t>(i)]);
      auto r = t != nullptr ? kit.check(a, org, "members:read", *t)
                            : kit.check(a, org, "members:read");
      must(r, "check");
    };
  };
  const double baseline = us_per_op(o.reps, o.checks, [&](int, int i) {
    const std::string user = member_id(who[static_cast<std::size_t>(i)]);
    const auto r = run.exec_prepared("access", org.value(), user, default_tenant().value());
    if (r.size() != 1) die("bare SELECT found no row");
  });
  const double off = us_per_op(o.reps, o.checks, check_with(*cold, nullptr));
  const double on = us_per_op(o.reps, o.checks, check_with(*warm, nullptr));
  const double fresh = us_per_op(o.reps, o.checks, check_with(*warm, &token));
  row("check, cache off", off, "bare prepared SELECT (libpqxx)", baseline);
  row("check, cache on", on, "bare prepared SELECT (libpqxx)", baseline);
  row("check with a token", fresh, "bare prepared SELECT (libpqxx)", baseline);
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
  row("add_member", add, "bare BEGIN; INSERT; COMMIT", baseline);
  row("change_member_role", change, "bare BEGIN; INSERT; COMMIT", baseline);
  row("remove_member", remove, "bare BEGIN; INSERT; COMMIT", baseline);
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
    else die("unknown option " + a + " (see the top of postgres_benchmark.cpp)");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
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
