// Conformance: the audit trail (append_audit_event, list_audit_events and its AuditFilter).
// Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

#include <algorithm>

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

std::vector<std::int64_t> ids_of(const std::vector<AuditEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.id.value());
  return out;
}

// Appends `n` events to `org` of `tenant`, one transaction each (so ids come from several
// commits), and returns their ids in the order appended.
std::vector<std::int64_t> append_events(Storage& storage, const TenantId& tenant, OrgId org,
                                        int n) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < n; ++i) {
    auto tx = begin_write(storage, tenant, {org});
    auto e = event_spec(tenant, org, "event." + std::to_string(i));
    ids.push_back(REQUIRE_VALUE(tx->append_audit_event(e)).value());
    commit(tx);
  }
  return ids;
}

AuditFilter below(std::int64_t id) {
  AuditFilter f;
  f.before = AuditEventId(id);
  return f;
}

// The trail the filter cases read, appended in this order (so ids increase down the list),
// one transaction each. Times are not in id order (a clock set back: row 8), a target is a
// prefix of another and differs only in case from a third, and an action is a prefix of
// another: the filters compare `at`, and compare exactly.
struct Row {
  const char* action;
  const char* target;
  std::int64_t at;  // ms after t0
};
constexpr Row trail_rows[] = {
    {"member.added", "bob", 1000},                 // 0
    {"member.role_changed", "bob", 2000},          // 1
    {"member.added", "carol", 2000},               // 2
    {"member.role_changed", "carol", 3000},        // 3
    {"member.removed", "bob", 4000},               // 4
    {"member.role_changed", "bob", 5000},          // 5
    {"organization.updated", "acme", 5000},        // 6
    {"member.role_changed", "bobby", 6000},        // 7
    {"member.role_changed_twice", "BOB", 1500},    // 8
};

// Appends the trail to acme, plus look-alike events (the same actions and targets) in
// globex, in tenant-b's initech, and under tenant-b with acme's id, which acme's listing in
// tenant-a must never show. Returns acme's ids in trail order.
std::vector<std::int64_t> append_trail(const Seeded& s) {
  std::vector<std::int64_t> ids;
  for (const Row& row : trail_rows) {
    auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
    auto e = event_spec(tenant_a(), s.acme, row.action);
    e.target = row.target;
    e.at = at_ms(t0 + row.at);
    ids.push_back(REQUIRE_VALUE(tx->append_audit_event(e)).value());
    commit(tx);
  }
  struct Elsewhere {
    TenantId tenant;
    OrgId org;
  };
  for (const auto& [tenant, org] :
       {Elsewhere{tenant_a(), s.globex}, Elsewhere{tenant_b(), s.initech},
        Elsewhere{tenant_b(), s.acme}}) {
    auto tx = begin_write(*s.storage, tenant, {org});
    auto e = event_spec(tenant, org, "member.role_changed");
    e.target = "bob";
    e.at = at_ms(t0 + 3000);
    REQUIRE_VALUE(tx->append_audit_event(e));
    commit(tx);
  }
  return ids;
}

// The ids of `rows` of the trail, newest (highest id) first.
std::vector<std::int64_t> newest_first(const std::vector<std::int64_t>& ids,
                                       std::vector<std::size_t> rows) {
  std::vector<std::int64_t> out;
  std::sort(rows.rbegin(), rows.rend());
  for (std::size_t r : rows) out.push_back(ids[r]);
  return out;
}

// Every event that passes `filter`, walked `limit` at a time the way the Service pages.
std::vector<std::int64_t> walk(StorageTransaction& tx, OrgId org, AuditFilter filter,
                               int limit) {
  std::vector<std::int64_t> out;
  for (int page = 0; page < 50; ++page) {
    auto items = REQUIRE_VALUE(tx.list_audit_events(tenant_a(), org, filter, limit));
    for (const auto& e : items) out.push_back(e.id.value());
    if (items.size() < static_cast<std::size_t>(limit)) break;
    filter.before = items.back().id;
  }
  return out;
}

}  // namespace

TEST_CASE("append_audit_event: ids increase; list_audit_events reads every field back",
          "[audit][append_audit_event][list_audit_events]") {
  auto s = seeded();
  AuditEvent first = event_spec(tenant_a(), s.acme, "member.role_changed");
  first.id = AuditEventId(424242);  // ignored: the store generates ids
  first.changes = {{"role", std::string("member"), std::string("admin")},
                   {"department", std::nullopt, std::string("Sales")},
                   {"email", std::string("old@example.com"), std::nullopt}};
  AuditEvent second = event_spec(tenant_a(), s.acme, "organization.updated");
  second.actor = UserId("ops");
  second.actor_kind = PrincipalKind::tenant_admin;
  second.target = "acme";
  second.changes.clear();
  second.at = at_ms(t0 + 9000);
  AuditEvent third = event_spec(tenant_a(), s.acme, "member.added");
  third.actor = UserId("host");
  third.actor_kind = PrincipalKind::host;

  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id1 = REQUIRE_VALUE(tx->append_audit_event(first));
  const auto id2 = REQUIRE_VALUE(tx->append_audit_event(second));
  commit(tx);
  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id3 = REQUIRE_VALUE(tx->append_audit_event(third));
  commit(tx);
  CHECK(id1.valid());
  CHECK(id1 < id2);
  CHECK(id2 < id3);

  auto rtx = begin_read(*s.storage);
  auto events = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 10));
  REQUIRE(events.size() == 3);
  for (const auto& got : events) {
    const AuditEvent& want = got.id == id1 ? first : got.id == id2 ? second : third;
    INFO("event " << got.id);
    CHECK((got.id == id1 || got.id == id2 || got.id == id3));
    CHECK(got.tenant == want.tenant);
    CHECK(got.org == want.org);
    CHECK(got.actor == want.actor);
    CHECK(got.actor_kind == want.actor_kind);
    CHECK(got.action == want.action);
    CHECK(got.target == want.target);
    CHECK(to_unix_ms(got.at) == to_unix_ms(want.at));
    REQUIRE(got.changes.size() == want.changes.size());
    for (std::size_t i = 0; i < want.changes.size(); ++i) {
      // In the order appended, with absent sides kept absent (not "").
      CHECK(got.changes[i].field == want.changes[i].field);
      CHECK(got.changes[i].before == want.changes[i].before);
      CHECK(got.changes[i].after == want.changes[i].after);
    }
  }
}

TEST_CASE("append_audit_event: an id is greater than every id before it, rollbacks included",
          "[audit][append_audit_event][transactions]") {
  auto s = seeded();
  const auto committed = append_events(*s.storage, tenant_a(), s.acme, 2);
  {
    auto dropped = begin_write(*s.storage, tenant_a(), {s.acme});
    REQUIRE_VALUE(dropped->append_audit_event(event_spec(tenant_a(), s.acme, "dropped")));
  }
  // Another organization's and another tenant's events share the sequence of ids.
  const auto other = append_events(*s.storage, tenant_b(), s.initech, 1);
  const auto later = append_events(*s.storage, tenant_a(), s.acme, 1);
  CHECK(committed[0] < committed[1]);
  CHECK(committed[1] < other[0]);
  CHECK(other[0] < later[0]);
}

TEST_CASE("list_audit_events: newest (highest id) first", "[audit][list_audit_events]") {
  auto s = seeded();
  const auto ids = append_events(*s.storage, tenant_a(), s.acme, 5);
  auto rtx = begin_read(*s.storage);
  auto events = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 10));
  CHECK(ids_of(events) == std::vector<std::int64_t>{ids[4], ids[3], ids[2], ids[1], ids[0]});
  REQUIRE(events.size() == 5);
  CHECK(events.front().action == "event.4");
  CHECK(events.back().action == "event.0");
}

TEST_CASE("list_audit_events: limit and before page through every event once, newest first",
          "[audit][list_audit_events]") {
  auto s = seeded();
  const auto ids = append_events(*s.storage, tenant_a(), s.acme, 7);
  auto rtx = begin_read(*s.storage);
  // The newest `limit`, not any `limit`.
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 3))) ==
        std::vector<std::int64_t>{ids[6], ids[5], ids[4]});
  // Only ids below `before`, newest of those first.
  CHECK(
      ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, below(ids[4]), 2))) ==
      std::vector<std::int64_t>{ids[3], ids[2]});
  // Walking the pages the way the Service does yields every event once, newest first.
  std::vector<std::int64_t> walked;
  std::optional<AuditEventId> before;
  for (int page = 0; page < 10; ++page) {
    auto items = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, AuditFilter{before, {}, {}, {}, {}}, 3));
    if (items.empty()) break;
    for (const auto& e : items) walked.push_back(e.id.value());
    before = items.back().id;
  }
  CHECK(walked ==
        std::vector<std::int64_t>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]});
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, below(ids[0]), 3)).empty());
}

TEST_CASE("list_audit_events: only the organization's events, only in its tenant",
          "[audit][list_audit_events][tenant]") {
  auto s = seeded();
  const auto acme = append_events(*s.storage, tenant_a(), s.acme, 2);
  const auto globex = append_events(*s.storage, tenant_a(), s.globex, 1);
  const auto initech = append_events(*s.storage, tenant_b(), s.initech, 1);
  // An event recorded under tenant-b naming acme's id (as a buggy caller might): it belongs
  // to tenant-b, so tenant-a's listing of acme must not show it, and tenant-b's may.
  const auto stray = append_events(*s.storage, tenant_b(), s.acme, 1);
  auto rtx = begin_read(*s.storage);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 10))) ==
        std::vector<std::int64_t>{acme[1], acme[0]});
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.globex, {}, 10))) ==
        globex);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.initech, {}, 10))) ==
        initech);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.initech, {}, 10)).empty());
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.acme, {}, 10))) ==
        stray);
}

TEST_CASE("list_audit_events: empty for an organization without events",
          "[audit][list_audit_events]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, {}, 10)).empty());
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), OrgId(987654), {}, 10)).empty());
}

// --- AuditFilter -----------------------------------------------------------------------

TEST_CASE("list_audit_events: an action filter matches the action exactly, newest first",
          "[audit][list_audit_events][audit_filter]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  auto rtx = begin_read(*s.storage);
  AuditFilter f;
  f.action = "member.role_changed";  // not member.role_changed_twice (row 8)
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {1, 3, 5, 7}));
  f.action = "member.removed";
  const auto removed = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20));
  CHECK(ids_of(removed) == newest_first(ids, {4}));
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].target == "bob");  // the whole event, changes included
  CHECK(removed[0].changes.size() == 1);
  f.action = "member";  // a prefix of actions is no action
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
  f.action = "Member.Removed";
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
}

TEST_CASE("list_audit_events: a target filter matches the target exactly",
          "[audit][list_audit_events][audit_filter]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  auto rtx = begin_read(*s.storage);
  AuditFilter f;
  f.target = "bob";  // not "bobby" (row 7) nor "BOB" (row 8)
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {0, 1, 4, 5}));
  f.target = "BOB";
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {8}));
  f.target = "bo";
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
  f.target = "%";  // no pattern matching either
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
}

TEST_CASE("list_audit_events: since is inclusive, until exclusive, on the event's time",
          "[audit][list_audit_events][audit_filter]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  auto rtx = begin_read(*s.storage);
  AuditFilter f;
  f.since = at_ms(t0 + 2000);
  f.until = at_ms(t0 + 5000);
  // Rows 1 and 2 at 2000 are in, 5 and 6 at 5000 are out; row 8 (1500) has a high id but an
  // early time: the range is on `at`, not on ids.
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {1, 2, 3, 4}));
  AuditFilter since_only;
  since_only.since = at_ms(t0 + 5000);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, since_only, 20))) ==
        newest_first(ids, {5, 6, 7}));
  AuditFilter until_only;
  until_only.until = at_ms(t0 + 2000);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, until_only, 20))) ==
        newest_first(ids, {0, 8}));
  AuditFilter narrow;  // one millisecond wide
  narrow.since = at_ms(t0 + 4000);
  narrow.until = at_ms(t0 + 4001);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, narrow, 20))) ==
        newest_first(ids, {4}));
  AuditFilter later;
  later.since = at_ms(t0 + 6001);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, later, 20)).empty());
}

TEST_CASE("list_audit_events: every condition set must hold, before included",
          "[audit][list_audit_events][audit_filter]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  auto rtx = begin_read(*s.storage);
  AuditFilter f;
  f.action = "member.role_changed";
  f.target = "bob";
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {1, 5}));
  f.since = at_ms(t0 + 2001);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20))) ==
        newest_first(ids, {5}));
  f.until = at_ms(t0 + 5000);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
  AuditFilter g;
  g.action = "member.role_changed";
  g.since = at_ms(t0 + 3000);
  g.before = AuditEventId(ids[7]);  // below row 7: rows 3 and 5 remain
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, g, 20))) ==
        newest_first(ids, {3, 5}));
  AuditFilter h;
  h.target = "carol";
  h.until = at_ms(t0 + 3000);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, h, 20))) ==
        newest_first(ids, {2}));
}

TEST_CASE("list_audit_events: the limit counts events that pass the filter, so pages walk "
          "every match once",
          "[audit][list_audit_events][audit_filter]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  // Newer events that match nothing below: a backend that cut the page before filtering
  // would return an empty first page and stop.
  for (int i = 0; i < 6; ++i) {
    auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
    auto e = event_spec(tenant_a(), s.acme, "organization.updated");
    e.target = "acme";
    e.at = at_ms(t0 + 9000);
    REQUIRE_VALUE(tx->append_audit_event(e));
    commit(tx);
  }
  auto rtx = begin_read(*s.storage);
  AuditFilter removed;
  removed.action = "member.removed";
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, removed, 2))) ==
        newest_first(ids, {4}));
  AuditFilter changed;
  changed.action = "member.role_changed";
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, changed, 2))) ==
        newest_first(ids, {5, 7}));
  for (int limit : {1, 2, 3, 4, 5}) {
    INFO("limit " << limit);
    CHECK(walk(*rtx, s.acme, changed, limit) == newest_first(ids, {1, 3, 5, 7}));
    AuditFilter bob;
    bob.target = "bob";
    bob.since = at_ms(t0 + 1000);
    bob.until = at_ms(t0 + 5001);
    CHECK(walk(*rtx, s.acme, bob, limit) == newest_first(ids, {0, 1, 4, 5}));
  }
}

TEST_CASE("list_audit_events: filtered, still only the organization's events in its tenant",
          "[audit][list_audit_events][audit_filter][tenant]") {
  auto s = seeded();
  const auto ids = append_trail(s);
  auto rtx = begin_read(*s.storage);
  AuditFilter f;
  f.action = "member.role_changed";
  f.target = "bob";
  f.since = at_ms(t0 + 3000);
  f.until = at_ms(t0 + 3001);
  // Only the look-alikes elsewhere match this: acme's row 3 is carol's.
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, f, 20)).empty());
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.globex, f, 20)).size() == 1);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.initech, f, 20)).size() == 1);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.acme, f, 20)).size() == 1);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.initech, f, 20)).empty());
  (void)ids;
}
