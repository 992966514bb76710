// The server restarts mid-run (issue 10, faults): while a writer thread keeps adding members,
// the server is stopped (pg_ctl stop -m fast) and started again. During the outage every
// operation returns `unavailable` and none is half-applied (the audit trail and the
// memberships agree exactly); the pool reconnects by itself, and the first operation after
// the restart succeeds.
//
// This test starts a cluster of its own with tests/postgres/server.sh (test::OwnServer; not the shared
// orgkit_postgres fixture, whose server the other tests are using) and stops it at the end,
// whatever happens; the script's watchdog stops it too if this process dies. Waits are
// bounded, and the threads meet through a condition variable, never a sleep.
#include "support/postgres_support.hpp"
#include "support/test_support.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace orgkit;
using namespace std::chrono_literals;

namespace {

// What the background writer did, guarded by `mutex`; `cv` is told after every operation.
struct Progress {
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, ErrorCode> failed;  // user -> the error code of their add_member
  std::set<std::string> added;              // users whose add_member succeeded
  std::vector<std::string> unexpected;      // anything but success or unavailable
  int ok_since_mark = 0, unavailable_since_mark = 0;
  bool stop = false;

  // Waits up to 30 s until `enough()` holds; false if it never did.
  template <class F>
  bool wait_for(F enough) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, 30s, [&] { return enough() || !unexpected.empty(); });
  }
};

std::set<std::string> member_ids(Service& kit, const Actor& owner, OrgId org) {
  std::set<std::string> out;
  MemberQuery q;
  q.limit = 1000;
  for (int page = 0; page < 100; ++page) {
    auto p = kit.list_members(owner, org, q);
    REQUIRE_OK(p);
    for (const auto& m : p->items) out.insert(m.user.value());
    if (!p->next_cursor) break;
    q.cursor = *p->next_cursor;
  }
  return out;
}

std::multiset<std::string> added_in_audit(Service& kit, const Actor& owner, OrgId org) {
  std::multiset<std::string> out;
  AuditQuery q;
  q.action = "member.added";
  q.limit = 1000;
  for (int page = 0; page < 100; ++page) {
    auto p = kit.list_audit_events(owner, org, q);
    REQUIRE_OK(p);
    for (const auto& e : p->items) out.insert(e.target);
    if (!p->next_cursor) break;
    q.cursor = *p->next_cursor;
  }
  return out;
}

}  // namespace

TEST_CASE("postgres: a server restart mid-run: unavailable, nothing half-applied, then it works",
          "[E2][E3][A1][postgres]") {
  test::OwnServer server("restart");
  PostgresOptions o;
  o.pool_size = 4;
  o.reconnect_budget_ms = 300;  // the outage is longer: operations in it give up quickly
  auto storage = test::open_postgres_store(o);
  REQUIRE_OK(storage);
  auto created = Service::create(std::move(*storage));
  REQUIRE_OK(created);
  Service& kit = **created;
  const Actor owner = test::Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = kit.create_organization(owner, spec);
  REQUIRE_OK(org);

  Progress progress;
  std::thread writer([&] {
    for (int i = 0; i < 5000; ++i) {  // bounded; normally told to stop long before
      {
        std::lock_guard<std::mutex> lock(progress.mutex);
        if (progress.stop) return;
      }
      const std::string id = "bg-" + std::to_string(i);
      auto r = kit.add_member(owner, org->id, {UserId(id), id + "@example.com", "", "member"});
      auto may = kit.check(Actor{UserId(id), id + "@example.com", "", owner.tenant}, org->id,
                           "members:read");
      std::lock_guard<std::mutex> lock(progress.mutex);
      if (r) {
        progress.added.insert(id);
        ++progress.ok_since_mark;
      } else {
        progress.failed[id] = r.error().code;
        if (r.error().code == ErrorCode::unavailable) {
          ++progress.unavailable_since_mark;
        } else {
          progress.unexpected.push_back(id + ": " + to_string(r.error()));
        }
      }
      if (!may && may.error().code != ErrorCode::unavailable) {
        progress.unexpected.push_back("check: " + to_string(may.error()));
      }
      progress.cv.notify_all();
    }
  });
  auto stop_writer = [&] {
    {
      std::lock_guard<std::mutex> lock(progress.mutex);
      progress.stop = true;
    }
    if (writer.joinable()) writer.join();
  };

  // The writer runs; then the server goes down under it.
  CHECK(progress.wait_for([&] { return progress.ok_since_mark >= 5; }));
  server.pause();
  {
    std::lock_guard<std::mutex> lock(progress.mutex);
    progress.unavailable_since_mark = 0;
  }
  const Actor down = test::Fixture::user("down");
  REQUIRE_ERROR(kit.add_member(owner, org->id, {down.id, down.email, "", "member"}),
                ErrorCode::unavailable);
  REQUIRE_ERROR(kit.check(owner, org->id, "members:read"), ErrorCode::unavailable);
  REQUIRE_ERROR(kit.list_members(owner, org->id), ErrorCode::unavailable);
  CHECK(progress.wait_for([&] { return progress.unavailable_since_mark >= 2; }));

  // Back up: the next operation succeeds, through fresh connections.
  server.resume();
  const Actor after = test::Fixture::user("after");
  REQUIRE_OK(kit.add_member(owner, org->id, {after.id, after.email, "", "member"}));
  auto may = kit.check(after, org->id, "members:read");
  REQUIRE_OK(may);
  CHECK(*may);
  {
    std::lock_guard<std::mutex> lock(progress.mutex);
    progress.ok_since_mark = 0;
  }
  CHECK(progress.wait_for([&] { return progress.ok_since_mark >= 5; }));
  stop_writer();

  std::lock_guard<std::mutex> lock(progress.mutex);
  INFO("unexpected outcomes: " << progress.unexpected.size());
  for (const auto& u : progress.unexpected) INFO(u);
  CHECK(progress.unexpected.empty());
  // Nothing half-applied: every member was added with its audit event, and every audit
  // event is of a member, whatever the outcome the caller saw.
  const auto members = member_ids(kit, owner, org->id);
  const auto audited = added_in_audit(kit, owner, org->id);
  std::set<std::string> expected_audit(members.begin(), members.end());
  expected_audit.erase(owner.id.value());  // the creator is audited as organization.created
  CHECK(std::set<std::string>(audited.begin(), audited.end()) == expected_audit);
  CHECK(audited.size() == expected_audit.size());  // once each
  for (const auto& id : progress.added) CHECK(members.count(id) == 1);
  CHECK(members.count(down.id.value()) == 0);
  CHECK(members.count(after.id.value()) == 1);
}
