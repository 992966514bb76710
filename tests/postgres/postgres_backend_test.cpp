// What only the PostgreSQL store has, on the test server (issue 10): its options, its schema
// and migrations (several servers opening at once), its locks (writers on different
// organizations overlap, writers on one organization wait; NOWAIT and the statement timeout
// are `unavailable`), several stores on one schema seeing each other's commits, and errors
// and logs that never repeat a connection string or password. The Storage contract itself is
// the conformance suite (conformance_postgres); the behaviour suites run as postgres/*.
//
// Waiting is never done by sleeping: a writer that must be blocked is observed waiting for a
// lock in pg_stat_activity (its connection carries an application_name of its own), and
// threads meet through condition variables; every wait is bounded.
#include "support/postgres_support.hpp"
#include "support/test_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <pqxx/connection>
#include <pqxx/nontransaction>

using namespace orgkit;
using namespace std::chrono_literals;

namespace {

const TenantId tenant("default");

// A row count (or other single number) read on the test server as its superuser.
std::int64_t number(const std::string& sql) {
  pqxx::connection c(test::postgres_conninfo());
  pqxx::nontransaction n(c);
  return n.exec(sql)[0][0].as<std::int64_t>();
}

// Whether a connection named `application` waits for a lock, polled for up to 10 s.
bool observed_waiting(const std::string& application) {
  const auto end = std::chrono::steady_clock::now() + 10s;
  pqxx::connection c(test::postgres_conninfo());
  pqxx::nontransaction n(c);
  while (std::chrono::steady_clock::now() < end) {
    const auto r = n.exec_params(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
        "AND wait_event_type = 'Lock'",
        application);
    if (r[0][0].as<int>() > 0) return true;
    std::this_thread::sleep_for(5ms);  // polling a server view, not synchronising threads
  }
  return false;
}

// A store on the fresh schema of `first` (or a fresh one) whose connections carry
// application_name `application`.
PostgresOptions options_named(const std::string& application, const std::string& schema) {
  PostgresOptions o;
  o.connection = test::postgres_conninfo() + " application_name=" + application;
  o.schema = schema;
  return o;
}

OrgId seed_org(Storage& s, const std::string& slug) {
  auto tx = s.begin_write(WriteScope{tenant, {}});
  REQUIRE_OK(tx);
  Organization o;
  o.tenant = tenant;
  o.name = slug;
  o.slug = slug;
  o.created_by = UserId("alice");
  auto id = (*tx)->insert_organization(o);
  REQUIRE_OK(id);
  REQUIRE_OK((*tx)->insert_membership(
      tenant, {*id, UserId("alice"), "alice@example.com", "", "owner", from_unix_ms(0), {}}));
  REQUIRE_OK((*tx)->commit());
  return *id;
}

Membership member(OrgId org, const std::string& user) {
  return {org, UserId(user), user + "@example.com", "", "member", from_unix_ms(0), {}};
}

// Two threads meet here; false if the other did not come within 10 s.
class Meeting {
 public:
  bool arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, 10s, [&] { return arrived_ >= 2; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0;
};

}  // namespace

TEST_CASE("postgres: two writers on two organizations hold their transactions at the same time",
          "[S1][postgres]") {
  auto store = test::open_postgres_store();
  REQUIRE_OK(store);
  Storage& s = **store;
  const OrgId one = seed_org(s, "one");
  const OrgId two = seed_org(s, "two");
  Meeting both_open;
  std::atomic<int> overlapped{0};
  std::atomic<int> committed{0};
  auto writer = [&](OrgId org, const std::string& user) {
    auto tx = s.begin_write(WriteScope{tenant, {org}});
    if (!tx) return;
    if (!(*tx)->insert_membership(tenant, member(org, user))) return;
    // Both transactions are open (begun, written, not committed) when both threads get here;
    // a backend that made the second wait for the first would leave this meeting short.
    if (both_open.arrive_and_wait()) ++overlapped;
    if ((*tx)->commit()) ++committed;
  };
  std::thread a(writer, one, "ann");
  std::thread b(writer, two, "bob");
  a.join();
  b.join();
  CHECK(overlapped == 2);
  CHECK(committed == 2);
}

TEST_CASE("postgres: a writer on an organization waits for the one holding it, then sees its write",
          "[S1][postgres]") {
  const std::string schema = test::fresh_schema_name();
  auto holder_store = test::open_postgres_store(options_named("orgkit_holder", schema));
  REQUIRE_OK(holder_store);
  auto waiter_store = open_postgres(options_named("orgkit_waiter_" + schema, schema));
  REQUIRE_OK(waiter_store);
  const OrgId org = seed_org(**holder_store, "acme");

  auto held = (*holder_store)->begin_write(WriteScope{tenant, {org}});
  REQUIRE_OK(held);
  REQUIRE_OK((*held)->insert_membership(tenant, member(org, "first")));
  std::int64_t seen = -1;
  Result<CommitToken> second = fail(Error{});
  std::thread waiter([&] {
    auto tx = (*waiter_store)->begin_write(WriteScope{tenant, {org}});
    if (!tx) {
      second = fail(tx.error());
      return;
    }
    auto n = (*tx)->count_memberships(org, std::nullopt);
    if (n) seen = *n;
    second = (*tx)->commit();
  });
  // The second writer is blocked on the first one's lock, not merely slow.
  CHECK(observed_waiting("orgkit_waiter_" + schema));
  auto first = (*held)->commit();
  waiter.join();
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  CHECK(seen == 2);  // alice and the first writer's member: what it read stays true
  CHECK(*second >= *first);
}

TEST_CASE("postgres: wait = false and the statement timeout are unavailable, having changed nothing",
          "[S1][E3][postgres]") {
  const std::string schema = test::fresh_schema_name();
  auto holder = test::open_postgres_store(options_named("orgkit_holder", schema));
  REQUIRE_OK(holder);
  PostgresOptions impatient = options_named("orgkit_impatient", schema);
  impatient.statement_timeout_ms = 200;
  auto other = open_postgres(impatient);
  REQUIRE_OK(other);
  const OrgId org = seed_org(**holder, "acme");
  auto held = (*holder)->begin_write(WriteScope{tenant, {org}});
  REQUIRE_OK(held);

  REQUIRE_ERROR((*other)->begin_write(WriteScope{tenant, {org}, false}), ErrorCode::unavailable);
  REQUIRE_ERROR((*other)->begin_write(WriteScope{tenant, {org}}), ErrorCode::unavailable);
  // Another organization is not held: no lock spans organizations.
  const OrgId free_org = seed_org(**other, "free");
  auto elsewhere = (*other)->begin_write(WriteScope{tenant, {free_org}, false});
  REQUIRE_OK(elsewhere);
  REQUIRE_OK((*elsewhere)->commit());
  REQUIRE_OK((*held)->commit());
  auto later = (*other)->begin_write(WriteScope{tenant, {org}, false});
  REQUIRE_OK(later);
}

TEST_CASE("postgres: verify_api_key never waits for a writer", "[P9][E3][postgres]") {
  // The store waits for a lock far longer than any test may run: if verifying waited to
  // record the key's use, this test would hang until ctest's timeout kills it.
  const std::string schema = test::fresh_schema_name();
  PostgresOptions patient = options_named("orgkit_patient", schema);
  patient.statement_timeout_ms = 3'600'000;
  auto store = test::open_postgres_store(patient);
  REQUIRE_OK(store);
  auto other = open_postgres(options_named("orgkit_other", schema));  // another server
  REQUIRE_OK(other);
  auto clock = std::make_shared<ManualClock>(from_unix_ms(1'700'000'000'000));
  ServiceOptions options;
  options.clock = clock;
  auto kit = Service::create(std::move(*store), std::move(options));
  REQUIRE_OK(kit);
  const Actor owner = test::Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*kit)->create_organization(owner, spec);
  REQUIRE_OK(org);
  auto key = (*kit)->create_api_key(owner, org->id, NewApiKey{"ci", "member", std::nullopt});
  REQUIRE_OK(key);

  auto held = (*other)->begin_write(WriteScope{owner.tenant, {org->id}});
  REQUIRE_OK(held);
  auto verified = (*kit)->verify_api_key(key->secret);
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->key.last_used_at.has_value());  // skipped, not waited for
  held->reset();  // the writer lets go

  clock->advance(std::chrono::minutes(2));
  auto again = (*kit)->verify_api_key(key->secret);
  REQUIRE_OK(again);
  CHECK(again->key.last_used_at == std::optional<Timestamp>(clock->now()));
}

TEST_CASE("postgres: a role changed through another store is seen by the next check",
          "[P2][C1][postgres]") {
  // Two stores on one schema stand for two application servers. The reading one keeps its
  // pooled connections between calls; it must never answer from an old snapshot.
  const std::string schema = test::fresh_schema_name();
  PostgresOptions o;
  o.schema = schema;
  auto store_a = test::open_postgres_store(o);
  REQUIRE_OK(store_a);
  o.connection = test::postgres_conninfo();
  auto store_b = open_postgres(o);
  REQUIRE_OK(store_b);
  auto a = Service::create(std::move(*store_a));
  auto b = Service::create(std::move(*store_b));
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  const Actor owner = test::Fixture::user("owner");
  const Actor admin = test::Fixture::user("admin");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*a)->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK((*a)->add_member(owner, org->id, {admin.id, admin.email, "", "admin"}));
  for (int round = 0; round < 4; ++round) {
    REQUIRE_OK((*a)->list_members(owner, org->id));
    auto before = (*a)->check(admin, org->id, "members:remove");
    REQUIRE_OK(before);
    CHECK(*before == (round % 2 == 0));
    auto changed = (*b)->change_member_role(owner, org->id, admin.id,
                                            round % 2 == 0 ? "viewer" : "admin");
    REQUIRE_OK(changed);
    auto after = (*a)->check(admin, org->id, "members:remove", changed->commit_token);
    REQUIRE_OK(after);
    CHECK(*after == (round % 2 != 0));
  }
}

TEST_CASE("postgres: open refuses bad options", "[E2][postgres]") {
  PostgresOptions o;
  o.connection = test::postgres_conninfo();
  // The field an option change is refused for ("" if it was not refused).
  auto refused_field = [&](auto change) {
    PostgresOptions bad = o;
    change(bad);
    auto r = open_postgres(bad);
    if (r) return std::string();
    CHECK(r.error().code == ErrorCode::invalid_argument);
    return r.error().field;
  };
  CHECK(refused_field([](PostgresOptions& b) { b.connection.clear(); }) == "connection");
  for (const char* schema : {"", "Upper", "1st", "pg_catalog", "a-b", "semi;colon", "x\"y"}) {
    INFO(schema);
    CHECK(refused_field([&](PostgresOptions& b) { b.schema = schema; }) == "schema");
  }
  CHECK(refused_field([](PostgresOptions& b) { b.pool_size = 0; }) == "pool_size");
  CHECK(refused_field([](PostgresOptions& b) { b.statement_timeout_ms = 0; }) ==
        "statement_timeout_ms");
  CHECK(refused_field([](PostgresOptions& b) { b.reconnect_budget_ms = -1; }) ==
        "reconnect_budget_ms");
}

TEST_CASE("postgres: a schema of another application, or of a newer orgkit, is refused",
          "[E2][postgres]") {
  const std::string schema = test::fresh_schema_name();
  {
    pqxx::connection c(test::postgres_conninfo());
    pqxx::nontransaction n(c);
    n.exec("CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".users (id int)");
  }
  PostgresOptions o;
  o.connection = test::postgres_conninfo();
  o.schema = schema;
  auto foreign = open_postgres(o);
  REQUIRE_ERROR(foreign, ErrorCode::storage);
  CHECK(foreign.error().field == "schema");
  test::drop_schema(schema);

  auto store = test::open_postgres_store(o);  // creates it afresh
  REQUIRE_OK(store);
  REQUIRE_OK(open_postgres(o));  // reopening is a no-op migration
  CHECK(number("SELECT count(*) FROM " + schema + ".schema_version") == postgres_schema_version);
  number("WITH v AS (INSERT INTO " + schema + ".schema_version (version) VALUES (99) "
         "RETURNING version) SELECT version FROM v");
  auto newer = open_postgres(o);
  REQUIRE_ERROR(newer, ErrorCode::conflict);
  CHECK(newer.error().message.find("99") != std::string::npos);
}

TEST_CASE("postgres: eight servers opening one new schema at once migrate it once",
          "[E3][postgres]") {
  const std::string schema = test::fresh_schema_name();
  PostgresOptions o;
  o.connection = test::postgres_conninfo();
  o.schema = schema;
  constexpr int servers = 8;
  std::mutex mutex;
  std::condition_variable cv;
  int ready = 0;
  std::vector<Result<std::unique_ptr<Storage>>> opened;
  for (int i = 0; i < servers; ++i) opened.emplace_back(fail(Error{}));
  std::vector<std::thread> threads;
  for (int i = 0; i < servers; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mutex);
        ++ready;
        cv.notify_all();
        cv.wait_for(lock, 10s, [&] { return ready == servers; });  // start together
      }
      opened[static_cast<std::size_t>(i)] = open_postgres(o);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : opened) REQUIRE_OK(r);
  // One row per migration: each was applied exactly once.
  CHECK(number("SELECT count(*) FROM " + schema + ".schema_version") == postgres_schema_version);
  CHECK(number("SELECT count(DISTINCT version) FROM " + schema + ".schema_version") ==
        postgres_schema_version);
  opened.clear();
  test::drop_schema(schema);
}

namespace {

// What the process writes on stderr while `f` runs.
template <class F>
std::string stderr_of(F&& f) {
  test::TempFile capture("orgkit-stderr");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int fd = ::open(capture.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(fd);
  ::close(saved);
  std::ifstream in(capture.path());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("postgres: a refused password never appears in errors or logs", "[E2][postgres]") {
  auto info = test::postgres_info();
  REQUIRE_FALSE(info["password_conninfo"].empty());
  const std::string secret = "Wr0ng-Pa55word-zebra";
  const std::string socket_dir = info["socket_dir"];
  const std::string uri = "postgresql://orgkit_pw:" + secret + "@/orgkit?host=" + socket_dir;
  for (const std::string& connection :
       {info["password_conninfo"] + " password=" + secret, uri}) {
    INFO("connection string of the kind " << (connection == uri ? "URI" : "key=value"));
    PostgresOptions o;
    o.connection = connection;
    o.schema = test::fresh_schema_name();
    Result<std::unique_ptr<Storage>> r = fail(Error{});
    const std::string log = stderr_of([&] { r = open_postgres(o); });
    REQUIRE_ERROR(r, ErrorCode::unavailable);
    const std::string message = to_string(r.error());
    INFO(message);
    CHECK(message.find("credentials") != std::string::npos);  // says why, in its own words
    for (const std::string& leak : {secret, std::string("password="), std::string("orgkit_pw"),
                                    socket_dir, std::string("host="), std::string("FATAL")}) {
      CHECK(message.find(leak) == std::string::npos);
      CHECK(log.find(leak) == std::string::npos);
    }
  }
  // The server's log does not have it either.
  std::ifstream server_log(info["log"]);
  std::stringstream text;
  text << server_log.rdbuf();
  CHECK(text.str().find(secret) == std::string::npos);

  // The right password opens: the refusal above was the password's, not the role's.
  PostgresOptions right;
  right.connection = info["password_conninfo"] + " password=orgkit-test-password";
  auto store = test::open_postgres_store(right);
  REQUIRE_OK(store);
}

TEST_CASE("postgres: an unreachable server is unavailable, without naming it", "[E2][postgres]") {
  PostgresOptions o;
  o.connection = "host=/nonexistent/orgkit-socket-dir dbname=orgkit password=hunter2";
  o.reconnect_budget_ms = 100;
  auto r = open_postgres(o);
  REQUIRE_ERROR(r, ErrorCode::unavailable);
  const std::string message = to_string(r.error());
  CHECK(message.find("hunter2") == std::string::npos);
  CHECK(message.find("/nonexistent") == std::string::npos);
}

TEST_CASE("postgres: commit tokens grow across servers, and the commit log stays small",
          "[U1][postgres]") {
  // Two stores on one schema stand for two servers, writing in turn: each write's token is
  // greater than the one before it, whichever server made it, and a read on either server
  // reports the newest. Each commit prunes older log rows, so the log does not grow with the
  // number of commits.
  const std::string schema = test::fresh_schema_name();
  PostgresOptions o;
  o.schema = schema;
  auto first = test::open_postgres_store(o);
  REQUIRE_OK(first);
  o.connection = test::postgres_conninfo();
  auto second = open_postgres(o);
  REQUIRE_OK(second);
  const OrgId org = seed_org(**first, "acme");
  CommitToken last;
  for (int i = 0; i < 200; ++i) {
    Storage& s = i % 2 == 0 ? **first : **second;
    auto tx = s.begin_write(WriteScope{tenant, {org}});
    REQUIRE_OK(tx);
    REQUIRE_OK((*tx)->insert_membership(tenant, member(org, "u" + std::to_string(i))));
    auto token = (*tx)->commit();
    REQUIRE_OK(token);
    CHECK(*token > last);
    last = *token;
    Storage& other = i % 2 == 0 ? **second : **first;
    auto read = other.begin_read();
    REQUIRE_OK(read);
    auto seen = (*read)->commit();
    REQUIRE_OK(seen);
    CHECK(*seen == last);
  }
  CHECK(number("SELECT count(*) FROM " + schema + ".commit_log") <= 8);
}
