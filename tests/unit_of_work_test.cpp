// The unit of work (S1, S2, U1, U2): declared scopes, retries that take effect once, commit
// tokens and after-commit events, shown with StorageWrapper doubles over SQLite.
#include "support/test_support.hpp"

#include <thread>

using namespace orgkit;
using test::Fixture;

namespace {

// Keeps every event, and can be told to fail or throw.
class RecordingSink final : public EventSink {
 public:
  enum class Mode { ok, fail, raise };
  explicit RecordingSink(Mode mode = Mode::ok) : mode_(mode) {}
  Result<void> on_event(const ChangeEvent& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(e);
    if (mode_ == Mode::fail) return fail(Error{ErrorCode::unavailable, "", "webhook down"});
    if (mode_ == Mode::raise) throw std::runtime_error("hook exploded");
    return {};
  }
  std::vector<ChangeEvent> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ChangeEvent> events_;
  Mode mode_;
};

struct Backend {
  std::unique_ptr<test::TempFile> file = std::make_unique<test::TempFile>("orgkit-uow");
  std::unique_ptr<Storage> open() {
    SqliteOptions so;
    so.path = file->path();
    auto s = open_sqlite(so);
    REQUIRE_OK(s);
    return std::move(*s);
  }
};

std::unique_ptr<Service> service(std::unique_ptr<Storage> storage, ServiceOptions options = {}) {
  auto kit = Service::create(std::move(storage), std::move(options));
  REQUIRE_OK(kit);
  return std::move(*kit);
}

Organization make_org(Service& kit, const Actor& owner, const std::string& name) {
  NewOrganization spec;
  spec.name = name;
  auto org = kit.create_organization(owner, spec);
  REQUIRE_OK(org);
  return *org;
}

std::vector<std::string> actions(Service& kit, const Actor& reader, OrgId org) {
  auto page = kit.list_audit_events(reader, org);
  REQUIRE_OK(page);
  std::vector<std::string> out;
  for (const auto& e : page->items) out.push_back(e.action);
  return out;
}

// The token of a read transaction: the newest commit the store has (commit tokens, U1).
CommitToken read_token(Storage& storage) {
  auto tx = storage.begin_read();
  if (!tx) FAIL("begin_read: " << to_string(tx.error()));
  auto token = (*tx)->commit();
  if (!token) FAIL("commit: " << to_string(token.error()));
  return *token;
}

}  // namespace

TEST_CASE("a use case that loses a race is retried whole and takes effect once", "[S2][U2]") {
  Backend b;
  auto flaky = std::make_unique<test::FlakyStorage>(b.open(), 0);
  test::FlakyStorage& doubles = *flaky;
  auto sink = std::make_shared<RecordingSink>();
  ServiceOptions options;
  options.sinks.push_back(sink);
  auto kit = service(std::move(flaky), std::move(options));
  const Actor owner = Fixture::user("owner");
  const Organization org = make_org(*kit, owner, "Acme");
  const int begins_before = doubles.write_begins;

  SECTION("two lost races, then a win: one member, one audit event, one event") {
    auto flaky2 = std::make_unique<test::FlakyStorage>(b.open(), 2);
    test::FlakyStorage& d2 = *flaky2;
    auto sink2 = std::make_shared<RecordingSink>();
    ServiceOptions o2;
    o2.sinks.push_back(sink2);
    auto kit2 = service(std::move(flaky2), std::move(o2));
    auto added = kit2->add_member(owner, org.id, {UserId("bob"), "bob@example.com", "Bob", "member"});
    REQUIRE_OK(added);
    CHECK(d2.commits_refused == 2);
    CHECK(d2.write_begins == 3);  // the whole use case ran three times
    const auto trail = actions(*kit2, owner, org.id);
    CHECK(std::count(trail.begin(), trail.end(), "member.added") == 1);
    REQUIRE(sink2->events().size() == 1);
    CHECK(sink2->events()[0].action == "member.added");
    CHECK(sink2->events()[0].commit_token == added->commit_token);
    auto members = kit2->list_members(owner, org.id);
    REQUIRE_OK(members);
    CHECK(members->items.size() == 2);
  }

  SECTION("races lost every time: aborted after max_attempts, nothing applied, no event") {
    auto flaky2 = std::make_unique<test::FlakyStorage>(b.open(), 1000);
    test::FlakyStorage& d2 = *flaky2;
    auto sink2 = std::make_shared<RecordingSink>();
    ServiceOptions o2;
    o2.sinks.push_back(sink2);
    o2.max_attempts = 3;
    auto kit2 = service(std::move(flaky2), std::move(o2));
    auto added = kit2->add_member(owner, org.id, {UserId("bob"), "bob@example.com", "Bob", "member"});
    REQUIRE_ERROR(added, ErrorCode::aborted);
    CHECK(d2.write_begins == 3);
    CHECK(sink2->events().empty());
    auto members = kit->list_members(owner, org.id);
    REQUIRE_OK(members);
    CHECK(members->items.size() == 1);
  }

  SECTION("a refused use case is not retried: only lost races are") {
    auto denied = kit->add_member(Fixture::user("stranger"), org.id,
                                  {UserId("bob"), "bob@example.com", "Bob", "member"});
    REQUIRE_ERROR(denied, ErrorCode::not_found);
    CHECK(doubles.write_begins == begins_before + 1);
  }
}

TEST_CASE("max_attempts is checked", "[S2][E2]") {
  ServiceOptions options;
  options.max_attempts = 0;
  REQUIRE_ERROR(Service::validate_options(options), ErrorCode::invalid_argument);
  options.max_attempts = 21;
  auto bad = Service::validate_options(options);
  REQUIRE_ERROR(bad, ErrorCode::invalid_argument);
  CHECK(bad.error().field == "max_attempts");
  options.max_attempts = 1;
  REQUIRE_OK(Service::validate_options(options));
}

TEST_CASE("two threads writing to different organizations run their transactions at once",
          "[S1][sqlite]") {
  // The double serializes per organization, as the contract asks, and no more: if anything
  // above storage (the unit of work, the service) took one lock for all writes, the two
  // transactions could never be inside at once and the rendezvous would time out.
  Backend b;
  auto kit_setup = service(b.open());
  const Actor owner = Fixture::user("owner");
  const Organization one = make_org(*kit_setup, owner, "One");
  const Organization two = make_org(*kit_setup, owner, "Two");
  kit_setup.reset();

  auto locking = std::make_unique<test::OrgLockingStorage>(b.open(), 2, std::chrono::seconds(10));
  test::OrgLockingStorage& doubles = *locking;
  ServiceOptions options;
  options.max_attempts = 20;  // the loser retries until the winner's commit is through
  auto kit = service(std::move(locking), std::move(options));
  Result<Committed<Membership>> a = fail(Error{}), c = fail(Error{});
  std::thread ta([&] {
    a = kit->add_member(owner, one.id, {UserId("ann"), "ann@example.com", "Ann", "member"});
  });
  std::thread tc([&] {
    c = kit->add_member(owner, two.id, {UserId("cid"), "cid@example.com", "Cid", "member"});
  });
  ta.join();
  tc.join();
  CHECK(doubles.overlapped);
  REQUIRE_OK(a);
  REQUIRE_OK(c);
  CHECK(a->commit_token != c->commit_token);
  // Both overlapped on one SQLite file, so one lost at commit and ran again: still once each.
  CHECK(doubles.write_begins >= 2);
  for (const auto& org : {one, two}) {
    const auto trail = actions(*kit, owner, org.id);
    CHECK(std::count(trail.begin(), trail.end(), "member.added") == 1);
  }
}

TEST_CASE("commit tokens grow with every commit and round-trip as text", "[U1]") {
  Fixture f;
  const Actor owner = Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = f.kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  auto added = f.kit->add_member(owner, org->id, {UserId("bob"), "bob@example.com", "", "member"});
  REQUIRE_OK(added);
  CHECK(org->commit_token < added->commit_token);
  auto changed = f.kit->change_member_role(owner, org->id, UserId("bob"), "viewer");
  REQUIRE_OK(changed);
  CHECK(added->commit_token < changed->commit_token);

  SECTION("a mutation that changes nothing reports the token it read, and takes none") {
    auto same = f.kit->change_member_role(owner, org->id, UserId("bob"), "viewer");
    REQUIRE_OK(same);
    CHECK(same->commit_token == changed->commit_token);
    // It committed nothing: a read now still reports `changed`'s token. (Not "the next token
    // is changed + 1": only a counter is dense; PostgreSQL's tokens are WAL positions.)
    CHECK(read_token(*f.storage) == changed->commit_token);
    auto next = f.kit->change_member_role(owner, org->id, UserId("bob"), "member");
    REQUIRE_OK(next);
    CHECK(next->commit_token > changed->commit_token);
  }
  SECTION("a refused mutation takes no token") {
    REQUIRE_ERROR(f.kit->change_member_role(owner, org->id, UserId("nobody"), "member"),
                  ErrorCode::not_found);
    CHECK(read_token(*f.storage) == changed->commit_token);
    auto next = f.kit->change_member_role(owner, org->id, UserId("bob"), "member");
    REQUIRE_OK(next);
    CHECK(next->commit_token > changed->commit_token);
  }
  SECTION("text form") {
    const std::string text = changed->commit_token.to_string();
    CHECK(text.rfind("ct1.", 0) == 0);
    auto parsed = CommitToken::parse(text);
    REQUIRE_OK(parsed);
    CHECK(*parsed == changed->commit_token);
    for (const char* bad : {"", "ct1.", "ct1.-1", "ct1.01", "ct1.1x", "ct2.5", "5", "ct1. 5",
                            "ct1.99999999999999999999999"}) {
      INFO(bad);
      auto p = CommitToken::parse(bad);
      REQUIRE_ERROR(p, ErrorCode::invalid_argument);
      CHECK(p.error().field == "commit_token");
    }
  }
}

TEST_CASE("after-commit events: one per change, after the commit, never on rollback", "[U2]") {
  auto sink = std::make_shared<RecordingSink>();
  auto failing = std::make_shared<RecordingSink>(RecordingSink::Mode::fail);
  auto throwing = std::make_shared<RecordingSink>(RecordingSink::Mode::raise);
  auto last = std::make_shared<RecordingSink>();
  std::vector<SinkFailure> reported;
  std::mutex reported_mutex;
  ServiceOptions options;
  options.sinks = {sink, failing, throwing, last};
  options.on_sink_failure = [&](const SinkFailure& f) {
    std::lock_guard<std::mutex> lock(reported_mutex);
    reported.push_back(f);
  };
  Fixture f(std::move(options));
  const Actor owner = Fixture::user("owner");
  const Organization org = f.org(owner);
  const auto created = sink->events();
  REQUIRE(created.size() == 1);
  CHECK(created[0].action == "organization.created");
  CHECK(created[0].actor == owner.id);
  CHECK(created[0].org == org.id);

  auto added = f.kit->add_member(owner, org.id, {UserId("bob"), "bob@example.com", "Bob", "admin"});
  REQUIRE_OK(added);  // failing and throwing sinks undo nothing
  auto events = sink->events();
  REQUIRE(events.size() == 2);
  const ChangeEvent& e = events[1];
  CHECK(e.action == "member.added");
  CHECK(e.target == "bob");
  CHECK(e.tenant == owner.tenant);
  CHECK(e.actor_kind == PrincipalKind::member);
  CHECK(e.commit_token == added->commit_token);
  REQUIRE_FALSE(e.changes.empty());
  CHECK(e.changes[0].field == "role");
  CHECK(e.changes[0].after == std::optional<std::string>("admin"));
  CHECK(last->events().size() == 2);  // a failing sink does not stop the ones after it
  {
    std::lock_guard<std::mutex> lock(reported_mutex);
    REQUIRE(reported.size() == 4);  // two failing sinks, two changes
    CHECK(reported[2].action == "member.added");
    CHECK(reported[2].sink == failing.get());
    CHECK(reported[2].error.message == "webhook down");
    CHECK(reported[3].sink == throwing.get());
    CHECK(reported[3].error.message.find("hook exploded") != std::string::npos);
  }
  CHECK(f.kit->get_membership(owner, org.id, UserId("bob")).has_value());

  SECTION("a refused or rolled-back change sends nothing") {
    REQUIRE_ERROR(f.kit->add_member(owner, org.id, {UserId("bob"), "bob@example.com", "", "member"}),
                  ErrorCode::already_exists);
    REQUIRE_ERROR(f.kit->remove_member(Fixture::user("bob"), org.id, owner.id),
                  ErrorCode::permission_denied);
    CHECK(sink->events().size() == 2);
  }
  SECTION("a change of several rows sends one event per change, with one token") {
    auto csv = f.kit->import_invitations_csv(
        owner, org.id, "email,role\nann@example.com,member\ncid@example.com,viewer\n");
    REQUIRE_OK(csv);
    events = sink->events();
    REQUIRE(events.size() == 4);
    CHECK(events[2].action == "invitation.created");
    CHECK(events[3].action == "invitation.created");
    CHECK(events[2].commit_token == csv->commit_token);
    CHECK(events[3].commit_token == csv->commit_token);
    CHECK(events[2].message != nullptr);  // for the notifier; it carries the link
  }
}
