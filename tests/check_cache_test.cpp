// The check cache (C1, C2; issue 9): hits read nothing, any commit that may change an
// organization is seen by the next check, eviction keeps memory bounded and never answers
// from a stale entry, and eight threads share a Service with a writer revoking under them.
// Cross-process freshness is in concurrency/multi_process_test.cpp; "no allocation on a hit"
// in concurrency/check_allocation_test.cpp.
#include "support/test_support.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <SQLiteCpp/Database.h>

#include "service/check_cache.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

// Counts the check's reads of the store: a check that did not read was a cache hit.
class CountingStorage final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<bool> member_access(const TenantId& tenant, OrgId org, const UserId& user,
                             MemberAccess& out) override {
    reads.fetch_add(1);
    return StorageWrapper::member_access(tenant, org, user, out);
  }
  std::atomic<long> reads{0};
};

struct Cached {
  std::unique_ptr<test::TempFile> file;
  CountingStorage* counter = nullptr;
  std::unique_ptr<Service> kit;
  Actor owner = Fixture::user("owner");
  Actor admin = Fixture::user("admin");
  Actor member = Fixture::user("member");
  OrgId org;

  explicit Cached(std::size_t capacity = 1024) {
    SqliteOptions so;
    if (test::storage_kind() == "file") {
      file = std::make_unique<test::TempFile>("orgkit-cache");
      so.path = file->path();
    }
    auto store = open_sqlite(so);
    REQUIRE_OK(store);
    auto counting = std::make_unique<CountingStorage>(std::move(*store));
    counter = counting.get();
    ServiceOptions options;
    options.check_cache_capacity = capacity;
    auto created = Service::create(std::move(counting), std::move(options));
    REQUIRE_OK(created);
    kit = std::move(*created);
    org = make_org("Acme");
    REQUIRE_OK(kit->add_member(owner, org, {admin.id, admin.email, "", "admin"}));
    REQUIRE_OK(kit->add_member(owner, org, {member.id, member.email, "", "member"}));
  }
  OrgId make_org(const std::string& name) {
    NewOrganization spec;
    spec.name = name;
    auto o = kit->create_organization(owner, spec);
    REQUIRE_OK(o);
    return o->id;
  }
  // The answer, and whether it needed a read of the store.
  std::pair<bool, bool> check(const Actor& who, OrgId where, std::string_view permission) {
    const long before = counter->reads.load();
    auto r = kit->check(who, where, permission);
    REQUIRE_OK(r);
    return {*r, counter->reads.load() != before};
  }
};

// A ChangeSignal the unit tests move by hand.
class ManualSignal final : public ChangeSignal {
 public:
  std::optional<Version> settled(OrgId) const noexcept override { return Version{all, 0}; }
  bool unchanged(OrgId, const Version& v) const noexcept override { return v.all == all; }
  bool covers(const CommitToken&) const noexcept override { return true; }
  std::uint64_t all = 0;
};

detail::CachedAccess access(bool member, std::size_t bit) {
  detail::CachedAccess a;
  a.member = member;
  a.permissions.set(bit);
  return a;
}

}  // namespace

TEST_CASE("C1: a repeated check is answered from the cache, a change is read again",
          "[C1][C2][issue9][sqlite]") {
  Cached t;
  CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, true});   // miss
  CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, false});  // hit
  CHECK(t.check(t.admin, t.org, "org:update") == std::pair{true, false});      // same entry
  CHECK(t.check(t.member, t.org, "members:invite") == std::pair{false, true});
  CHECK(t.check(t.member, t.org, "members:invite") == std::pair{false, false});
  // Non-members are cached too (deny by default), and must not stay denied once added.
  const Actor newcomer = Fixture::user("newcomer");
  CHECK(t.check(newcomer, t.org, "resources:read") == std::pair{false, true});
  CHECK(t.check(newcomer, t.org, "resources:read") == std::pair{false, false});

  SECTION("a role change is seen by the very next check") {
    REQUIRE_OK(t.kit->change_member_role(t.owner, t.org, t.admin.id, "viewer"));
    CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{false, true});
    CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{false, false});
  }
  SECTION("a removal, an addition") {
    REQUIRE_OK(t.kit->remove_member(t.owner, t.org, t.admin.id));
    CHECK(t.check(t.admin, t.org, "members:invite").first == false);
    REQUIRE_OK(t.kit->add_member(t.owner, t.org, {newcomer.id, newcomer.email, "", "viewer"}));
    CHECK(t.check(newcomer, t.org, "resources:read") == std::pair{true, true});
  }
  SECTION("a custom role's permissions change under its holders") {
    CustomRole r;
    r.name = "inviter";
    r.rank = 30;
    r.permissions = {"members:read", "members:invite"};
    REQUIRE_OK(t.kit->create_role(t.owner, t.org, r));
    REQUIRE_OK(t.kit->change_member_role(t.owner, t.org, t.member.id, "inviter"));
    CHECK(t.check(t.member, t.org, "members:invite") == std::pair{true, true});
    CHECK(t.check(t.member, t.org, "members:invite") == std::pair{true, false});
    CustomRoleUpdate u;
    u.permissions = std::vector<std::string>{"members:read"};
    REQUIRE_OK(t.kit->update_role(t.owner, t.org, "inviter", u));
    CHECK(t.check(t.member, t.org, "members:invite") == std::pair{false, true});
  }
  SECTION("deleting the organization") {
    REQUIRE_OK(t.kit->delete_organization(t.owner, t.org));
    CHECK(t.check(t.admin, t.org, "resources:read") == std::pair{false, true});
  }
  SECTION("a refused change invalidates nothing") {
    REQUIRE_ERROR(t.kit->change_member_role(t.member, t.org, t.admin.id, "viewer"),
                  ErrorCode::permission_denied);
    CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, false});
  }
}

TEST_CASE("C1: a change to one organization keeps other organizations' answers cached",
          "[C1][issue9][sqlite]") {
  Cached t;
  const OrgId other = t.make_org("Other");
  REQUIRE_OK(t.kit->add_member(t.owner, other, {t.admin.id, t.admin.email, "", "admin"}));
  CHECK(t.check(t.admin, other, "members:invite").second);
  CHECK(t.check(t.admin, t.org, "members:invite").second);
  REQUIRE_OK(t.kit->change_member_role(t.owner, t.org, t.member.id, "viewer"));
  CHECK(t.check(t.admin, other, "members:invite") == std::pair{true, false});
  CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, true});
}

TEST_CASE("C2: creating an organization is seen by a check cached before it existed",
          "[C2][issue9][sqlite]") {
  Cached t;
  // A check of an id that does not exist yet caches "not a member"; the organization that
  // later gets that id (a write with no organization in its scope) must not stay denied.
  const OrgId next(t.org.value() + 1);
  CHECK(t.check(t.member, next, "org:update") == std::pair{false, true});
  CHECK(t.check(t.member, next, "org:update") == std::pair{false, false});
  NewOrganization spec;
  spec.name = "Mine";
  auto mine = t.kit->create_organization(t.member, spec);
  REQUIRE_OK(mine);
  REQUIRE(mine->id == next);
  CHECK(t.check(t.member, next, "org:update") == std::pair{true, true});
}

TEST_CASE("C3: with capacity 0 every check reads, and the options are checked",
          "[C3][issue9][sqlite]") {
  Cached t(0);
  CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, true});
  CHECK(t.check(t.admin, t.org, "members:invite") == std::pair{true, true});
  ServiceOptions bad;
  bad.check_cache_capacity = (std::size_t{1} << 24) + 1;
  auto r = Service::validate_options(bad);
  REQUIRE_ERROR(r, ErrorCode::invalid_argument);
  CHECK(r.error().field == "check_cache_capacity");
}

TEST_CASE("C2: a check at least as fresh as a commit token", "[C2][U1][issue9][sqlite]") {
  Cached t;
  auto changed = t.kit->change_member_role(t.owner, t.org, t.member.id, "admin");
  REQUIRE_OK(changed);
  auto r = t.kit->check(t.member, t.org, "members:invite", changed->commit_token);
  REQUIRE_OK(r);
  CHECK(*r);
  // A token the signal covers is answered from the cache ...
  const long before = t.counter->reads.load();
  REQUIRE_OK(t.kit->check(t.member, t.org, "members:invite", changed->commit_token));
  CHECK(t.counter->reads.load() == before);
  // ... one from a commit it has not seen (another database, a server ahead) is read.
  REQUIRE_OK(t.kit->check(t.member, t.org, "members:invite", CommitToken(1'000'000'000)));
  CHECK(t.counter->reads.load() == before + 1);
  REQUIRE_ERROR(t.kit->check(t.member, t.org, "members:nope", changed->commit_token),
                ErrorCode::invalid_argument);
}

TEST_CASE("C2: each Consistency reads the store exactly when it promises to",
          "[C2][issue9][sqlite]") {
  Cached t;
  auto reads_of = [&](Consistency consistency) {
    const long before = t.counter->reads.load();
    auto r = t.kit->check(t.admin, t.org, "members:invite", consistency);
    REQUIRE_OK(r);
    CHECK(*r);
    return t.counter->reads.load() - before;
  };
  auto changed = t.kit->change_member_role(t.owner, t.org, t.member.id, "viewer");
  REQUIRE_OK(changed);
  CHECK(reads_of(Consistency::minimize_latency()) == 1);  // fills the cache
  CHECK(reads_of(Consistency::minimize_latency()) == 0);
  CHECK(reads_of(Consistency::at_least_as_fresh(changed->commit_token)) == 0);
  CHECK(reads_of(Consistency::at_least_as_fresh(CommitToken(1'000'000'000))) == 1);
  CHECK(reads_of(Consistency::fully_consistent()) == 1);
  CHECK(reads_of(Consistency::fully_consistent()) == 1);  // every time
  CHECK(reads_of(Consistency::minimize_latency()) == 0);  // and the cache is still warm
  REQUIRE_ERROR(t.kit->check(t.admin, t.org, "members:nope", Consistency::fully_consistent()),
                ErrorCode::invalid_argument);
  CHECK(Consistency::at_least_as_fresh(changed->commit_token).token() == changed->commit_token);
}

// A writer that bypasses orgkit is the one the change signal cannot see (orgkit/sqlite.hpp):
// a plain check keeps its cached answer, a fully consistent one reads the change.
TEST_CASE("C2: fully_consistent sees a change written behind orgkit's back",
          "[C2][issue9][sqlite]") {
  test::TempFile file("orgkit-behind");
  SqliteOptions so;
  so.path = file.path();
  auto kit = Service::open_sqlite(so);
  REQUIRE_OK(kit);
  const Actor owner = Fixture::user("owner"), admin = Fixture::user("admin");
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*kit)->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK((*kit)->add_member(owner, org->id, {admin.id, admin.email, "", "admin"}));
  auto warm = (*kit)->check(admin, org->id, "members:invite");
  REQUIRE_OK(warm);
  REQUIRE(*warm);
  {
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    REQUIRE(db.exec("UPDATE memberships SET role = 'viewer' WHERE user_id = 'admin'") == 1);
  }
  auto plain = (*kit)->check(admin, org->id, "members:invite");
  REQUIRE_OK(plain);
  CHECK(*plain);  // documented: not seen until an orgkit commit on the organization
  auto full = (*kit)->check(admin, org->id, "members:invite", Consistency::fully_consistent());
  REQUIRE_OK(full);
  CHECK_FALSE(*full);
}

TEST_CASE("C3: eviction keeps the cache bounded and never answers from a stale entry",
          "[C1][C3][issue9][sqlite]") {
  SECTION("the table") {
    ManualSignal signal;
    detail::CheckCache cache(16);  // two sets of eight
    REQUIRE(cache.capacity() == 16);
    for (int i = 0; i < 100; ++i) {
      cache.put("t", OrgId(1), "user-" + std::to_string(i), *signal.settled(OrgId(1)),
                access(true, static_cast<std::size_t>(i % 100)));
      CHECK(cache.size() <= 16);
    }
    CHECK(cache.size() == 16);
    // The most recent entry is there and right; evicted ones are misses, never wrong.
    auto last = cache.find("t", OrgId(1), "user-99", signal);
    REQUIRE(last);
    CHECK(last->permissions.test(99));
    int hits = 0;
    for (int i = 0; i < 100; ++i) {
      auto hit = cache.find("t", OrgId(1), "user-" + std::to_string(i), signal);
      if (!hit) continue;
      ++hits;
      CHECK(hit->permissions.test(static_cast<std::size_t>(i)));
      CHECK(hit->permissions.count() == 1);
    }
    CHECK(hits == 16);
    // Same user, other tenant or organization: different keys.
    CHECK_FALSE(cache.find("u", OrgId(1), "user-99", signal));
    CHECK_FALSE(cache.find("t", OrgId(2), "user-99", signal));
    // Any change: every entry is a miss until it is put again.
    signal.all = 1;
    CHECK_FALSE(cache.find("t", OrgId(1), "user-99", signal));
    cache.put("t", OrgId(1), "user-99", *signal.settled(OrgId(1)), access(false, 0));
    auto again = cache.find("t", OrgId(1), "user-99", signal);
    REQUIRE(again);
    CHECK_FALSE(again->member);
    CHECK(cache.size() == 16);
  }
  SECTION("a well-filled table keeps nearly every key (each key has two sets)") {
    // 3/4 full: with one set per key, 8-way sets would overflow and lose about a tenth of
    // the keys to eviction, each a cold check from then on.
    ManualSignal signal;
    detail::CheckCache cache(1024);
    REQUIRE(cache.capacity() == 1024);
    for (int i = 0; i < 768; ++i) {
      cache.put("default", OrgId(7), "member-" + std::to_string(i), *signal.settled(OrgId(7)),
                access(true, 1));
    }
    int hits = 0;
    for (int i = 0; i < 768; ++i) {
      hits += cache.find("default", OrgId(7), "member-" + std::to_string(i), signal) ? 1 : 0;
    }
    INFO(hits << " of 768 kept");
    CHECK(hits >= 760);
  }
  SECTION("a Service whose cache holds a fraction of its members") {
    Cached t(8);
    std::vector<Actor> people;
    for (int i = 0; i < 40; ++i) {
      people.push_back(Fixture::user("p" + std::to_string(i)));
      REQUIRE_OK(t.kit->add_member(t.owner, t.org,
                                   {people.back().id, people.back().email, "", "admin"}));
    }
    for (int round = 0; round < 3; ++round) {
      for (const auto& p : people) CHECK(t.check(p, t.org, "members:invite").first);
    }
    // Revoke every other one; whatever was evicted or kept, every answer is the new one.
    for (std::size_t i = 0; i < people.size(); i += 2) {
      REQUIRE_OK(t.kit->change_member_role(t.owner, t.org, people[i].id, "viewer"));
    }
    for (int round = 0; round < 3; ++round) {
      for (std::size_t i = 0; i < people.size(); ++i) {
        CHECK(t.check(people[i], t.org, "members:invite").first == (i % 2 == 1));
      }
    }
  }
}

TEST_CASE("C1, C2: eight threads check through the cache while a writer revokes",
          "[C1][C2][E3][issue9][sqlite]") {
  Cached t;
  constexpr int people_count = 16;
  std::vector<Actor> people;
  for (int i = 0; i < people_count; ++i) {
    people.push_back(Fixture::user("t" + std::to_string(i)));
    REQUIRE_OK(t.kit->add_member(t.owner, t.org,
                                 {people.back().id, people.back().email, "", "admin"}));
  }
  // The writer revokes people in order and then publishes how many it has revoked; a check
  // that began after it read a count of n must deny everyone below n.
  std::atomic<int> revoked{0};
  std::atomic<long> stale{0}, failures{0}, checks{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 8; ++r) {
    readers.emplace_back([&, r] {
      unsigned i = static_cast<unsigned>(r) * 7U;
      while (!done.load()) {
        const int seen = revoked.load();
        const auto who = static_cast<std::size_t>(i++ % people_count);
        auto may = t.kit->check(people[who], t.org, "members:invite");
        checks.fetch_add(1);
        if (!may) {
          failures.fetch_add(1);
        } else if (*may && static_cast<int>(who) < seen) {
          stale.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < people_count; ++i) {
    auto r = t.kit->change_member_role(t.owner, t.org, people[static_cast<std::size_t>(i)].id,
                                       "viewer");
    if (!r) failures.fetch_add(1);
    revoked.store(i + 1);
    // Let the readers fill their caches again (about 2.5 passes over everyone each) before
    // the next revocation empties them; bounded, in case the machine starves them.
    const long target = checks.load() + 8 * 40;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (checks.load() < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  done.store(true);
  for (auto& th : readers) th.join();
  CHECK(failures.load() == 0);
  CHECK(stale.load() == 0);
  CHECK(checks.load() > people_count);
  INFO("checks " << checks.load() << ", reads " << t.counter->reads.load());
  CHECK(t.counter->reads.load() < checks.load());  // the threads did use their caches
}
