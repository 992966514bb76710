// Conformance: the audit trail (append_audit_event, list_audit_events). Checklist in
// conformance.hpp.
#include "conformance/conformance.hpp"

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
  auto events = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, std::nullopt, 10));
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
  auto events = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, std::nullopt, 10));
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
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, std::nullopt, 3))) ==
        std::vector<std::int64_t>{ids[6], ids[5], ids[4]});
  // Only ids below `before`, newest of those first.
  CHECK(
      ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, AuditEventId(ids[4]), 2))) ==
      std::vector<std::int64_t>{ids[3], ids[2]});
  // Walking the pages the way the Service does yields every event once, newest first.
  std::vector<std::int64_t> walked;
  std::optional<AuditEventId> before;
  for (int page = 0; page < 10; ++page) {
    auto items = REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, before, 3));
    if (items.empty()) break;
    for (const auto& e : items) walked.push_back(e.id.value());
    before = items.back().id;
  }
  CHECK(walked ==
        std::vector<std::int64_t>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]});
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, AuditEventId(ids[0]), 3)).empty());
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
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, std::nullopt, 10))) ==
        std::vector<std::int64_t>{acme[1], acme[0]});
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.globex, std::nullopt, 10))) ==
        globex);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.initech, std::nullopt, 10))) ==
        initech);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.initech, std::nullopt, 10)).empty());
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_audit_events(tenant_b(), s.acme, std::nullopt, 10))) ==
        stray);
}

TEST_CASE("list_audit_events: empty for an organization without events",
          "[audit][list_audit_events]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), s.acme, std::nullopt, 10)).empty());
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), OrgId(987654), std::nullopt, 10)).empty());
}
