// Several servers, one truth (issue 10; C1, C2): checks through the LISTEN/NOTIFY cache of
// the PostgreSQL store against changes made by another process.
//
// A second process (orgkit_pg_revoker) grants and revokes a member's right to invite on its
// own Service; this process checks through its own. Because a writer's commit returns only
// once every other listening store has acknowledged it (change_signal.hpp), neither a plain
// check nor one at the writer's token may allow after the revocation returned: 0 stale allows
// of either over 1,000 rounds. The same holds between two stores of one process.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "support/postgres_support.hpp"
#include "support/test_support.hpp"

extern char** environ;

using namespace orgkit;

namespace {

const Actor owner{UserId("owner"), "owner@example.com", "Owner"};

// A schema of the test server for one test case, dropped at its end.
struct FreshSchema {
  std::string name = test::fresh_schema_name();
  ~FreshSchema() { test::drop_schema(name); }
};
const Actor target{UserId("target"), "target@example.com", "Target"};

// A Service on a PostgreSQL schema of the test server (the schema is not dropped by it).
std::unique_ptr<Service> service_on(const std::string& schema, Storage** raw = nullptr) {
  PostgresOptions po;
  po.connection = test::postgres_conninfo();
  po.schema = schema;
  auto store = open_postgres(po);
  REQUIRE_OK(store);
  if (raw != nullptr) *raw = store->get();
  auto kit = Service::create(std::move(*store));
  REQUIRE_OK(kit);
  return std::move(*kit);
}

// Waits (bounded) until the store's listener trusts its channel, so that the cache is in use.
void wait_listening(Storage& store) {
  const ChangeSignal* signal = store.change_signal();
  REQUIRE(signal != nullptr);
  for (int i = 0; i < 2000 && !signal->settled(OrgId(1)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(signal->settled(OrgId(1)).has_value());
}

// The other process, fed commands through a pipe, answering tokens through another.
class Revoker {
 public:
  Revoker(const std::string& schema, OrgId org) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> args{ORGKIT_PG_REVOKER, schema, std::to_string(org.value()),
                                  target.id.value()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, ORGKIT_PG_REVOKER, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = ::fdopen(out[0], "r");
    REQUIRE(from_ != nullptr);
  }
  ~Revoker() {
    ::close(to_);
    std::fclose(from_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  // 'g' or 'r'; the token of its commit, once that commit has returned in the other process.
  CommitToken change(char c) {
    REQUIRE(::write(to_, &c, 1) == 1);
    char line[64] = {};
    REQUIRE(std::fgets(line, sizeof line, from_) != nullptr);
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    auto token = CommitToken::parse(text);
    REQUIRE_OK(token);
    return *token;
  }

 private:
  pid_t pid_ = 0;
  int to_ = -1;
  FILE* from_ = nullptr;
};

}  // namespace

TEST_CASE("postgres C1, C2: 1,000 revocations by another process, 0 stale allows",
          "[C1][C2][postgres]") {
  const FreshSchema fresh;
  const std::string& schema = fresh.name;
  Storage* store = nullptr;
  auto kit = service_on(schema, &store);
  NewOrganization spec;
  spec.name = "Acme";
  auto org = kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK(kit->add_member(owner, org->id, {target.id, target.email, "", "viewer"}));
  wait_listening(*store);
  Revoker other(schema, org->id);
  long stale_at_token = 0, stale_plain = 0;
  for (int round = 0; round < 1000; ++round) {
    const CommitToken granted = other.change('g');
    auto may = kit->check(target, org->id, "members:invite", Consistency::at_least_as_fresh(granted));
    REQUIRE_OK(may);
    REQUIRE(*may);  // the grant is seen at its token: a check never reads less than that
    for (int k = 0; k < 3; ++k) REQUIRE_OK(kit->check(target, org->id, "members:invite"));
    const CommitToken revoked = other.change('r');
    // The plain check first, at once: nothing has given the notification time to arrive but
    // the writer's own wait for this store's acknowledgement.
    auto plain = kit->check(target, org->id, "members:invite");
    REQUIRE_OK(plain);
    if (*plain) ++stale_plain;
    auto at_token =
        kit->check(target, org->id, "members:invite", Consistency::at_least_as_fresh(revoked));
    REQUIRE_OK(at_token);
    if (*at_token) ++stale_at_token;
  }
  CHECK(stale_at_token == 0);
  CHECK(stale_plain == 0);
}

TEST_CASE("postgres C1: a plain check sees another store's change once notified",
          "[C1][postgres]") {
  const FreshSchema fresh;
  const std::string& schema = fresh.name;
  Storage* store_a = nullptr;
  Storage* store_b = nullptr;
  auto a = service_on(schema, &store_a);
  auto b = service_on(schema, &store_b);
  NewOrganization spec;
  spec.name = "Acme";
  auto org = a->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK(a->add_member(owner, org->id, {target.id, target.email, "", "admin"}));
  wait_listening(*store_b);
  const ChangeSignal& signal_b = *store_b->change_signal();

  auto allowed = b->check(target, org->id, "members:invite");
  REQUIRE_OK(allowed);
  REQUIRE(*allowed);
  REQUIRE_OK(b->check(target, org->id, "members:invite"));  // cached now
  auto changed = a->change_member_role(owner, org->id, target.id, "viewer");
  REQUIRE_OK(changed);
  // a's commit returned only once b had heard of it: b's very next plain check denies, and
  // b's signal covers the token.
  CHECK(signal_b.covers(changed->commit_token));
  auto plain = b->check(target, org->id, "members:invite");
  REQUIRE_OK(plain);
  CHECK_FALSE(*plain);
  // A greater token that b never heard of is not covered (tokens of overlapping writers need
  // not follow their commit order).
  CHECK_FALSE(signal_b.covers(CommitToken(changed->commit_token.sequence() + 1)));
  CHECK(signal_b.covers(CommitToken()));
}

// A store that goes away deregisters, so writers do not wait for its lease to run out.
TEST_CASE("postgres C1: a closed store leaves the listeners", "[C1][postgres]") {
  const FreshSchema fresh;
  const std::string& schema = fresh.name;
  auto listeners = [&] {
    pqxx::connection c(test::postgres_conninfo());
    pqxx::nontransaction n(c);
    return n.exec("SELECT count(*) FROM \"" + schema + "\".listeners")[0][0].as<int>();
  };
  Storage* store_a = nullptr;
  Storage* store_b = nullptr;
  auto a = service_on(schema, &store_a);
  auto b = service_on(schema, &store_b);
  wait_listening(*store_a);
  wait_listening(*store_b);
  CHECK(listeners() == 2);
  b.reset();  // closes the store: its listener deregisters before its thread ends
  CHECK(listeners() == 1);
}

TEST_CASE("postgres C1: without cache_checks every check reads the server", "[C1][postgres]") {
  auto store = test::open_postgres_store([] {
    PostgresOptions po;
    po.cache_checks = false;
    return po;
  }());
  REQUIRE_OK(store);
  CHECK((*store)->change_signal() == nullptr);
}
