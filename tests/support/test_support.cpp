#include "support/test_support.hpp"
#ifdef ORGKIT_WITH_POSTGRES
#include "support/postgres_support.hpp"
#endif

#include <atomic>
#include <cstdlib>
#include <regex>
#include <unistd.h>

namespace orgkit::test {

bool names_rule_id(const std::string& message) {
  static const std::regex id(R"((^|[^A-Za-z0-9_])[OPIAESUCRT][0-9]{1,2}([^A-Za-z0-9_]|$))");
  return std::regex_search(message, id);
}

TempFile::TempFile(const std::string& stem) {
  static std::atomic<int> counter{0};
  path_ = (std::filesystem::temp_directory_path() /
           (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".db"))
              .string();
  std::filesystem::remove(path_);
}

TempFile::~TempFile() {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal", "-orgkit-shm"}) {
    std::filesystem::remove(path_ + suffix, ec);
  }
}

Result<void> RecordingNotifier::deliver(const OutgoingMessage& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fail_) return fail(Error{ErrorCode::unavailable, "", "mail server unreachable"});
  messages_.push_back(message);
  return {};
}

std::vector<OutgoingMessage> RecordingNotifier::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

void RecordingNotifier::fail_deliveries(bool f) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_ = f;
}

PolicyBuilder standard_builder(const std::function<bool(RoleSpec&)>& tweak) {
  const auto& standard = PermissionPolicy::standard();
  PolicyBuilder b;
  for (const auto& name : standard.permission_names()) b.permission(name);
  for (const auto& role : standard.roles()) {
    RoleSpec spec{role.name, role.rank, {}, role.owner, role.manages_peers};
    for (std::size_t i = 0; i < standard.permission_names().size(); ++i) {
      if (role.permissions.test(i)) spec.permissions.push_back(standard.permission_names()[i]);
    }
    if (tweak(spec)) b.role(std::move(spec));
  }
  b.ownership_rule(permissions::resources_manage_own, permissions::resources_manage_all);
  return b;
}

std::string storage_kind() {
  const char* kind = std::getenv("ORGKIT_TEST_STORAGE");
  return kind != nullptr ? std::string(kind) : std::string("memory");
}

Fixture::Fixture(ServiceOptions options) {
  clock = std::make_shared<ManualClock>(from_unix_ms(1'700'000'000'000));
  if (!options.clock) options.clock = clock;
  notifier = std::make_shared<RecordingNotifier>();
  if (!options.notifier) options.notifier = notifier;
  Result<std::unique_ptr<Storage>> backend = fail(Error{});
  if (storage_kind() == "postgres") {
#ifdef ORGKIT_WITH_POSTGRES
    backend = open_postgres_store();  // a fresh schema, dropped with the store
#else
    FAIL("ORGKIT_TEST_STORAGE=postgres, but orgkit was built without ORGKIT_WITH_POSTGRES");
#endif
  } else {
    SqliteOptions so;
    if (storage_kind() == "file") {
      file = std::make_unique<TempFile>();
      so.path = file->path();
    }
    backend = open_sqlite(so);
  }
  if (!backend) FAIL("open " << storage_kind() << " storage: " << to_string(backend.error()));
  auto checked = std::make_unique<ScopeCheckingStorage>(std::move(*backend), scope_violations);
  this->storage = checked.get();
  auto created = Service::create(std::move(checked), std::move(options));
  if (!created) FAIL("Service::create: " << to_string(created.error()));
  kit = std::move(*created);
}

Fixture::~Fixture() {
  for (const auto& v : scope_violations->list()) FAIL_CHECK("write scope broken: " << v);
}

Actor Fixture::user(const std::string& id, const std::string& tenant) {
  return Actor{UserId(id), id + "@example.com", "User " + id, TenantId(tenant)};
}

Organization Fixture::org(const Actor& owner, const std::string& name) {
  NewOrganization spec;
  spec.name = name;
  auto created = kit->create_organization(owner, spec);
  if (!created) FAIL("create_organization: " << to_string(created.error()));
  return *created;
}

void Fixture::add(const Actor& by, OrgId org, const Actor& who, const std::string& role) {
  auto added = kit->add_member(by, org, {who.id, who.email, who.display_name, role});
  if (!added) FAIL("add_member: " << to_string(added.error()));
}

Team::Team(ServiceOptions options) : f(std::move(options)) {
  org = f.org(owner);
  f.add(owner, org.id, admin, "admin");
  f.add(owner, org.id, member, "member");
}

std::vector<std::string> Fixture::actions(const Actor& reader, OrgId org) {
  std::vector<std::string> out;
  AuditQuery q;
  q.limit = 1000;
  auto page = kit->list_audit_events(reader, org, q);
  if (!page) FAIL("list_audit_events: " << to_string(page.error()));
  for (const auto& e : page->items) out.push_back(e.action);
  return out;
}

}  // namespace orgkit::test
