// Several servers, one truth (issue 10, E3, PITFALLS 6, 7, 1 and I7): four processes of four
// threads each, every process with its own Service and pool on one schema of the test server,
// race on
//   - one organization's owners, each stepping down: exactly one remains, never none;
//   - one single-use invite link: exactly one acceptance, every other is already_used;
//   - a seat limit: the plan's limit is reached and never exceeded.
// No lost update: what the workers report as done is exactly what the store holds, and the
// audit trail has one event per change. The processes are orgkit_pg_race_worker
// (race_worker.cpp), started with posix_spawn; their sixteen threads meet at a process-shared
// pthread barrier before the racing call. Every wait is bounded.
#include "support/postgres_support.hpp"
#include "support/test_support.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

using namespace orgkit;

namespace {

constexpr int processes = 4;
constexpr int threads_each = 4;  // race_worker.cpp's threads_per_worker

Actor user(const std::string& id) { return test::Fixture::user(id); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The files of one race (go file, ready files, outputs, the barrier) in a directory of its
// own, removed at the end, and the four workers, killed if the test gives up on them.
class Race {
 public:
  Race() : dir_(std::filesystem::temp_directory_path() / ("orgkit-race-" + test::fresh_schema_name())) {
    std::filesystem::create_directories(dir_);
    const std::string barrier = (dir_ / "barrier").string();
    const int fd = ::open(barrier.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, sizeof(pthread_barrier_t)) == 0);
    void* p = ::mmap(nullptr, sizeof(pthread_barrier_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    REQUIRE(p != MAP_FAILED);
    barrier_ = static_cast<pthread_barrier_t*>(p);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    REQUIRE(pthread_barrier_init(barrier_, &attr, processes * threads_each) == 0);
    pthread_barrierattr_destroy(&attr);
  }
  ~Race() {
    for (auto& w : workers_) {
      if (!w.ended) {
        ::kill(w.pid, SIGKILL);
        int status = 0;
        ::waitpid(w.pid, &status, 0);
      }
    }
    // No pthread_barrier_destroy: it would wait for a killed waiter forever.
    ::munmap(barrier_, sizeof(pthread_barrier_t));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Race(const Race&) = delete;
  Race& operator=(const Race&) = delete;

  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  // Starts the four workers: orgkit_pg_race_worker <mode> <schema> <barrier> <go> w<i> <arg>.
  void start(const std::string& mode, const std::string& schema, const std::string& arg) {
    for (int i = 0; i < processes; ++i) {
      Worker w;
      w.name = "w" + std::to_string(i);
      w.output = file("out-" + w.name);
      std::vector<std::string> args{ORGKIT_PG_RACE_WORKER, mode, schema, file("barrier"),
                                    file("go"), w.name, arg};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, w.output.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
      posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
      const int rc = posix_spawn(&w.pid, ORGKIT_PG_RACE_WORKER, &actions, nullptr, argv.data(),
                                 environ);
      posix_spawn_file_actions_destroy(&actions);
      REQUIRE(rc == 0);
      workers_.push_back(w);
    }
  }

  // Releases the workers once all are ready, waits (bounded) for all of them, and returns
  // how many threads reported each outcome. Fails the test if a worker failed.
  std::map<std::string, int> run() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto all = [&](auto done) {
      for (;;) {
        bool every = true;
        for (auto& w : workers_) every = every && done(w);
        if (every) return;
        INFO(report());
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    };
    all([&](Worker& w) {
      reap(w);
      INFO("worker " << w.name << " ended before it was ready:\n" << slurp(w.output));
      REQUIRE_FALSE(w.ended);
      return std::filesystem::exists(file("go.ready-" + w.name));
    });
    std::ofstream(file("go")) << "go\n";
    all([&](Worker& w) { return reap(w); });
    INFO(report());
    std::map<std::string, int> outcomes;
    for (auto& w : workers_) {
      REQUIRE(w.status == 0);
      std::istringstream lines(slurp(w.output));
      std::string who, outcome;
      while (lines >> who >> outcome) ++outcomes[outcome];
    }
    return outcomes;
  }

 private:
  struct Worker {
    std::string name, output;
    pid_t pid = -1;
    bool ended = false;
    int status = -1;
  };
  static bool reap(Worker& w) {
    if (w.ended) return true;
    int status = 0;
    if (::waitpid(w.pid, &status, WNOHANG) == w.pid) {
      w.ended = true;
      w.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return w.ended;
  }
  std::string report() const {
    std::string r;
    for (const auto& w : workers_) r += "worker " + w.name + ":\n" + slurp(w.output);
    return r;
  }

  std::filesystem::path dir_;
  pthread_barrier_t* barrier_ = nullptr;
  std::vector<Worker> workers_;
};

// The test's own Service on a fresh schema, with the workers' plans: "small" has 10 seats.
struct Store {
  Store() {
    schema = test::fresh_schema_name();
    PostgresOptions o;
    o.schema = schema;
    auto storage = test::open_postgres_store(o);
    REQUIRE_OK(storage);
    ServiceOptions options;
    options.plans.plans = {{"small", true, 10}, {"big", true, std::nullopt}};
    options.plans.default_plan = "small";
    auto created = Service::create(std::move(*storage), std::move(options));
    REQUIRE_OK(created);
    kit = std::move(*created);
  }
  std::string schema;
  std::unique_ptr<Service> kit;

  std::int64_t count(const Actor& reader, OrgId org, const std::string& action) {
    AuditQuery q;
    q.action = action;
    q.limit = 1000;
    auto page = kit->list_audit_events(reader, org, q);
    REQUIRE_OK(page);
    return static_cast<std::int64_t>(page->items.size());
  }
};

std::string worker_name(int p, int t) { return "w" + std::to_string(p) + "-" + std::to_string(t); }

}  // namespace

TEST_CASE("postgres: 4 processes x 4 threads stepping down leave exactly one owner",
          "[E3][O7][postgres]") {
  Store s;
  const Actor first = user("owner-" + worker_name(0, 0));
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "big";
  auto org = s.kit->create_organization(first, spec);
  REQUIRE_OK(org);
  for (int p = 0; p < processes; ++p) {
    for (int t = 0; t < threads_each; ++t) {
      if (p == 0 && t == 0) continue;
      const Actor o = user("owner-" + worker_name(p, t));
      REQUIRE_OK(s.kit->add_member(first, org->id, {o.id, o.email, "", "owner"}));
    }
  }
  Race race;
  race.start("owners", s.schema, std::to_string(org->id.value()));
  auto outcomes = race.run();
  CHECK(outcomes["ok"] == processes * threads_each - 1);
  CHECK(outcomes["conflict"] == 1);
  MemberQuery owners;
  owners.role = "owner";
  auto left = s.kit->list_members(Actor::host(default_tenant()), org->id, owners);
  REQUIRE_OK(left);
  CHECK(left->items.size() == 1);  // never zero, never two
  CHECK(s.count(Actor::host(default_tenant()), org->id, "member.role_changed") ==
        processes * threads_each - 1);
}

TEST_CASE("postgres: 4 processes x 4 threads accepting one single-use link: one joins",
          "[E3][I5][I9][postgres]") {
  Store s;
  const Actor owner = user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "big";
  auto org = s.kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  auto link = s.kit->create_invite_link(owner, org->id, "member", LinkExpiry::one_day);
  REQUIRE_OK(link);
  Race race;
  const std::string tokens = race.file("tokens");
  {
    std::ofstream out(tokens);
    out << link->token << '\n';
  }
  ::chmod(tokens.c_str(), 0600);
  race.start("link", s.schema, tokens);
  auto outcomes = race.run();
  CHECK(outcomes["ok"] == 1);
  CHECK(outcomes["already_used"] == processes * threads_each - 1);
  auto members = s.kit->list_members(owner, org->id);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 2);  // the owner and the one who won
  CHECK(s.count(owner, org->id, "invitation.accepted") == 1);
}

TEST_CASE("postgres: 4 processes x 4 threads adding members never exceed the seat limit",
          "[E3][I7][postgres]") {
  Store s;
  const Actor boss = user("boss");
  NewOrganization spec;
  spec.name = "Acme";  // plan "small": 10 seats
  auto org = s.kit->create_organization(boss, spec);
  REQUIRE_OK(org);
  for (const char* name : {"ann", "bob", "cid"}) {
    const Actor m = user(name);
    REQUIRE_OK(s.kit->add_member(boss, org->id, {m.id, m.email, "", "member"}));
  }
  Race race;
  race.start("seats", s.schema, std::to_string(org->id.value()));
  auto outcomes = race.run();
  CHECK(outcomes["ok"] == 10 - 4);
  CHECK(outcomes["limit_exceeded"] == processes * threads_each - (10 - 4));
  MemberQuery all;
  all.limit = 100;
  auto members = s.kit->list_members(boss, org->id, all);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 10);  // reached, never exceeded, nothing lost
  CHECK(s.count(boss, org->id, "member.added") == 3 + (10 - 4));
}
