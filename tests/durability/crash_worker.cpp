// orgkit_crash_worker: the processes that the crash and fault suites kill, or starve of disk.
// A separate executable, started with posix_spawn by the tests (a fork of a process that has
// SQLite open would share its descriptors and locks).
//
// Usage:
//   orgkit_crash_worker spill-rollback <db> [<rows>]
//   orgkit_crash_worker workload <db> <seed> <steps> <prefix>
//   orgkit_crash_worker full-disk <dir>
//   orgkit_crash_worker spill-churn <db> <org_id> <name> <rounds>
//
// spill-rollback (issue 21, bug 1, as it was reported): store S1, with a 64 KiB page cache,
//   begins a write, inserts 200 (or <rows>) memberships (so that the transaction spills pages to
//   the WAL) and drops the transaction without committing. A second store on the same file then
//   commits 20 add_member calls, printing "committed <user>" after each has returned. S1
//   begins a read and reads, and the process kills itself (SIGKILL). The test then counts the
//   committed members in the file: every one must be there.
// spill-churn: spill-rollback over and over beside commits, for several processes at once
//   (see spill_churn below).
// workload: runs the durability workload (workload.hpp) with `seed` for `steps` steps, or until
//   it is killed; its organizations and users are named starting with `prefix`. Before each step it
//   prints the step's effects ("= Org 1|u-3|admin") and "run"; after it, "ok <token>" or "err
//   <code>". Lines are flushed one by one, so the test that kills it knows every step that
//   returned, and the one in flight.
// full-disk: in a mount namespace of its own, on a small tmpfs, fills the disk while a
//   Service is open, then writes to organizations whose change-signal slots it has not
//   touched yet (issue 21, bug 2: those pages of "-orgkit-shm" were never allocated, and the
//   first write to one killed the process with SIGBUS). Each write must fail with a typed
//   error, checks must go on working, a store opened on a full disk must fail with a typed
//   error, and everything must work again once space is freed. Prints what it does; exits 0
//   when all of that held, 1 (with the reason) otherwise, 4 if it could not mount a tmpfs.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <orgkit/orgkit.hpp>

#include "durability/workload.hpp"

namespace {

using namespace orgkit;

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_no_mount = 4;

[[noreturn]] void die(const std::string& why) {
  std::cout << "FAILED: " << why << std::endl;
  std::exit(exit_failed);
}

template <class R>
R must(R r, const std::string& what) {
  if (!r) die(what + ": " + to_string(r.error()));
  return r;
}

Actor owner() {
  return test::Workload::owner();
}

// --- spill-rollback ----------------------------------------------------------------------

int spill_rollback(const std::string& db, int rows) {
  OrgId org;
  {
    // Set up by a store that is closed again, as by another program run before: its last
    // connection checkpoints, so S1 begins on an empty log.
    auto setup = must(Service::open_sqlite(db), "open the setup store");
    NewOrganization spec;
    spec.name = "Spill";
    org = must((*setup)->create_organization(owner(), spec), "create the organization")->id;
  }
  SqliteOptions small;
  small.path = db;
  small.cache_kib = 64;
  auto s1 = must(open_sqlite(small), "open S1");
  {
    auto tx = must((*s1)->begin_write(WriteScope{default_tenant(), {org}, true}), "begin_write");
    for (int i = 0; i < rows; ++i) {
      Membership m;
      m.org = org;
      m.user = UserId("spill-" + std::to_string(i));
      m.email = "spill-" + std::to_string(i) + "@example.com";
      m.display_name = m.user.value();
      m.role = "member";
      must((*tx)->insert_membership(default_tenant(), m), "insert a membership in S1");
    }
    // Dropped without commit: rolled back.
  }
  auto kit = must(Service::open_sqlite(db), "open the second store");
  for (int i = 0; i < 20; ++i) {
    const std::string user = "kept-" + std::to_string(i);
    must((*kit)->add_member(owner(), org, {UserId(user), user + "@example.com", user, "member"}),
         "add_member");
    std::cout << "committed " << user << std::endl;
  }
  auto read = must((*s1)->begin_read(), "S1 begin_read");
  (void)(*read)->find_organization(default_tenant(), org);
  std::cout << "killing" << std::endl;
  ::kill(::getpid(), SIGKILL);
  return exit_failed;  // not reached
}

// --- spill-churn -------------------------------------------------------------------------

// Over and over: store S1 (64 KiB of page cache) spills a 200-row transaction and rolls it
// back, the process's Service commits one member "<name>-<i>" and prints "committed <user>",
// and S1 reads. Several of these run at once on one file, so that spills, rollbacks and
// commits of different connections and processes interleave every way.
int spill_churn(const std::string& db, OrgId org, const std::string& name, int rounds) {
  auto kit = must(Service::open_sqlite(db), "open the store");
  SqliteOptions small;
  small.path = db;
  small.cache_kib = 64;
  auto s1 = must(open_sqlite(small), "open S1");
  for (int r = 0; r < rounds; ++r) {
    {
      auto tx = must((*s1)->begin_write(WriteScope{default_tenant(), {org}, true}), "begin_write");
      for (int i = 0; i < 200; ++i) {
        Membership m;
        m.org = org;
        m.user = UserId(name + "-spill-" + std::to_string(i));
        m.email = m.user.value() + "@example.com";
        m.display_name = m.user.value();
        m.role = "member";
        must((*tx)->insert_membership(default_tenant(), m), "insert a membership in S1");
      }
    }
    const std::string user = name + "-" + std::to_string(r);
    must((*kit)->add_member(owner(), org, {UserId(user), user + "@example.com", user, "member"}),
         "add_member");
    std::cout << "committed " << user << std::endl;
    auto read = must((*s1)->begin_read(), "S1 begin_read");
    (void)(*read)->find_organization(default_tenant(), org);
  }
  return 0;
}

// --- workload ----------------------------------------------------------------------------

int workload(const std::string& db, std::uint64_t seed, int steps, const std::string& prefix) {
  SqliteOptions options;
  options.path = db;
  options.checkpoint_pages = 100;  // checkpoints happen, and can be interrupted too
  auto kit = must(Service::open_sqlite(options), "open");
  test::Workload w(seed, prefix);
  for (int i = 0; i < steps; ++i) {
    test::Step s = w.next();
    for (const auto& e : s.effects) std::cout << test::encode(e) << '\n';
    std::cout << "run " << s.what << std::endl;
    w.run(**kit, s);
    if (s.ok) {
      std::cout << "ok " << s.token << std::endl;
    } else {
      std::cout << "err " << to_string(s.error) << std::endl;
    }
  }
  return 0;
}

// --- full-disk ---------------------------------------------------------------------------

// A mount namespace of our own (and a user namespace when not root), so that the tmpfs
// mounted below is private to this process and goes away with it.
bool private_tmpfs(const std::string& dir, const char* size) {
  if (::unshare(CLONE_NEWNS) != 0) {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    std::ofstream("/proc/self/setgroups") << "deny";
    std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
    std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  std::filesystem::create_directories(dir);
  return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, size) == 0;
}

// Writes until the file system is full; returns the bytes written.
std::size_t fill(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("cannot create the filler file");
  std::vector<char> chunk(4096, 'f');
  std::size_t written = 0;
  for (;;) {
    const ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return written;
}

int full_disk(const std::string& dir) {
  if (!private_tmpfs(dir, "size=4m")) {
    std::cout << "cannot mount a tmpfs: " << std::strerror(errno) << std::endl;
    return exit_no_mount;
  }
  const std::string db = dir + "/full.db";
  SqliteOptions options;
  options.path = db;
  options.checkpoint_pages = 100;
  auto kit = must(Service::open_sqlite(options), "open while there is space");
  // Organizations are created with space to spare. Creating one advances only the
  // database-wide counters, so the slots of these organizations are never touched before
  // the disk is full.
  std::vector<OrgId> orgs;
  for (int i = 0; i < 24; ++i) {
    NewOrganization spec;
    spec.name = "Full " + std::to_string(i);
    orgs.push_back(must((*kit)->create_organization(owner(), spec), "create")->id);
  }
  const std::string filler = dir + "/filler";
  std::cout << "filled " << fill(filler) << " bytes" << std::endl;

  // First a write to every organization: before the fix, the first whose slot page had not
  // been touched died of SIGBUS here. Then writes go on until one fails for want of space (the
  // log reuses its file after each checkpoint, so the first writes may still fit).
  int refused = 0;
  int written = 0;
  std::string first_error;
  auto add_one = [&](OrgId org, const std::string& user) {
    auto added =
        (*kit)->add_member(owner(), org, {UserId(user), user + "@example.com", user, "member"});
    if (added) {
      ++written;
      return;
    }
    if (added.error().code != ErrorCode::storage && added.error().code != ErrorCode::unavailable) {
      die("a write on a full disk failed with " + to_string(added.error()));
    }
    if (refused++ == 0) first_error = to_string(added.error());
  };
  for (std::size_t i = 0; i < orgs.size(); ++i) add_one(orgs[i], "u-full-" + std::to_string(i));
  for (int k = 0; refused == 0 && k < 20000; ++k) {
    add_one(orgs[static_cast<std::size_t>(k) % orgs.size()], "u-more-" + std::to_string(k));
  }
  std::cout << "on the full disk: " << written
            << " writes fitted, then refused with: " << first_error << std::endl;
  if (refused == 0) die("no write was refused: the disk was not full");
  // Reads go on.
  auto may = (*kit)->check(owner(), orgs[0], "members:invite");
  if (!may || !*may) die("a check on a full disk did not answer allow");
  // A new store on the full disk is refused with a typed error, without a crash.
  auto other = Service::open_sqlite(dir + "/new.db");
  if (other) die("a new database opened on a full disk");
  std::cout << "opening a new store on the full disk: " << to_string(other.error()) << std::endl;

  std::filesystem::remove(filler);
  for (std::size_t i = 0; i < orgs.size(); ++i) {
    const std::string user = "u-after-" + std::to_string(i);
    must(
        (*kit)->add_member(owner(), orgs[i], {UserId(user), user + "@example.com", user, "member"}),
        "a write once space was back");
  }
  must(Service::open_sqlite(dir + "/new.db"), "a new store once space was back");
  std::cout << "all writes succeeded once space was back" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "spill-rollback") return spill_rollback(args[1], 200);
  if (args.size() == 3 && args[0] == "spill-rollback") {
    return spill_rollback(args[1], std::stoi(args[2]));
  }
  if (args.size() == 5 && args[0] == "workload") {
    return workload(args[1], std::stoull(args[2]), std::stoi(args[3]), args[4]);
  }
  if (args.size() == 2 && args[0] == "full-disk") return full_disk(args[1]);
  if (args.size() == 5 && args[0] == "spill-churn") {
    return spill_churn(args[1], OrgId(std::stoll(args[2])), args[3], std::stoi(args[4]));
  }
  std::cerr << "usage: see the top of tests/durability/crash_worker.cpp\n";
  return exit_usage;
}
