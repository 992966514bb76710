// orgkit_pg_race_worker: one application server of the PostgreSQL race test
// (postgres_race_test.cpp, issue 10: "several servers, one truth").
//
// The test starts four of these, each with its own Service and connection pool on one schema
// of the test server, so contention happens between processes (as between application
// servers) as well as between the four threads of each. It is a separate executable started
// with posix_spawn, like tests/concurrency/e3_worker.cpp, so that no process shares another's
// connections.
//
// Usage: orgkit_pg_race_worker <mode> <schema> <barrier_file> <go_file> <name> <arg>
//   owners <org_id>      thread t is the owner "owner-<name>-<t>" of the organization and
//                        steps down to admin: "ok", or "conflict" (the last-owner guard)
//   link <tokens_file>   thread t, as user "taker-<name>-<t>", accepts the single-use link
//                        whose token is the file's first line (a file: a token is a secret and
//                        a command line is visible to every user): "ok" or "already_used"
//   seats <org_id>       thread t adds "seat-<name>-<t>" as a member, acting as "boss":
//                        "ok" or "limit_exceeded" (the plan's seat limit)
// Each thread prints "<name>-<t> <outcome>"; any other outcome ends the process with status 1.
// The server comes from the test server's info file ($ORGKIT_PG_INFO, else the one the build
// names, as for the tests). The process writes
// "<go_file>.ready-<name>" once its Service is open and waits (bounded) for the go file; then
// all sixteen threads of the four processes meet at a process-shared pthread barrier in
// <barrier_file>, so the racing operations start at the same moment.
#include <pthread.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <orgkit/orgkit.hpp>
#include <orgkit/postgres.hpp>

namespace {

using orgkit::Actor;
using orgkit::ErrorCode;
using orgkit::OrgId;
using orgkit::UserId;

constexpr int threads_per_worker = 4;

Actor actor_named(const std::string& id) {
  return Actor{UserId(id), id + "@example.com", id, orgkit::default_tenant()};
}

std::string conninfo() {
  const char* path = std::getenv("ORGKIT_PG_INFO");
  std::ifstream in(path != nullptr ? path : ORGKIT_PG_INFO_DEFAULT);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("conninfo=", 0) == 0) return line.substr(9);
  }
  return {};
}

pthread_barrier_t* map_barrier(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return nullptr;
  void* p = ::mmap(nullptr, sizeof(pthread_barrier_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  return p == MAP_FAILED ? nullptr : static_cast<pthread_barrier_t*>(p);
}

bool wait_for_go(const std::string& go_file) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(go_file)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The outcome of one racing operation as a word, or "error: ..." for an unexpected one.
template <class R>
std::string outcome(const R& r, ErrorCode expected) {
  if (r) return "ok";
  if (r.error().code == expected) return std::string(orgkit::to_string(expected));
  return "error: " + orgkit::to_string(r.error());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: orgkit_pg_race_worker owners|link|seats <schema> <barrier_file> "
                 "<go_file> <name> <arg>\n";
    return 2;
  }
  const std::string mode = argv[1], schema = argv[2], barrier_file = argv[3],
                    go_file = argv[4], name = argv[5], arg = argv[6];
  orgkit::PostgresOptions po;
  po.connection = conninfo();
  po.schema = schema;
  po.pool_size = threads_per_worker;
  auto storage = orgkit::open_postgres(po);
  if (!storage) {
    std::cerr << "open: " << storage.error() << '\n';
    return 1;
  }
  orgkit::ServiceOptions options;
  options.plans.plans = {{"small", true, 10}};
  options.plans.default_plan = "small";
  auto kit = orgkit::Service::create(std::move(*storage), std::move(options));
  if (!kit) {
    std::cerr << "create: " << kit.error() << '\n';
    return 1;
  }
  std::string token;
  if (mode == "link") std::getline(std::ifstream(arg), token);
  pthread_barrier_t* barrier = map_barrier(barrier_file);
  if (barrier == nullptr) return 1;
  std::ofstream(go_file + ".ready-" + name) << "ready\n";
  if (!wait_for_go(go_file)) return 3;

  std::mutex out_mutex;
  bool failed = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_per_worker; ++t) {
    threads.emplace_back([&, t] {
      const std::string who = name + "-" + std::to_string(t);
      const OrgId org(mode == "link" ? 0 : std::stoll(arg));
      pthread_barrier_wait(barrier);  // all sixteen threads of the four processes go at once
      std::string result;
      if (mode == "owners") {
        const Actor self = actor_named("owner-" + who);
        result = outcome((*kit)->change_member_role(self, org, self.id, "admin"),
                         ErrorCode::conflict);
      } else if (mode == "link") {
        result = outcome((*kit)->accept_invitation(actor_named("taker-" + who), token),
                         ErrorCode::already_used);
      } else {
        const Actor seat = actor_named("seat-" + who);
        result = outcome((*kit)->add_member(actor_named("boss"), org,
                                            {seat.id, seat.email, "", "member"}),
                         ErrorCode::limit_exceeded);
      }
      std::lock_guard<std::mutex> lock(out_mutex);
      std::cout << who << ' ' << result << '\n';
      if (result.rfind("error", 0) == 0) failed = true;
    });
  }
  for (auto& th : threads) th.join();
  std::cout.flush();
  return failed ? 1 : 0;
}
