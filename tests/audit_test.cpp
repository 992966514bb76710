// Audit (A1): every change writes one event in the same transaction, with actor, time,
// organization, target and before/after; owners and admins read it, newest first, paged.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

TEST_CASE("every change is audited with before and after", "[A1]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto bob = Fixture::user("bob");
  auto org = f.org(owner);
  f.clock->advance(std::chrono::minutes(1));
  f.add(owner, org.id, bob, "member");
  f.clock->advance(std::chrono::minutes(1));
  REQUIRE_OK(f.kit->change_member_role(owner, org.id, bob.id, "admin"));
  OrganizationUpdate u;
  u.name = "Acme 2";
  REQUIRE_OK(f.kit->update_organization(owner, org.id, u));
  REQUIRE_OK(f.kit->transfer_ownership(owner, org.id, bob.id));
  REQUIRE_OK(f.kit->leave_organization(owner, org.id));

  AuditQuery q;
  auto page = f.kit->list_audit_events(bob, org.id, q);
  REQUIRE_OK(page);
  const auto& e = page->items;
  REQUIRE(e.size() == 6);
  CHECK(e[0].action == "member.left");
  CHECK(e[1].action == "ownership.transferred");
  CHECK(e[2].action == "organization.updated");
  CHECK(e[3].action == "member.role_changed");
  CHECK(e[4].action == "member.added");
  CHECK(e[5].action == "organization.created");

  CHECK(e[3].actor == owner.id);
  CHECK(e[3].target == "bob");
  CHECK(e[3].org == org.id);
  CHECK(e[3].at == f.clock->now());
  REQUIRE(e[3].changes.size() == 1);
  CHECK(e[3].changes[0].field == "role");
  CHECK(e[3].changes[0].before == std::optional<std::string>("member"));
  CHECK(e[3].changes[0].after == std::optional<std::string>("admin"));
  CHECK(e[4].at < e[3].at);
  REQUIRE(e[2].changes.size() == 1);
  CHECK(e[2].changes[0].before == std::optional<std::string>("Acme"));
  CHECK(e[2].changes[0].after == std::optional<std::string>("Acme 2"));
  CHECK(e[4].changes[0].before == std::nullopt);
}

TEST_CASE("refused and invalid changes write no audit event", "[A1][E2]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto member = Fixture::user("member");
  auto org = f.org(owner);
  f.add(owner, org.id, member, "member");
  const auto before = f.actions(owner, org.id).size();
  REQUIRE_ERROR(f.kit->change_member_role(owner, org.id, owner.id, "admin"), ErrorCode::conflict);
  REQUIRE_ERROR(f.kit->remove_member(member, org.id, owner.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->add_member(owner, org.id, {UserId("x"), "bad", "", "member"}),
                ErrorCode::invalid_argument);
  OrganizationUpdate same;
  same.name = "Acme";  // unchanged: nothing to record
  REQUIRE_OK(f.kit->update_organization(owner, org.id, same));
  CHECK(f.actions(owner, org.id).size() == before);
}

TEST_CASE("only owners and admins read the audit trail, a page at a time", "[A1]") {
  test::Team team;
  auto& [f, owner, admin, member, org] = team;
  for (int i = 0; i < 12; ++i) {
    REQUIRE_OK(f.kit->change_member_role(admin, org.id, member.id, i % 2 ? "member" : "viewer"));
  }
  REQUIRE_ERROR(f.kit->list_audit_events(member, org.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->list_audit_events(Fixture::user("x"), org.id), ErrorCode::not_found);

  AuditQuery q;
  q.limit = 5;
  std::vector<std::int64_t> ids;
  for (;;) {
    auto page = f.kit->list_audit_events(admin, org.id, q);
    REQUIRE_OK(page);
    for (const auto& e : page->items) ids.push_back(e.id.value());
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  CHECK(ids.size() == 15);  // created, 2 added, 12 role changes
  CHECK(std::is_sorted(ids.rbegin(), ids.rend()));

  AuditQuery bad;
  bad.cursor = "a:notanumber";
  REQUIRE_ERROR(f.kit->list_audit_events(owner, org.id, bad), ErrorCode::invalid_argument);
  bad.cursor = "";
  bad.limit = 5000;
  REQUIRE_ERROR(f.kit->list_audit_events(owner, org.id, bad), ErrorCode::invalid_argument);
}

// --- filters (issue 8): by action, target and time range ---------------------------------

namespace {

// An owner, an admin, and a trail with known actions, targets and times: the clock moves a
// minute before each change, so event times step by minutes from `start`.
struct Trail : test::Team {
  Timestamp start = f.clock->now();
  Actor carol = Fixture::user("carol");
  Trail() {
    step();
    f.add(owner, org.id, carol, "member");                                  // +1 added carol
    step();
    REQUIRE_OK(f.kit->change_member_role(admin, org.id, member.id, "viewer"));  // +2
    step();
    REQUIRE_OK(f.kit->change_member_role(admin, org.id, carol.id, "viewer"));   // +3
    step();
    REQUIRE_OK(f.kit->change_member_role(owner, org.id, member.id, "member"));  // +4
    step();
    REQUIRE_OK(f.kit->remove_member(admin, org.id, carol.id));                  // +5
  }
  void step() { f.clock->advance(std::chrono::minutes(1)); }
  Timestamp minute(int n) const { return start + std::chrono::minutes(n); }

  struct Seen {
    std::string action;
    std::string target;
  };
  std::vector<Seen> all(AuditQuery q, const Actor* reader = nullptr) {
    std::vector<Seen> out;
    q.limit = 1000;
    auto page = f.kit->list_audit_events(reader ? *reader : admin, org.id, q);
    REQUIRE_OK(page);
    for (const auto& e : page->items) out.push_back({e.action, e.target});
    return out;
  }
  std::vector<std::string> actions(const AuditQuery& q) {
    std::vector<std::string> out;
    for (const auto& s : all(q)) out.push_back(s.action + " " + s.target);
    return out;
  }
};

}  // namespace

TEST_CASE("audit events filtered by action, target and time range, alone and together",
          "[A1][issue8]") {
  Trail t;
  AuditQuery by_action;
  by_action.action = "member.role_changed";
  CHECK(t.actions(by_action) == std::vector<std::string>{"member.role_changed member",
                                                        "member.role_changed carol",
                                                        "member.role_changed member"});
  AuditQuery by_target;
  by_target.target = "carol";
  CHECK(t.actions(by_target) == std::vector<std::string>{"member.removed carol",
                                                        "member.role_changed carol",
                                                        "member.added carol"});
  AuditQuery range;  // [+2, +4): the minute of +2 counts, the minute of +4 does not
  range.since = t.minute(2);
  range.until = t.minute(4);
  CHECK(t.actions(range) == std::vector<std::string>{"member.role_changed carol",
                                                    "member.role_changed member"});
  AuditQuery since;
  since.since = t.minute(5);
  CHECK(t.actions(since) == std::vector<std::string>{"member.removed carol"});
  AuditQuery until;
  until.until = t.minute(1);  // the Team's creation and its two members
  CHECK(t.actions(until).size() == 3);

  AuditQuery all_of;
  all_of.action = "member.role_changed";
  all_of.target = "member";
  all_of.since = t.minute(3);
  CHECK(t.actions(all_of) == std::vector<std::string>{"member.role_changed member"});
  all_of.until = t.minute(4);
  CHECK(t.actions(all_of).empty());

  // A well-formed action that no event has is an empty list, not an error.
  AuditQuery none;
  none.action = "member.teleported";
  CHECK(t.actions(none).empty());
  // Exact, not a prefix and not case-insensitive.
  AuditQuery prefix;
  prefix.target = "car";
  CHECK(t.actions(prefix).empty());
  prefix.target = "Carol";
  CHECK(t.actions(prefix).empty());
  // Owners read the same filtered trail.
  CHECK(t.all(by_target, &t.owner).size() == 3);
}

TEST_CASE("filtered audit pages walk every match once, even with events added between pages",
          "[A1][issue8]") {
  Trail t;
  AuditQuery q;
  q.action = "member.role_changed";
  q.limit = 1;
  std::vector<std::int64_t> ids;
  std::vector<std::string> targets;
  for (int page_no = 0; page_no < 10; ++page_no) {
    auto page = t.f.kit->list_audit_events(t.admin, t.org.id, q);
    REQUIRE_OK(page);
    REQUIRE(page->items.size() <= 1);
    for (const auto& e : page->items) {
      CHECK(e.action == "member.role_changed");
      ids.push_back(e.id.value());
      targets.push_back(e.target);
    }
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
    // Newer matching events: the walk goes on below the cursor and never shows them.
    t.step();
    REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.member.id,
                                           page_no % 2 ? "member" : "viewer"));
  }
  CHECK(targets == std::vector<std::string>{"member", "carol", "member"});
  CHECK(std::is_sorted(ids.rbegin(), ids.rend()));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());

  // The last page of a filter that matches exactly `limit` events says there is no more.
  AuditQuery removed;
  removed.action = "member.removed";
  removed.limit = 1;
  auto page = t.f.kit->list_audit_events(t.admin, t.org.id, removed);
  REQUIRE_OK(page);
  CHECK(page->items.size() == 1);
  CHECK_FALSE(page->next_cursor);
}

TEST_CASE("audit filters: members are refused and outsiders see nothing", "[A1][R1][issue8]") {
  Trail t;
  AuditQuery q;
  q.action = "member.added";
  REQUIRE_ERROR(t.f.kit->list_audit_events(t.member, t.org.id, q), ErrorCode::permission_denied);
  auto outsider = t.f.kit->list_audit_events(Fixture::user("x"), t.org.id, q);
  REQUIRE_ERROR(outsider, ErrorCode::not_found);
  CHECK(outsider.error().field == "org_id");
}

TEST_CASE("audit filters of the wrong shape are refused, naming the field", "[A1][E2][issue8]") {
  Trail t;
  auto refused = [&](const AuditQuery& q, const std::string& field) {
    auto r = t.f.kit->list_audit_events(t.owner, t.org.id, q);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == field);
  };
  for (const char* action : {"", "Member.Added", "member..added", ".member", "member.",
                             "member added", "member.added%", "member:added"}) {
    INFO("action '" << action << "'");
    AuditQuery q;
    q.action = action;
    refused(q, "action");
  }
  AuditQuery long_action;
  long_action.action = std::string(65, 'a');
  refused(long_action, "action");
  for (const std::string& target : {std::string(), std::string(256, 'x'), std::string("a\nb"),
                                    std::string("\xff\xfe")}) {
    AuditQuery q;
    q.target = target;
    refused(q, "target");
  }
  AuditQuery empty_range;  // since == until holds nothing: a mistake, not a query
  empty_range.since = t.minute(2);
  empty_range.until = t.minute(2);
  refused(empty_range, "until");
  AuditQuery backwards;
  backwards.since = t.minute(3);
  backwards.until = t.minute(2);
  refused(backwards, "until");
  AuditQuery foreign_cursor;
  foreign_cursor.action = "member.added";
  foreign_cursor.cursor = "i:5";
  refused(foreign_cursor, "cursor");
  // The longest well-formed values are fine.
  AuditQuery longest;
  longest.action = std::string(64, 'a');
  longest.target = std::string(255, 'x');
  REQUIRE_OK(t.f.kit->list_audit_events(t.owner, t.org.id, longest));
}
