// orgkit_e3_worker: one process of the E3 test (multi_process_test.cpp).
//
// The test starts two of these on one database file. Each opens its own Service (so its own
// connection pool): contention happens between the processes as well as between the threads
// of each. It is a separate executable rather than a fork() of the test because a child forked
// after SQLite has opened a file shares descriptors and POSIX locks it must not touch.
//
// Usage:
//   orgkit_e3_worker churn <db> <go_file> <name> <org_id> <actor> <threads> <users_per_thread>
//   orgkit_e3_worker race  <db> <go_file> <name> <barrier_file> <actor> <action> <org_id>...
//   orgkit_e3_worker accept <db> <go_file> <name> <barrier_file> <tokens_file> <user_prefix>
//   orgkit_e3_worker fresh <db> <go_file> <name> <barrier_file> writer|reader <org_id> <owner>
//                          <target> <rounds>
//
// churn: thread t adds its own users "<name>-t<t>-u<i>" as members, gives each a new role
//   (odd i: admin, even i: viewer) and removes every third (i % 3 == 0), checking after each
//   write with Service::check that the change is in effect. ANY error of any operation ends
//   the process with status 1 and is printed: E3 promises that no busy error reaches the
//   caller, so even `unavailable` is a failure here.
// race: `actor`, an owner of each listed organization, runs `action` on it (demote_self:
//   change their own role to admin; leave: leave_organization) and prints "<org_id> ok" or
//   "<org_id> conflict". conflict is the one expected failure (the last-owner guard,
//   PITFALLS 7): the other process did the same a moment earlier. Anything else is status 1.
//   Before each organization both workers meet at a process-shared pthread barrier that the
//   test created in `barrier_file`, so that every round is a real race, not one process
//   running a step ahead of the other.
// accept: `tokens_file` holds invitation tokens, one a line (a file, not arguments: a token is
//   a secret and a command line is visible to every user of the host). For token number i
//   (0-based) the user "<user_prefix>-<i>" (email "<user_prefix>-<i>@example.com") accepts
//   it with Service::accept_invitation and the worker prints "<i> ok" or "<i> <error code>"
//   (never the token). A fresh user per token keeps the outcome of one token independent of
//   the others (the same user accepting a second link of the organization would be
//   already_exists). already_used is the one expected failure (I9: the other process
//   accepted it a moment earlier); anything else is status 1. Both workers meet at the
//   barrier before every token, as in race.
//
// fresh (C2, never stale across processes): per round the writer grants `target`
//   members:invite, both meet at the barrier, the reader checks it three times (the first
//   fills its cache, the others are answered from it), both meet, the writer revokes it and
//   returns, both meet, and the reader checks once more: that check started after the
//   revocation's commit returned, so it must deny. The revocation rotates through a role
//   change (to viewer), a removal, and dropping the permission from the custom role
//   "inviter" that `target` holds. A last meeting ends the round. The reader counts its storage reads through a
//   StorageWrapper and prints "stale_allows N stale_denies N checks N reads N".
//
// Every mode creates "<go_file>.ready-<name>" once its Service is open, then waits for the go
// file, so that the test can release the work of both processes at the same moment.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <orgkit/orgkit.hpp>

namespace {

using orgkit::Actor;
using orgkit::OrgId;
using orgkit::Service;
using orgkit::UserId;

constexpr int exit_failed_operation = 1;
constexpr int exit_usage = 2;
constexpr int exit_no_go = 3;  // the go file never came: the test gave up

Actor actor_named(const std::string& id) {
  return Actor{UserId(id), id + "@example.com", id, orgkit::default_tenant()};
}

// Announces that this process is ready and waits for the test's go file. The wait is bounded
// so that a test that died never leaves a worker behind.
bool wait_for_go(const std::string& go_file, const std::string& name) {
  { std::ofstream(go_file + ".ready-" + name) << "ready\n"; }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(go_file)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// Releases all threads at once, so that they contend from their first operation.
class start_latch {
 public:
  explicit start_latch(int count) : waiting_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_ == 0) {
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return waiting_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_;
};

// Collects failures from all threads; printed once at the end.
class failures {
 public:
  void add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(what);
  }
  [[nodiscard]] bool empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.empty();
  }
  void print(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& l : lines_) std::cerr << "worker " << name << ": " << l << '\n';
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// --- churn -------------------------------------------------------------------------------

struct churn_thread {
  Service& kit;
  OrgId org;
  Actor owner;
  std::string prefix;  // "<name>-t<t>"
  int users;
  failures& errors;

  // Whether `user` holds `permission` is `expected`; a storage error counts as a failure.
  bool expect_check(const Actor& user, std::string_view permission, bool expected,
                    const std::string& when) {
    auto r = kit.check(user, org, permission);
    if (!r) {
      errors.add(prefix + ": check " + std::string(permission) + " " + when + ": " +
                 orgkit::to_string(r.error()));
      return false;
    }
    if (*r != expected) {
      errors.add(prefix + ": check " + std::string(permission) + " " + when + " gave " +
                 (*r ? "true" : "false"));
      return false;
    }
    return true;
  }

  template <class R>
  bool ok(const R& r, const std::string& what) {
    if (r) return true;
    errors.add(prefix + ": " + what + ": " + orgkit::to_string(r.error()));
    return false;
  }

  // Stops at the first failure: what follows would only repeat it.
  void run() {
    for (int i = 0; i < users; ++i) {
      const std::string id = prefix + "-u" + std::to_string(i);
      const Actor user = actor_named(id);
      if (!ok(kit.add_member(owner, org, {user.id, user.email, user.display_name, "member"}),
              "add_member " + id)) {
        return;
      }
      if (!expect_check(user, "resources:read", true, "after add " + id)) return;
      if (!expect_check(user, "members:remove", false, "after add " + id)) return;

      const bool to_admin = i % 2 == 1;
      if (!ok(kit.change_member_role(owner, org, user.id, to_admin ? "admin" : "viewer"),
              "change_member_role " + id)) {
        return;
      }
      if (!expect_check(user, "resources:create", to_admin, "after role change " + id)) return;

      if (i % 3 == 0) {
        if (!ok(kit.remove_member(owner, org, user.id), "remove_member " + id)) return;
        if (!expect_check(user, "resources:read", false, "after remove " + id)) return;
      }
    }
  }
};

int churn(int argc, char** argv) {
  if (argc != 9) return exit_usage;
  const std::string db = argv[2], go_file = argv[3], name = argv[4];
  const OrgId org(std::stoll(argv[5]));
  const Actor owner = actor_named(argv[6]);
  const int threads = std::stoi(argv[7]);
  const int users = std::stoi(argv[8]);

  auto kit = Service::open_sqlite(db);
  if (!kit) {
    std::cerr << "worker " << name << ": open: " << kit.error() << '\n';
    return exit_failed_operation;
  }
  if (!wait_for_go(go_file, name)) return exit_no_go;

  failures errors;
  start_latch latch(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      churn_thread work{**kit, org, owner, name + "-t" + std::to_string(t), users, errors};
      latch.arrive_and_wait();
      work.run();
    });
  }
  for (auto& th : pool) th.join();
  if (!errors.empty()) {
    errors.print(name);
    return exit_failed_operation;
  }
  return 0;
}

// --- race --------------------------------------------------------------------------------

// The process-shared barrier the test initialised in `path` (see multi_process_test.cpp).
class shared_barrier {
 public:
  explicit shared_barrier(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) return;
    void* p =
        ::mmap(nullptr, sizeof(pthread_barrier_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p != MAP_FAILED) barrier_ = static_cast<pthread_barrier_t*>(p);
  }
  ~shared_barrier() {
    if (barrier_ != nullptr) ::munmap(barrier_, sizeof(pthread_barrier_t));
  }
  shared_barrier(const shared_barrier&) = delete;
  shared_barrier& operator=(const shared_barrier&) = delete;

  [[nodiscard]] bool valid() const { return barrier_ != nullptr; }
  void wait() { (void)::pthread_barrier_wait(barrier_); }

 private:
  pthread_barrier_t* barrier_ = nullptr;
};

int race(int argc, char** argv) {
  if (argc < 9) return exit_usage;
  const std::string db = argv[2], go_file = argv[3], name = argv[4];
  shared_barrier barrier(argv[5]);
  const Actor me = actor_named(argv[6]);
  const std::string action = argv[7];
  if (!barrier.valid() || (action != "demote_self" && action != "leave")) return exit_usage;

  auto kit = Service::open_sqlite(db);
  if (!kit) {
    std::cerr << "worker " << name << ": open: " << kit.error() << '\n';
    return exit_failed_operation;
  }
  if (!wait_for_go(go_file, name)) return exit_no_go;

  for (int a = 8; a < argc; ++a) {
    const OrgId org(std::stoll(argv[a]));
    barrier.wait();
    orgkit::Result<void> r;
    if (action == "demote_self") {
      auto changed = (*kit)->change_member_role(me, org, me.id, "admin");
      if (!changed) r = orgkit::fail(changed.error());
    } else {
      auto left = (*kit)->leave_organization(me, org);
      if (!left) r = orgkit::fail(left.error());
    }
    if (r) {
      std::cout << org.value() << " ok\n";
    } else if (r.error().code == orgkit::ErrorCode::conflict) {
      std::cout << org.value() << " conflict\n";
    } else {
      std::cout << std::flush;
      std::cerr << "worker " << name << ": " << action << " in " << org.value() << ": "
                << r.error() << '\n';
      return exit_failed_operation;
    }
  }
  std::cout << std::flush;
  return 0;
}

// --- accept ------------------------------------------------------------------------------

int accept_tokens(int argc, char** argv) {
  if (argc != 8) return exit_usage;
  const std::string db = argv[2], go_file = argv[3], name = argv[4];
  shared_barrier barrier(argv[5]);
  const std::string prefix = argv[7];
  if (!barrier.valid() || prefix.empty()) return exit_usage;
  std::vector<std::string> tokens;
  {
    std::ifstream in(argv[6]);
    if (!in) return exit_usage;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) tokens.push_back(line);
    }
  }
  if (tokens.empty()) return exit_usage;

  auto kit = Service::open_sqlite(db);
  if (!kit) {
    std::cerr << "worker " << name << ": open: " << kit.error() << '\n';
    return exit_failed_operation;
  }
  if (!wait_for_go(go_file, name)) return exit_no_go;

  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Actor me = actor_named(prefix + "-" + std::to_string(i));
    barrier.wait();
    auto r = (*kit)->accept_invitation(me, tokens[i]);
    if (r) {
      std::cout << i << " ok\n";
    } else if (r.error().code == orgkit::ErrorCode::already_used) {
      std::cout << i << ' ' << r.error().code << '\n';
    } else {
      std::cout << i << ' ' << r.error().code << '\n' << std::flush;
      std::cerr << "worker " << name << ": accept token " << i << " as " << me.id.value()
                << ": " << r.error() << '\n';
      return exit_failed_operation;
    }
  }
  std::cout << std::flush;
  return 0;
}

// --- fresh -------------------------------------------------------------------------------

// Counts the permission check's reads of the store: checks minus reads were cache hits.
class counting_storage final : public orgkit::StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  orgkit::Result<bool> member_access(const orgkit::TenantId& tenant, OrgId org,
                                     const UserId& user, orgkit::MemberAccess& out) override {
    ++reads;
    return StorageWrapper::member_access(tenant, org, user, out);
  }
  long reads = 0;  // one reader thread
};

int fresh(int argc, char** argv) {
  if (argc != 11) return exit_usage;
  const std::string db = argv[2], go_file = argv[3], name = argv[4];
  shared_barrier barrier(argv[5]);
  const std::string role = argv[6];
  const OrgId org(std::stoll(argv[7]));
  const Actor owner = actor_named(argv[8]), target = actor_named(argv[9]);
  const int rounds = std::stoi(argv[10]);
  if (!barrier.valid() || (role != "writer" && role != "reader") || rounds < 1) return exit_usage;

  auto store = orgkit::open_sqlite(orgkit::SqliteOptions{db});
  if (!store) {
    std::cerr << "worker " << name << ": open: " << store.error() << '\n';
    return exit_failed_operation;
  }
  auto counting = std::make_unique<counting_storage>(std::move(*store));
  counting_storage* counter = counting.get();
  auto kit = Service::create(std::move(counting));
  if (!kit) {
    std::cerr << "worker " << name << ": create: " << kit.error() << '\n';
    return exit_failed_operation;
  }
  if (!wait_for_go(go_file, name)) return exit_no_go;

  auto failed = [&](const std::string& what, const orgkit::Error& e) {
    std::cerr << "worker " << name << ": " << what << ": " << e << '\n';
    return exit_failed_operation;
  };
  if (role == "writer") {
    bool member = true;
    for (int i = 0; i < rounds; ++i) {
      const int how = i % 3;
      const std::string granted_role = how == 2 ? "inviter" : "admin";
      if (!member) {
        auto r = (*kit)->add_member(owner, org, {target.id, target.email, "", granted_role});
        if (!r) return failed("add", r.error());
      } else {
        auto r = (*kit)->change_member_role(owner, org, target.id, granted_role);
        if (!r) return failed("grant", r.error());
      }
      member = true;
      if (how == 2) {
        orgkit::CustomRoleUpdate u;
        u.permissions = std::vector<std::string>{"members:read", "members:invite"};
        auto r = (*kit)->update_role(owner, org, "inviter", u);
        if (!r) return failed("grant through the role", r.error());
      }
      barrier.wait();  // granted
      barrier.wait();  // the reader has cached it
      if (how == 0) {
        auto r = (*kit)->change_member_role(owner, org, target.id, "viewer");
        if (!r) return failed("revoke by role", r.error());
      } else if (how == 1) {
        auto r = (*kit)->remove_member(owner, org, target.id);
        if (!r) return failed("revoke by removal", r.error());
        member = false;
      } else {
        orgkit::CustomRoleUpdate u;
        u.permissions = std::vector<std::string>{"members:read"};
        auto r = (*kit)->update_role(owner, org, "inviter", u);
        if (!r) return failed("revoke through the role", r.error());
      }
      barrier.wait();  // revoked: the commit has returned
      barrier.wait();  // the reader has checked: the next grant may begin
    }
    return 0;
  }
  long stale_allows = 0, stale_denies = 0, checks = 0;
  for (int i = 0; i < rounds; ++i) {
    barrier.wait();  // granted
    for (int k = 0; k < 3; ++k) {
      auto r = (*kit)->check(target, org, "members:invite");
      ++checks;
      if (!r) return failed("check", r.error());
      if (!*r) ++stale_denies;
    }
    barrier.wait();
    barrier.wait();  // revoked
    auto r = (*kit)->check(target, org, "members:invite");
    ++checks;
    if (!r) return failed("check", r.error());
    if (*r) ++stale_allows;
    barrier.wait();
  }
  std::cout << "stale_allows " << stale_allows << " stale_denies " << stale_denies << " checks "
            << checks << " reads " << counter->reads << '\n'
            << std::flush;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int status = exit_usage;
  try {
    if (mode == "churn") status = churn(argc, argv);
    if (mode == "race") status = race(argc, argv);
    if (mode == "accept") status = accept_tokens(argc, argv);
    if (mode == "fresh") status = fresh(argc, argv);
  } catch (const std::exception& e) {  // std::stoll on a malformed argument
    std::cerr << "worker: " << e.what() << '\n';
    return exit_usage;
  }
  if (status == exit_usage) std::cerr << "worker: bad arguments (see e3_worker.cpp)\n";
  return status;
}
