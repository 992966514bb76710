// See operations_state.hpp.
#include "operations_state.hpp"

#include <algorithm>
#include <sstream>

#include "fuzz_support.hpp"

namespace orgkit::fuzz {

const Membership* OrgState::member(const UserId& user) const {
  for (const auto& m : members) {
    if (m.user == user) return &m;
  }
  return nullptr;
}

const RoleInfo* OrgState::custom_role(const std::string& name) const {
  for (const auto& r : custom_roles) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const OrgState* Snapshot::find(OrgId org) const {
  auto it = orgs.find(org.value());
  return it == orgs.end() ? nullptr : &it->second;
}

std::string Snapshot::text() const {
  // Everything a failed operation must leave alone. Not ApiKey::last_used_at: verifying a
  // key records its use, and that is no change of state.
  std::ostringstream out;
  for (const auto& [id, o] : orgs) {
    const auto& g = o.org;
    out << "org " << id << " tenant=" << g.tenant << " name=" << g.name << " slug=" << g.slug
        << " plan=" << g.plan << " personal=" << g.personal << " audit=" << o.newest_audit
        << " desc=" << g.description << " meta=" << g.metadata.size() << '\n';
    for (const auto& m : o.members) {
      out << "  member " << m.user << " role=" << m.role << " email=" << m.email
          << " dept=" << m.department << '\n';
    }
    for (const auto& i : o.invitations) {
      out << "  invitation " << i.id << ' ' << to_string(i.kind) << ' ' << to_string(i.state)
          << " role=" << i.role << " email=" << i.email << " expires=" << to_unix_ms(i.expires_at)
          << '\n';
    }
    for (const auto& r : o.custom_roles) {
      out << "  role " << r.name << " rank=" << r.rank << " perms=";
      for (const auto& p : r.permissions) out << p << ',';
      out << '\n';
    }
    for (const auto& k : o.keys) {
      out << "  key " << k.id << " role=" << k.role << " revoked=" << k.revoked_at.has_value()
          << '\n';
    }
  }
  for (const auto& [who, org] : active) {
    out << "active " << who << '=' << (org ? org->value() : 0) << '\n';
  }
  return out.str();
}

World::World(const PermissionPolicy& policy, bool seats_for_pending) {
  clock = fixed_clock();
  ServiceOptions options;
  options.policy = policy;
  options.clock = clock;
  // Small, so that entries are evicted and refilled as the input goes on.
  options.check_cache_capacity = 16;
  options.max_organizations_per_user = 3;
  options.max_attempts = 1;  // one thread: nothing to retry, and a retry would hide a bug
  options.plans.plans = {{"pro", true, std::nullopt}, {"team", true, 4}, {"solo", false, 2}};
  options.plans.default_plan = "pro";
  options.plans.pending_invitations_use_seats = seats_for_pending;
  kit = open_memory_service(std::move(options));
  for (int i = 0; i < 5; ++i) {
    const std::string id = "u" + std::to_string(i);
    actors.push_back(Actor{UserId(id), id + "@example.com", "User " + id});
  }
  actors.push_back(Actor::host());
  actors.push_back(Actor::tenant_admin(default_tenant(), "ta"));
  actors.push_back(Actor{UserId("u0"), "u0@other.example", "Other u0", TenantId("other")});
}

void World::issued(const std::string& token, InvitationId invitation, OrgId org) {
  for (auto& t : tokens) {
    if (t.invitation == invitation) t.replaced = true;
  }
  tokens.push_back({token, invitation, org, false});
  if (std::find(invitations.begin(), invitations.end(), invitation) == invitations.end()) {
    invitations.push_back(invitation);
  }
}

namespace {

template <class R>
auto read_ok(R result, const char* what) {
  if (!result)
    violated("the host reads everything of its tenant",
             std::string(what) + ": " + describe(result.error()));
  return std::move(*result);
}

OrgState read_org(World& w, const Actor& host, const Organization& org) {
  OrgState s;
  s.org = org;
  MemberQuery mq;
  mq.limit = 1000;
  s.members =
      read_ok(guarded("list_members", [&] { return w.kit->list_members(host, org.id, mq); }),
              "list_members")
          .items;
  InvitationQuery iq;
  iq.limit = 1000;
  s.invitations = read_ok(guarded("list_invitations",
                                  [&] { return w.kit->list_invitations(host, org.id, iq); }),
                          "list_invitations")
                      .items;
  for (auto& r : read_ok(guarded("list_roles", [&] { return w.kit->list_roles(host, org.id); }),
                         "list_roles")) {
    if (r.custom) s.custom_roles.push_back(std::move(r));
  }
  s.keys = read_ok(guarded("list_api_keys", [&] { return w.kit->list_api_keys(host, org.id); }),
                   "list_api_keys");
  AuditQuery aq;
  aq.limit = 1;
  auto newest = read_ok(
      guarded("list_audit_events", [&] { return w.kit->list_audit_events(host, org.id, aq); }),
      "list_audit_events");
  if (!newest.items.empty()) s.newest_audit = newest.items.front().id.value();
  return s;
}

}  // namespace

Snapshot take_snapshot(World& w) {
  Snapshot s;
  for (const char* tenant : {"default", "other"}) {
    const Actor host = Actor::host(TenantId(tenant));
    OrganizationQuery q;
    q.limit = 1000;
    auto page = read_ok(guarded("list_tenant_organizations",
                                [&] { return w.kit->list_tenant_organizations(host, q); }),
                        "list_tenant_organizations");
    ORGKIT_FUZZ_REQUIRE(!page.next_cursor, "a few organizations fit one page");
    for (const auto& org : page.items) {
      ORGKIT_FUZZ_REQUIRE(org.tenant == host.tenant, "a tenant lists its own organizations");
      s.orgs.emplace(org.id.value(), read_org(w, host, org));
    }
  }
  for (const auto& a : w.actors) {
    if (!a.is_member()) continue;
    auto active =
        read_ok(guarded("active_organization", [&] { return w.kit->active_organization(a); }),
                "active_organization");
    s.active[a.tenant.value() + "/" + a.id.value()] = active;
  }
  return s;
}

std::optional<PermissionSet> role_permissions(const World& w, const OrgState& org,
                                              const std::string& role) {
  if (const auto* r = w.policy().find_role(role)) return r->permissions;
  const auto* custom = org.custom_role(role);
  if (custom == nullptr) return std::nullopt;
  PermissionSet out;
  for (const auto& name : custom->permissions) {
    if (auto p = w.policy().permission(name)) out.set(p->index);
  }
  return out;
}

void check_state(const World& w, const Snapshot& s) {
  const std::string& owner = w.policy().owner_role().name;
  for (const auto& [id, o] : s.orgs) {
    // Only on failure: the whole snapshot, to see what led there.
    auto where = [&, id = id] { return "organization " + std::to_string(id) + "\n" + s.text(); };
    const auto owners = std::count_if(o.members.begin(), o.members.end(),
                                      [&](const Membership& m) { return m.role == owner; });
    ORGKIT_FUZZ_REQUIRE(owners >= 1, "every organization has an owner: " + where());
    if (o.org.personal) {
      ORGKIT_FUZZ_REQUIRE(o.members.size() == 1,
                          "a personal organization has one member: " + where());
    }
    if (o.org.plan == "team" || o.org.plan == "solo") {
      const std::size_t seats = o.org.plan == "team" ? 4 : 2;
      ORGKIT_FUZZ_REQUIRE(o.members.size() <= seats, "members fit the plan's seats: " + where());
    }
    for (const auto& m : o.members) {
      ORGKIT_FUZZ_REQUIRE(role_permissions(w, o, m.role).has_value(),
                          "every member's role exists: " + m.role + " in " + where());
    }
    for (const auto& k : o.keys) {
      if (k.revoked_at) continue;
      ORGKIT_FUZZ_REQUIRE(role_permissions(w, o, k.role).has_value(),
                          "every live key's role exists: " + k.role + " in " + where());
      ORGKIT_FUZZ_REQUIRE(k.role != owner, "no key holds the owner role: " + where());
    }
  }
}

void check_memberships(World& w, const Snapshot& s, const Actor& actor) {
  if (!actor.is_member()) return;
  std::map<std::int64_t, std::string> want;  // organization -> role
  for (const auto& [id, o] : s.orgs) {
    const Membership* m = o.org.tenant == actor.tenant ? o.member(actor.id) : nullptr;
    if (m != nullptr) want[id] = m->role;
  }
  const std::string who = actor.tenant.value() + "/" + actor.id.value() + ": ";
  auto mine = guarded("my_organizations", [&] { return w.kit->my_organizations(actor); });
  ORGKIT_FUZZ_REQUIRE(mine.has_value(),
                      "my_organizations answers: " + who + (mine ? "" : describe(mine.error())));
  std::map<std::int64_t, std::string> got;
  for (std::size_t i = 0; i < mine->size(); ++i) {
    const MyOrganization& mo = (*mine)[i];
    got[mo.organization.id.value()] = mo.role;
    if (mo.active) {
      const auto active = s.active.find(actor.tenant.value() + "/" + actor.id.value());
      ORGKIT_FUZZ_REQUIRE(
          i == 0 && active != s.active.end() && active->second == mo.organization.id,
          "the active organization is the one set, and first: " + who);
    }
  }
  ORGKIT_FUZZ_REQUIRE(got == want && got.size() == mine->size(),
                      "my_organizations lists the actor's memberships: " + who + "\n" + s.text());
  ClaimsOptions options;
  options.include_permissions = true;
  options.max_organizations = 1000;
  auto claims = guarded("claims", [&] { return w.kit->claims(actor, options); });
  ORGKIT_FUZZ_REQUIRE(
      claims.has_value() && !claims->truncated && claims->orgs.size() == want.size(),
      "claims list every membership: " + who);
  for (const auto& c : claims->orgs) {
    const auto it = want.find(c.id.value());
    ORGKIT_FUZZ_REQUIRE(
        it != want.end() && it->second == c.role && c.slug == s.find(c.id)->org.slug,
        "a claim is a membership, with its role and slug: " + who + c.role);
    const PermissionSet role = role_permissions(w, *s.find(c.id), c.role).value_or(PermissionSet());
    PermissionSet listed;
    for (const auto& name : c.permissions) {
      if (auto p = w.policy().permission(name)) listed.set(p->index);
    }
    ORGKIT_FUZZ_REQUIRE(listed == role && listed.count() == c.permissions.size(),
                        "a claim carries its role's permissions: " + who + c.role);
  }
}

void check_verified(const World& w, const Snapshot& s, const IssuedKey& key,
                    const Result<VerifiedApiKey>& verified) {
  const OrgState* o = s.find(key.org);
  const ApiKey* stored = nullptr;
  if (o != nullptr) {
    for (const auto& k : o->keys) {
      if (k.id == key.id) stored = &k;
    }
  }
  const std::string got =
      verified ? "a key with role " + verified->key.role : describe(verified.error());
  if (o == nullptr || stored == nullptr) {
    ORGKIT_FUZZ_REQUIRE(!verified && verified.error().code == ErrorCode::not_found,
                        "a key of a deleted organization is unknown: " + got);
    return;
  }
  if (stored->revoked_at) {
    ORGKIT_FUZZ_REQUIRE(!verified && verified.error().code == ErrorCode::revoked,
                        "a revoked key is refused as revoked: " + got);
    return;
  }
  ORGKIT_FUZZ_REQUIRE(verified.has_value(), "a live key verifies: " + got + "\n" + s.text());
  ORGKIT_FUZZ_REQUIRE(verified->key.id == key.id && verified->key.org == key.org &&
                          verified->key.role == stored->role && verified->tenant == o->org.tenant,
                      "a key verifies as itself: " + got);
  const PermissionSet want = role_permissions(w, *o, stored->role).value_or(PermissionSet()) &
                             ~w.policy().owner_reserved();
  PermissionSet have;
  for (const auto& name : verified->permissions) {
    auto p = w.policy().permission(name);
    ORGKIT_FUZZ_REQUIRE(p.has_value(), "a key's permissions are the policy's: " + name);
    have.set(p->index);
  }
  ORGKIT_FUZZ_REQUIRE(have == want && have.count() == verified->permissions.size(),
                      "a key carries its role's permissions, never the owner's own: " + got);
}

namespace {

// What the snapshot says `actor` may do in `org`: a member per their role, the host or a
// tenant administrator everything in their own tenant, anyone else nothing.
PermissionSet expected(const World& w, const Snapshot& s, const Actor& actor, OrgId org) {
  const OrgState* o = s.find(org);
  if (o == nullptr || o->org.tenant != actor.tenant) return {};
  if (!actor.is_member()) return w.policy().all_permissions();
  const Membership* m = o->member(actor.id);
  if (m == nullptr) return {};
  return role_permissions(w, *o, m->role).value_or(PermissionSet());
}

}  // namespace

void check_answers(World& w, const Snapshot& s, OrgId org, std::size_t step) {
  const auto& names = w.policy().permission_names();
  for (const Actor& actor : w.actors) {
    const PermissionSet want = expected(w, s, actor, org);
    const std::string who = actor.tenant.value() + "/" + actor.id.value() + " in organization " +
                            std::to_string(org.value()) + ": ";
    // A member's answers come from the cache after one read; the host's and a tenant
    // administrator's are a read each, so they are asked about one permission per step.
    const std::size_t first = actor.is_member() ? 0 : step % names.size();
    const std::size_t last = actor.is_member() ? names.size() : first + 1;
    for (std::size_t i = first; i < last; ++i) {
      auto may = guarded("check", [&] { return w.kit->check(actor, org, names[i]); });
      ORGKIT_FUZZ_REQUIRE(may.has_value(), "check() never fails on a declared permission: " + who +
                                               (may ? "" : describe(may.error())));
      ORGKIT_FUZZ_REQUIRE(*may == want.test(i), "check() answers what the role holds: " + who +
                                                    names[i] + (*may ? " allowed" : " denied") +
                                                    "\n" + s.text());
    }
    const std::string& name = names[step % names.size()];
    auto fresh = guarded("check(fully_consistent)", [&] {
      return w.kit->check(actor, org, name, Consistency::fully_consistent());
    });
    ORGKIT_FUZZ_REQUIRE(fresh && *fresh == want.test(step % names.size()),
                        "a fully consistent check agrees: " + who + name);
    auto why = guarded("authorize", [&] { return w.kit->authorize(actor, org, name); });
    ORGKIT_FUZZ_REQUIRE(why.has_value() == *fresh,
                        "check() is true exactly when authorize() "
                        "succeeds: " +
                            who + name);
    if (!why) {
      require_typed(why.error(), "authorize");
      const bool member_somewhere = s.find(org) && s.find(org)->org.tenant == actor.tenant &&
                                    (!actor.is_member() || s.find(org)->member(actor.id));
      ORGKIT_FUZZ_REQUIRE(
          why.error().code ==
              (member_somewhere ? ErrorCode::permission_denied : ErrorCode::not_found),
          "authorize: not_found outside, permission_denied inside: " + who + describe(why.error()));
    }
    // P7, with the actor as the resource's owner and with someone else as its owner.
    const auto& policy = w.policy();
    for (std::size_t i = 0; i < names.size(); ++i) {
      const OwnershipRule* rule =
          policy.ownership_rule_for(Permission{static_cast<std::uint16_t>(i)});
      if (rule == nullptr || rule->own.index != i) continue;
      for (const UserId& owner : {actor.id, UserId("someone-else")}) {
        auto may = guarded("check(resource owner)",
                           [&] { return w.kit->check(actor, org, names[i], owner); });
        const bool want_p7 =
            want.test(rule->all.index) || (want.test(rule->own.index) && owner == actor.id);
        ORGKIT_FUZZ_REQUIRE(may && *may == want_p7, "own or all (P7): " + who + names[i]);
      }
    }
  }
}

}  // namespace orgkit::fuzz
