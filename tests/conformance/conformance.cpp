// The backend registry and the helpers the conformance test cases share.
#include "conformance/conformance.hpp"

#include <mutex>
#include <utility>

namespace orgkit::conformance {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::pair<std::string, BackendFactory>> backends;
  std::string selected;
};

// A function-local static, so registering from another translation unit's static
// initializer (a backend's own registrar) cannot run before the registry exists.
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_backend(std::string name, BackendFactory factory) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto& entry : r.backends) {
    if (entry.first == name) {
      entry.second = std::move(factory);  // the last registration of a name wins
      return;
    }
  }
  r.backends.emplace_back(std::move(name), std::move(factory));
}

std::vector<std::string> backend_names() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& entry : r.backends) names.push_back(entry.first);
  return names;
}

bool select_backend(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto& entry : r.backends) {
    if (entry.first == name) {
      r.selected = name;
      return true;
    }
  }
  return false;
}

const std::string& selected_backend() {
  return registry().selected;
}

std::unique_ptr<Storage> make_backend() {
  auto& r = registry();
  BackendFactory factory;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    for (const auto& entry : r.backends) {
      if (entry.first == r.selected) factory = entry.second;
    }
  }
  if (!factory) FAIL("no conformance backend selected (--backend NAME)");
  auto storage = factory();
  if (!storage) FAIL("backend " << r.selected << " failed to open: " << to_string(storage.error()));
  if (!*storage) FAIL("backend " << r.selected << " returned no storage");
  return std::move(*storage);
}

Organization org_spec(const std::string& slug, const TenantId& tenant) {
  Organization o;
  o.tenant = tenant;
  o.name = "Org " + slug;
  o.slug = slug;
  o.description = "About " + slug;
  o.legal_name = slug + " Ltd";
  o.alerting_email = "alerts@" + slug + ".example";
  o.invoicing_email = "billing@" + slug + ".example";
  o.plan = "pro";
  o.metadata = {{"region", "eu"}, {"tier", "2"}};
  o.created_by = UserId("alice");
  o.created_at = at_ms(t0);
  return o;
}

Membership member_spec(OrgId org, const std::string& user, const std::string& role) {
  return {org, UserId(user), user + "@example.com", "User " + user, role, at_ms(t0 + 1000), {}};
}

Invitation invitation_spec(OrgId org, const std::string& email, const std::string& role,
                           std::int64_t expires_ms) {
  Invitation inv;
  inv.org = org;
  inv.kind = InvitationKind::email;
  inv.email = email;
  inv.role = role;
  inv.department = "Sales";
  inv.message = "Welcome";
  inv.invited_by = UserId("alice");
  inv.created_at = at_ms(t0);
  inv.expires_at = at_ms(expires_ms);
  return inv;
}

Invitation link_spec(OrgId org, const std::string& role, std::int64_t expires_ms) {
  Invitation inv = invitation_spec(org, "", role, expires_ms);
  inv.kind = InvitationKind::link;
  return inv;
}

std::string email_key(const std::string& email) {
  const auto first = email.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  std::string key = email.substr(first, email.find_last_not_of(' ') - first + 1);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

ApiKey key_spec(OrgId org, const std::string& prefix, const std::string& role) {
  ApiKey k;
  k.org = org;
  k.name = "key " + prefix;
  k.role = role;
  k.prefix = prefix;
  k.created_by = UserId("alice");
  k.created_at = at_ms(t0);
  return k;
}

CustomRole role_spec(const std::string& name, std::vector<std::string> permissions) {
  return {name, 30, std::move(permissions), at_ms(t0)};
}

AuditEvent event_spec(const TenantId& tenant, OrgId org, const std::string& action) {
  AuditEvent e;
  e.tenant = tenant;
  e.org = org;
  e.actor = UserId("alice");
  e.actor_kind = PrincipalKind::member;
  e.action = action;
  e.target = "bob";
  e.changes = {{"role", std::string("member"), std::string("admin")}};
  e.at = at_ms(t0 + 5000);
  return e;
}

std::unique_ptr<StorageTransaction> begin_write(Storage& s, const TenantId& tenant,
                                                std::vector<OrgId> orgs) {
  return REQUIRE_VALUE(s.begin_write(WriteScope{tenant, std::move(orgs)}));
}

std::unique_ptr<StorageTransaction> begin_read(Storage& s) {
  return REQUIRE_VALUE(s.begin_read());
}

CommitToken commit(std::unique_ptr<StorageTransaction>& tx) {
  auto token = REQUIRE_VALUE(tx->commit());
  tx.reset();  // ends it now: a single-connection store serves the next transaction
  return token;
}

bool message_has_no_sql(const Error& e) {
  for (const char* word : {"INSERT", "SELECT", "UPDATE ", "DELETE FROM", "WHERE"}) {
    if (e.message.find(word) != std::string::npos) return false;
  }
  return true;
}

Seeded seeded() {
  Seeded s;
  s.storage = make_backend();
  auto tx = begin_write(*s.storage, tenant_a());
  s.acme = REQUIRE_VALUE(tx->insert_organization(org_spec("acme")));
  s.globex = REQUIRE_VALUE(tx->insert_organization(org_spec("globex")));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.acme, "alice", "owner")));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.acme, "bob", "admin")));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.acme, "carol", "member")));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.globex, "alice", "member")));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.globex, "dave", "member")));
  commit(tx);
  tx = begin_write(*s.storage, tenant_b());
  s.initech = REQUIRE_VALUE(tx->insert_organization(org_spec("acme", tenant_b())));
  REQUIRE_OK(tx->insert_membership(tenant_b(), member_spec(s.initech, "alice", "owner")));
  commit(tx);
  return s;
}

}  // namespace orgkit::conformance
