// Tenant administration (T1, U3): listing a tenant's organizations, tenant keys (created and
// revoked only by the host, shown once, stored hashed, verified in constant time with
// distinct errors, never crossing tenants), a verified key acting as a tenant administrator
// in every operation and audited as one, and what check() answers for administrators and the
// host. Each case also names the broken implementation it is there to catch.
#include "support/test_support.hpp"

#include <set>

using namespace orgkit;
using test::Fixture;

namespace {

const TenantId acme_corp("acme-corp");
const TenantId globex_corp("globex-corp");

NewOrganization owned_by(const std::string& name, const std::string& owner) {
  NewOrganization spec;
  spec.name = name;
  spec.owner = NewOwner{UserId(owner), owner + "@example.com", "User " + owner};
  return spec;
}

Organization make_org(Fixture& f, const TenantId& tenant, const std::string& name) {
  auto org = f.kit->create_organization(Actor::host(tenant), owned_by(name, "alice"));
  REQUIRE_OK(org);
  return *org;
}

IssuedTenantKey issue(Fixture& f, const TenantId& tenant, const std::string& name = "ops desk") {
  auto key = f.kit->create_tenant_key(Actor::host(tenant), {name, std::nullopt});
  REQUIRE_OK(key);
  return *key;
}

std::vector<std::string> names_of(const std::vector<Organization>& orgs) {
  std::vector<std::string> out;
  for (const auto& o : orgs) out.push_back(o.name);
  return out;
}

// Every organization a query finds, following next_cursor (bounded: at most 100 pages).
std::vector<Organization> walk(Fixture& f, const Actor& actor, OrganizationQuery q) {
  std::vector<Organization> out;
  for (int page = 0; page < 100; ++page) {
    auto got = f.kit->list_tenant_organizations(actor, q);
    REQUIRE_OK(got);
    out.insert(out.end(), got->items.begin(), got->items.end());
    if (!got->next_cursor) return out;
    q.cursor = *got->next_cursor;
  }
  FAIL("more than 100 pages");
  return out;
}

}  // namespace

TEST_CASE("a tenant administrator lists its tenant's organizations, a page at a time",
          "[T1][U3]") {
  Fixture f;
  make_org(f, acme_corp, "Acme Rockets");
  make_org(f, acme_corp, "Road Runner Inc");
  make_org(f, acme_corp, "100% Acme");
  make_org(f, acme_corp, "Coyote_Works");
  make_org(f, globex_corp, "Acme Clone");  // another tenant: never listed
  const Actor ops = Actor::tenant_admin(acme_corp, "ops-1");

  OrganizationQuery q;
  q.limit = 3;
  auto first = f.kit->list_tenant_organizations(ops, q);
  REQUIRE_OK(first);
  CHECK(names_of(first->items) ==
        std::vector<std::string>{"Acme Rockets", "Road Runner Inc", "100% Acme"});
  REQUIRE(first->next_cursor.has_value());
  // Each organization exactly once, even with one created between pages.
  make_org(f, acme_corp, "Late Acme");
  q.cursor = *first->next_cursor;
  auto second = f.kit->list_tenant_organizations(ops, q);
  REQUIRE_OK(second);
  CHECK(names_of(second->items) == std::vector<std::string>{"Coyote_Works", "Late Acme"});
  CHECK_FALSE(second->next_cursor.has_value());

  SECTION("filtered by name or slug, ignoring case; % and _ are plain text") {
    OrganizationQuery by;
    by.text = "ACME";
    CHECK(names_of(walk(f, ops, by)) ==
          std::vector<std::string>{"Acme Rockets", "100% Acme", "Late Acme"});
    by.text = "%";
    CHECK(names_of(walk(f, ops, by)) == std::vector<std::string>{"100% Acme"});
    by.text = "e_w";  // "Coyote_Works", not "e w" or "eaw"
    CHECK(names_of(walk(f, ops, by)) == std::vector<std::string>{"Coyote_Works"});
    by.text = "road-runner";  // the slug
    CHECK(names_of(walk(f, ops, by)) == std::vector<std::string>{"Road Runner Inc"});
    by.text = "acme";
    by.match = NameMatch::prefix;
    CHECK(names_of(walk(f, ops, by)) == std::vector<std::string>{"Acme Rockets"});
    by.text = "100";  // the slug "100-acme" and the name both start with it
    CHECK(names_of(walk(f, ops, by)) == std::vector<std::string>{"100% Acme"});
  }
  SECTION("the host lists them too; another tenant's administrator sees only its own") {
    CHECK(walk(f, Actor::host(acme_corp), {}).size() == 5);
    auto other = walk(f, Actor::tenant_admin(globex_corp, "ops-1"), {});
    CHECK(names_of(other) == std::vector<std::string>{"Acme Clone"});
  }
  SECTION("a member is refused, and bad input names its field") {
    auto member = f.kit->list_tenant_organizations(Fixture::user("alice", "acme-corp"), {});
    REQUIRE_ERROR(member, ErrorCode::permission_denied);
    CHECK(member.error().field == "actor");
    auto expect_invalid = [&](OrganizationQuery bad, const std::string& field) {
      auto r = f.kit->list_tenant_organizations(ops, bad);
      REQUIRE_ERROR(r, ErrorCode::invalid_argument);
      CHECK(r.error().field == field);
    };
    OrganizationQuery bad;
    bad.limit = 0;
    expect_invalid(bad, "limit");
    bad.limit = 1001;
    expect_invalid(bad, "limit");
    bad = {};
    bad.cursor = "a:12";  // an audit cursor is not an organization cursor
    expect_invalid(bad, "cursor");
    bad.cursor = "o:x";
    expect_invalid(bad, "cursor");
    bad = {};
    bad.text = std::string(101, 'a');
    expect_invalid(bad, "text");
    bad.text = "two\nlines";
    expect_invalid(bad, "text");
  }
}

TEST_CASE("a filtered listing examines a bounded number of organizations per page",
          "[T1][R4]") {
  Fixture f;
  const TenantId big("big");
  {
    // 10,050 organizations that do not match, written straight to storage (fast), then one
    // that does: it lies beyond what one page may examine.
    auto tx = f.storage->begin_write(WriteScope{big, {}});
    REQUIRE_OK(tx);
    Organization o;
    o.tenant = big;
    o.created_by = UserId("seed");
    o.created_at = f.clock->now();
    for (int i = 0; i < 10050; ++i) {
      o.name = "Filler " + std::to_string(i);
      o.slug = "filler-" + std::to_string(i);
      REQUIRE((*tx)->insert_organization(o).has_value());
    }
    REQUIRE_OK((*tx)->commit());
  }
  make_org(f, big, "Needle");
  OrganizationQuery q;
  q.text = "needle";
  auto first = f.kit->list_tenant_organizations(Actor::host(big), q);
  REQUIRE_OK(first);
  CHECK(first->items.empty());  // the bound stopped it...
  REQUIRE(first->next_cursor.has_value());  // ...and it says where to go on
  q.cursor = *first->next_cursor;
  auto second = f.kit->list_tenant_organizations(Actor::host(big), q);
  REQUIRE_OK(second);
  CHECK(names_of(second->items) == std::vector<std::string>{"Needle"});
  CHECK_FALSE(second->next_cursor.has_value());
}

TEST_CASE("the host issues tenant keys: shown once, stored as a hash, audited", "[T1][U3][A1]") {
  Fixture f;
  auto issued = issue(f, acme_corp, "support desk");
  CHECK(issued.secret.rfind("otk_" + issued.key.prefix + "_", 0) == 0);
  CHECK(issued.secret.size() == 4 + 16 + 1 + 43);
  CHECK(issued.key.tenant == acme_corp);
  CHECK(issued.key.created_by_kind == PrincipalKind::host);

  // Stored: the prefix and a 32-byte hash, never the secret.
  {
    auto tx = f.storage->begin_read();
    REQUIRE_OK(tx);
    auto stored = (*tx)->find_tenant_key_by_prefix(issued.key.prefix);
    REQUIRE_OK(stored);
    REQUIRE(stored->has_value());
    CHECK((*stored)->secret_hash.size() == 32);
    CHECK((*stored)->secret_hash.find(issued.secret.substr(21, 16)) == std::string::npos);
  }
  auto listed = f.kit->list_tenant_keys(Actor::tenant_admin(acme_corp, "ops-1"));
  REQUIRE_OK(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().name == "support desk");
  CHECK(listed->front().prefix == issued.key.prefix);

  auto trail = f.kit->list_tenant_audit_events(Actor::host(acme_corp));
  REQUIRE_OK(trail);
  REQUIRE(trail->items.size() == 1);
  const AuditEvent& created = trail->items[0];
  CHECK(created.action == "tenant_key.created");
  CHECK(created.target == "otk_" + issued.key.prefix);
  CHECK(created.actor_kind == PrincipalKind::host);
  for (const auto& change : created.changes) {
    CHECK(change.after.value_or("").find(issued.secret.substr(21)) == std::string::npos);
  }
  // Another tenant's trail and key list stay empty.
  auto other = f.kit->list_tenant_keys(Actor::host(globex_corp));
  REQUIRE_OK(other);
  CHECK(other->empty());
  auto other_trail = f.kit->list_tenant_audit_events(Actor::host(globex_corp));
  REQUIRE_OK(other_trail);
  CHECK(other_trail->items.empty());
}

TEST_CASE("only the host creates and revokes tenant keys, and a refusal writes nothing",
          "[T1][U3]") {
  Fixture f;
  auto issued = issue(f, acme_corp);
  auto admin = f.kit->verify_tenant_key(issued.secret, acme_corp);
  REQUIRE_OK(admin);
  // A tenant administrator cannot mint itself a successor, nor can a member.
  for (const Actor& who : {admin->actor, Actor::tenant_admin(acme_corp, "ops-1"),
                           Fixture::user("alice", "acme-corp")}) {
    auto more = f.kit->create_tenant_key(who, {"more", std::nullopt});
    REQUIRE_ERROR(more, ErrorCode::permission_denied);
    CHECK(more.error().field == "actor");
    auto revoke = f.kit->revoke_tenant_key(who, issued.key.id);
    REQUIRE_ERROR(revoke, ErrorCode::permission_denied);
    CHECK(revoke.error().field == "actor");
  }
  REQUIRE_ERROR(f.kit->list_tenant_keys(Fixture::user("alice", "acme-corp")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(f.kit->list_tenant_audit_events(Fixture::user("alice", "acme-corp")),
                ErrorCode::permission_denied);
  auto keys = f.kit->list_tenant_keys(Actor::host(acme_corp));
  REQUIRE_OK(keys);
  CHECK(keys->size() == 1);
  auto trail = f.kit->list_tenant_audit_events(Actor::host(acme_corp));
  REQUIRE_OK(trail);
  CHECK(trail->items.size() == 1);  // only the creation
  REQUIRE_OK(f.kit->verify_tenant_key(issued.secret, acme_corp));  // still good

  SECTION("bad input names its field") {
    auto unnamed = f.kit->create_tenant_key(Actor::host(acme_corp), {"  ", std::nullopt});
    REQUIRE_ERROR(unnamed, ErrorCode::invalid_argument);
    CHECK(unnamed.error().field == "name");
    auto brief = f.kit->create_tenant_key(Actor::host(acme_corp),
                                          {"brief", std::chrono::seconds(10)});
    REQUIRE_ERROR(brief, ErrorCode::invalid_argument);
    CHECK(brief.error().field == "expires_in");
  }
}

TEST_CASE("verify_tenant_key: distinct errors, and keys never cross tenants", "[T1][U3][R1]") {
  Fixture f;
  auto issued = issue(f, acme_corp);
  auto ok = f.kit->verify_tenant_key(issued.secret, acme_corp);
  REQUIRE_OK(ok);
  CHECK(ok->key.id == issued.key.id);
  CHECK(ok->actor.kind == PrincipalKind::tenant_admin);
  CHECK(ok->actor.tenant == acme_corp);
  CHECK(ok->actor.id == UserId("tenant-key-" + std::to_string(issued.key.id.value())));

  auto other_tenant = f.kit->verify_tenant_key(issued.secret, globex_corp);
  REQUIRE_ERROR(other_tenant, ErrorCode::not_found);
  std::string wrong = issued.secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  auto wrong_secret = f.kit->verify_tenant_key(wrong, acme_corp);
  REQUIRE_ERROR(wrong_secret, ErrorCode::not_found);
  // Another tenant's key answers exactly as an unknown one: nothing to probe with.
  CHECK(other_tenant.error().message == wrong_secret.error().message);
  REQUIRE_ERROR(f.kit->verify_tenant_key("otk_nonsense", acme_corp), ErrorCode::invalid_argument);
  // An organization's API key is no tenant key, even with the same shape.
  auto team = make_org(f, acme_corp, "Team");
  auto api = f.kit->create_api_key(Actor::host(acme_corp), team.id, {"ci", "member", {}});
  REQUIRE_OK(api);
  REQUIRE_ERROR(f.kit->verify_tenant_key(api->secret, acme_corp), ErrorCode::invalid_argument);
  std::string as_tenant = "otk_" + api->secret.substr(4);
  REQUIRE_ERROR(f.kit->verify_tenant_key(as_tenant, acme_corp), ErrorCode::not_found);

  SECTION("revoked") {
    auto revoked = f.kit->revoke_tenant_key(Actor::host(acme_corp), issued.key.id);
    REQUIRE_OK(revoked);
    CHECK(revoked->revoked_at.has_value());
    REQUIRE_ERROR(f.kit->verify_tenant_key(issued.secret, acme_corp), ErrorCode::revoked);
    REQUIRE_ERROR(f.kit->revoke_tenant_key(Actor::host(acme_corp), issued.key.id),
                  ErrorCode::revoked);
    auto trail = f.kit->list_tenant_audit_events(Actor::host(acme_corp));
    REQUIRE_OK(trail);
    REQUIRE(trail->items.size() == 2);
    CHECK(trail->items[0].action == "tenant_key.revoked");
    // The host of another tenant cannot revoke it: not_found, as for an unknown id.
    auto foreign = f.kit->revoke_tenant_key(Actor::host(globex_corp), issued.key.id);
    REQUIRE_ERROR(foreign, ErrorCode::not_found);
    CHECK(foreign.error().field == "key_id");
  }
  SECTION("expired") {
    auto brief = f.kit->create_tenant_key(Actor::host(acme_corp),
                                          {"brief", std::chrono::hours(1)});
    REQUIRE_OK(brief);
    REQUIRE_OK(f.kit->verify_tenant_key(brief->secret, acme_corp));
    f.clock->advance(std::chrono::hours(1));
    REQUIRE_ERROR(f.kit->verify_tenant_key(brief->secret, acme_corp), ErrorCode::expired);
    REQUIRE_OK(f.kit->verify_tenant_key(issued.secret, acme_corp));  // the other is unaffected
  }
}

TEST_CASE("a verified tenant key administers its tenant and is audited as the key",
          "[T1][U3][A1][R1]") {
  Fixture f;
  auto issued = issue(f, acme_corp);
  auto admin = f.kit->verify_tenant_key(issued.secret, acme_corp);
  REQUIRE_OK(admin);
  const Actor& ops = admin->actor;
  auto org = f.kit->create_organization(ops, owned_by("Wile E", "alice"));
  REQUIRE_OK(org);
  REQUIRE_OK(f.kit->add_member(ops, org->id, {UserId("bob"), "bob@example.com", "Bob", "admin"}));
  OrganizationUpdate rename;
  rename.name = "Wile E. Coyote";
  REQUIRE_OK(f.kit->update_organization(ops, org->id, rename));
  InviteRequest inv;
  inv.email = "carol@example.com";
  inv.role = "member";
  auto invited = f.kit->invite(ops, org->id, inv);
  REQUIRE_OK(invited);
  REQUIRE_OK(f.kit->revoke_invitation(ops, org->id, invited->invitation.id));
  REQUIRE_OK(f.kit->remove_member(ops, org->id, UserId("bob")));

  auto trail = f.kit->list_audit_events(ops, org->id);
  REQUIRE_OK(trail);
  REQUIRE(trail->items.size() == 6);
  for (const auto& e : trail->items) {
    INFO(e.action);
    CHECK(e.actor_kind == PrincipalKind::tenant_admin);
    CHECK(e.actor == ops.id);
  }
  // Another tenant's organization is not there for it: the answer an unused id gets.
  auto foreign = make_org(f, globex_corp, "Globex");
  auto hidden = f.kit->get_organization(ops, foreign.id);
  auto unused = f.kit->get_organization(ops, OrgId(foreign.id.value() + 1000));
  REQUIRE_ERROR(hidden, ErrorCode::not_found);
  REQUIRE_ERROR(unused, ErrorCode::not_found);
  CHECK(hidden.error().field == unused.error().field);
  CHECK(hidden.error().message.find(std::to_string(foreign.id.value())) != std::string::npos);
  REQUIRE_ERROR(f.kit->delete_organization(ops, foreign.id), ErrorCode::not_found);
  REQUIRE_OK(f.kit->get_organization(Actor::host(globex_corp), foreign.id));  // untouched

  // The delete cascade, by the key: members and invitations go, the trail stays.
  REQUIRE_OK(f.kit->delete_organization(ops, org->id));
  REQUIRE_ERROR(f.kit->list_members(ops, org->id), ErrorCode::not_found);
  auto tx = f.storage->begin_read();
  REQUIRE_OK(tx);
  auto kept = (*tx)->list_audit_events(acme_corp, org->id, {}, 100);
  REQUIRE_OK(kept);
  REQUIRE(kept->size() == 7);
  CHECK(kept->front().action == "organization.deleted");
  CHECK(kept->front().actor == ops.id);
}

TEST_CASE("check and authorize answer tenant administrators and the host as the operations do",
          "[U3][T1][P2]") {
  test::Team t;  // in the default tenant; its member is "member"
  const Actor ops = Actor::tenant_admin(t.owner.tenant, "member");  // the member's id, too
  const Actor host = Actor::host(t.owner.tenant);
  // A member with the same id as the administrator, checked first: its cached "no" must not
  // leak into the administrator's answer, nor the other way round.
  auto as_member = t.f.kit->check(t.member, t.org.id, "members:invite");
  REQUIRE_OK(as_member);
  CHECK_FALSE(*as_member);
  for (const Actor& a : {ops, host}) {
    INFO(to_string(a.kind));
    for (const auto& p : t.f.kit->policy().permission_names()) {
      INFO(p);
      auto yes = t.f.kit->check(a, t.org.id, p);
      REQUIRE_OK(yes);
      CHECK(*yes);
      REQUIRE_OK(t.f.kit->authorize(a, t.org.id, p));
    }
    auto own = t.f.kit->check(a, t.org.id, "resources:manage_own", UserId("someone-else"));
    REQUIRE_OK(own);
    CHECK(*own);
    REQUIRE_ERROR(t.f.kit->check(a, t.org.id, "no:such"), ErrorCode::invalid_argument);
  }
  as_member = t.f.kit->check(t.member, t.org.id, "members:invite");
  REQUIRE_OK(as_member);
  CHECK_FALSE(*as_member);

  SECTION("false in another tenant's, an unknown and a deleted organization") {
    auto elsewhere = t.f.kit->create_organization(Actor::host(acme_corp), owned_by("Else", "x"));
    REQUIRE_OK(elsewhere);
    for (OrgId org : {elsewhere->id, OrgId(987654), OrgId()}) {
      auto no = t.f.kit->check(ops, org, "members:read");
      REQUIRE_OK(no);
      CHECK_FALSE(*no);
      REQUIRE_ERROR(t.f.kit->authorize(host, org, "members:read"), ErrorCode::not_found);
    }
    REQUIRE_OK(t.f.kit->delete_organization(host, t.org.id));
    auto gone = t.f.kit->check(ops, t.org.id, "members:read");
    REQUIRE_OK(gone);
    CHECK_FALSE(*gone);
  }
}
