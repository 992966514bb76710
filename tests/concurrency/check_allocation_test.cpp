// P2: Service::check is on the path of every request a host serves, so in the steady state it
// does one indexed read and no heap allocation (service.hpp, storage.hpp: member_role).
//
// This executable replaces the global operator new and delete to count allocations while a
// flag is set. It is its own executable so the replacement affects no other test. SQLite
// allocates through sqlite3_malloc (malloc), not operator new, so it is not counted: the
// promise is about orgkit's own code and SQLiteCpp's wrappers (statement cache, columns,
// exceptions, the connection lease, Result values).
#include "support/test_support.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void* allocate(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}

void* allocate_aligned(std::size_t size, std::align_val_t align) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  const auto a = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
  throw std::bad_alloc();
}

// Counts allocations made by `f` (on this thread or any other) while it runs.
template <class F>
long allocations_during(F&& f) {
  allocations.store(0);
  counting.store(true);
  f();
  counting.store(false);
  return allocations.load();
}

}  // namespace

// Every replaceable allocation function, so that no path escapes the count.
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) {
  return allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return allocate_aligned(size, align);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  try {
    return allocate_aligned(size, align);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  try {
    return allocate_aligned(size, align);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

using orgkit::Actor;
using orgkit::OrgId;
using orgkit::Permission;
using orgkit::Service;
using orgkit::UserId;

// Counts the check's reads of the store, to tell cache hits from reads.
class counting_storage final : public orgkit::StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  orgkit::Result<bool> member_access(const orgkit::TenantId& tenant, OrgId org,
                                     const UserId& user, orgkit::MemberAccess& out) override {
    ++reads;
    return StorageWrapper::member_access(tenant, org, user, out);
  }
  long reads = 0;
};

struct check_setup {
  orgkit::test::TempFile file{"orgkit-check-alloc"};
  std::unique_ptr<Service> kit;
  counting_storage* counter = nullptr;
  OrgId org;
  // Ids longer than the small-string buffer, so a copy of one would have to allocate.
  Actor owner = orgkit::test::Fixture::user("owner-with-a-rather-long-user-id");
  Actor admin = orgkit::test::Fixture::user("admin-with-a-rather-long-user-id");
  Actor member = orgkit::test::Fixture::user("member-with-a-rather-long-user-id");
  Actor viewer = orgkit::test::Fixture::user("viewer-with-a-rather-long-user-id");
  Actor stranger = orgkit::test::Fixture::user("stranger-with-a-rather-long-user-id");

  explicit check_setup(std::size_t cache_capacity) {
    auto store = orgkit::open_sqlite(orgkit::SqliteOptions{file.path()});
    REQUIRE_OK(store);
    auto wrapped = std::make_unique<counting_storage>(std::move(*store));
    counter = wrapped.get();
    orgkit::ServiceOptions options;
    options.check_cache_capacity = cache_capacity;
    auto opened = Service::create(std::move(wrapped), std::move(options));
    REQUIRE_OK(opened);
    kit = std::move(*opened);
    orgkit::NewOrganization spec;
    spec.name = "Allocation Check";
    auto created = kit->create_organization(owner, spec);
    REQUIRE_OK(created);
    org = created->id;
    for (const auto& [who, role] : {std::pair{&admin, "admin"}, std::pair{&member, "member"},
                                    std::pair{&viewer, "viewer"}}) {
      REQUIRE_OK(kit->add_member(owner, org, {who->id, who->email, who->display_name, role}));
    }
  }

  Permission permission(std::string_view name) const {
    auto p = kit->policy().permission(name);
    REQUIRE_OK(p);
    return *p;
  }
};

}  // namespace

TEST_CASE("P2, C1: Service::check does not allocate in the steady state", "[P2][P7][C1][check]") {
  // With the cache (C1) the steady state is all hits; without it, every check is a read.
  const bool cached = GENERATE(true, false);
  INFO((cached ? "with" : "without") << " the check cache");
  check_setup s(cached ? 1024 : 0);
  const Permission invite = s.permission("members:invite");
  const Permission read = s.permission("resources:read");
  const Permission manage_own = s.permission("resources:manage_own");
  const Permission manage_all = s.permission("resources:manage_all");
  const UserId& member_id = s.member.id;
  const UserId& viewer_id = s.viewer.id;
  const Service& kit = *s.kit;
  const OrgId org = s.org;

  // One of each kind of check, with the answer the standard policy gives. Counting wrong
  // answers (instead of REQUIRE inside the loop) keeps Catch's own allocations out.
  int wrong = 0, failed = 0;
  auto expect = [&](const orgkit::Result<bool>& r, bool expected) {
    if (!r) {
      ++failed;
    } else if (*r != expected) {
      ++wrong;
    }
  };
  auto one_of_each = [&] {
    expect(kit.check(s.admin, org, invite), true);                  // allowed
    expect(kit.check(s.member, org, invite), false);                // denied
    expect(kit.check(s.viewer, org, read), true);                   // allowed, lowest role
    expect(kit.check(s.stranger, org, read), false);                // not a member
    expect(kit.check(s.member, org, manage_own, member_id), true);  // P7: own resource
    expect(kit.check(s.member, org, manage_own, viewer_id), false);  // P7: someone else's
    expect(kit.check(s.admin, org, manage_own, member_id), true);   // P7: "all" covers it
    expect(kit.check(s.viewer, org, manage_all, viewer_id), false);  // P7: holds neither
    expect(kit.check(s.member, org, "resources:create"), true);     // by name
  };

  // Warm-up: the first calls open a pooled connection, prepare the statement and size the
  // per-thread role buffer; that is the one-time cost the promise excludes.
  for (int i = 0; i < 3; ++i) one_of_each();
  REQUIRE(failed == 0);
  REQUIRE(wrong == 0);

  constexpr int iterations = 112;  // x 9 checks: 1008 calls
  const long reads_before = s.counter->reads;
  const long counted = allocations_during([&] {
    for (int i = 0; i < iterations; ++i) one_of_each();
  });
  const long reads = s.counter->reads - reads_before;
  // Hits read nothing; without the cache each of the 1008 checks reads once.
  CHECK(reads == (cached ? 0 : iterations * 9));
  CHECK(failed == 0);
  CHECK(wrong == 0);
  INFO("heap allocations in " << iterations * 9 << " checks");
  REQUIRE(counted == 0);
}

TEST_CASE("The allocation counter of this test sees allocations", "[check]") {
  // Guards the test above against a replacement that silently counts nothing.
  // Through a volatile pointer, so the compiler may not elide the new/delete pair.
  static std::string* volatile sink = nullptr;
  const long counted = allocations_during([] {
    sink = new std::string(100, 'x');
    delete sink;
  });
  REQUIRE(counted >= 1);
}
