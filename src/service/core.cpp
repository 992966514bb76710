// The steps every use case shares: the principal's access, roles, plans and seats, audit.
#include <atomic>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "rules/rules.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {
std::uint64_t next_service_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

Core::Core(std::unique_ptr<Storage> storage_in, ServiceOptions options)
    : storage(std::move(storage_in)),
      policy(std::move(options.policy)),
      clock(options.clock ? std::move(options.clock) : std::make_shared<SystemClock>()),
      notifier(std::move(options.notifier)),
      plans(std::move(options.plans)),
      invitations(std::move(options.invitations)),
      on_sink_failure(std::move(options.on_sink_failure)),
      max_attempts(options.max_attempts),
      max_organizations_per_user(options.max_organizations_per_user),
      change_signal(storage->change_signal()),
      check_cache_capacity(options.check_cache_capacity),
      id(next_service_id()) {
  // Tenant administrators and the host act above every role of the policy, with all of its
  // permissions; the invariants (an owner remains, personal organizations stay personal)
  // still bind them.
  for (RoleDefinition* role : {&tenant_admin_role, &host_role}) {
    role->rank = std::numeric_limits<int>::max();
    role->permissions = policy.all_permissions();
    role->owner = true;  // may grant and manage the owner role
    role->manages_peers = true;
  }
  tenant_admin_role.name = "tenant administrator";
  host_role.name = "host";
  std::vector<std::string> role_names;
  for (const auto& role : policy.roles()) role_names.push_back(role.name);
  storage->note_policy_roles(role_names);
  storage->note_owner_role(policy.owner_role().name);
  if (notifier) sinks.push_back(notifier);
  for (auto& sink : options.sinks) sinks.push_back(std::move(sink));
}

// --- shared steps ----------------------------------------------------------------------

Result<void> validate_actor(const Actor& actor) {
  ORGKIT_CHECK(validate::host_id("actor.id", actor.id.value()));
  ORGKIT_CHECK(validate::host_id("actor.tenant", actor.tenant.value()));
  // Names and emails end up in listings and rendered messages: no control characters.
  ORGKIT_CHECK(validate::line("actor.display_name", actor.display_name, validate::max_name_chars));
  if (!actor.email.empty()) ORGKIT_CHECK(validate::email("actor.email", actor.email));
  return {};
}

Result<std::unique_ptr<StorageTransaction>> write(Core& s) {
  return s.storage->begin_write(WriteScope{});
}

Result<std::unique_ptr<StorageTransaction>> read(Core& s) {
  return s.storage->begin_read();
}

Result<Membership> actor_membership(StorageTransaction& tx, const Actor& actor, OrgId org) {
  ORGKIT_TRY(m, tx.find_membership(actor.tenant, org, actor.id));
  if (!m) {
    return fail(
        Error::not_found("org_id", fmt::format("no organization {} that user '{}' is a member of",
                                               org.value(), actor.id.value())));
  }
  return std::move(*m);
}

Result<Organization> organization(StorageTransaction& tx, const Actor& actor, OrgId org) {
  ORGKIT_TRY(o, tx.find_organization(actor.tenant, org));
  if (!o) return fail(Error::not_found("org_id", fmt::format("no organization {}", org.value())));
  return std::move(*o);
}

RoleDefinition custom_definition(const Core& s, const CustomRole& role) {
  RoleDefinition def;
  def.name = role.name;
  def.rank = role.rank;
  std::string names;  // the stored form, so the check and the operations read it alike
  for (const auto& name : role.permissions) (names += name) += ' ';
  def.permissions = rules::permission_set(s.policy, names) & ~s.policy.owner_reserved();
  return def;
}

Result<RoleRef> find_role(const Core& s, StorageTransaction& tx, OrgId org, std::string_view name) {
  if (const RoleDefinition* builtin = s.policy.find_role(name)) {
    return RoleRef(RoleRef(), builtin);  // aliasing: points into the policy, owns nothing
  }
  ORGKIT_TRY(custom, tx.find_custom_role(org, name));
  if (!custom) return RoleRef();
  return std::make_shared<const RoleDefinition>(custom_definition(s, *custom));
}

Result<RoleRef> stored_role(const Core& s, StorageTransaction& tx, const Membership& m) {
  ORGKIT_TRY(def, find_role(s, tx, m.org, m.role));
  if (!def) {
    return fail(Error::conflict("role", fmt::format("user '{}' holds role '{}', which no longer "
                                                    "exists; it grants nothing",
                                                    m.user.value(), m.role)));
  }
  return def;
}

Result<RoleRef> requested_role(const Core& s, StorageTransaction& tx, OrgId org,
                               std::string_view field, std::string_view role) {
  ORGKIT_CHECK(validate::role_name(field, role));
  ORGKIT_TRY(def, find_role(s, tx, org, role));
  if (!def) {
    return fail(Error::not_found(std::string(field), fmt::format("unknown role '{}'", role)));
  }
  return def;
}

Result<void> require(const Core& s, const RoleDefinition& role, std::string_view permission,
                     std::string_view what) {
  auto p = s.policy.permission(permission);
  if (!p) {
    return fail(Error::denied("permission", fmt::format("the policy '{}' does not declare '{}', "
                                                        "so nobody may {}",
                                                        s.policy.name(), permission, what)));
  }
  if (PermissionPolicy::holds(role, *p)) return {};
  return fail(Error::denied(
      "permission", fmt::format("role '{}' may not {} (needs '{}')", role.name, what, permission)));
}

Result<Access> visible(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org) {
  if (actor.is_member()) {
    ORGKIT_TRY(m, actor_membership(tx, actor, org));
    ORGKIT_TRY(role, stored_role(s, tx, m));
    return Access{std::move(m), std::move(role)};
  }
  // A tenant administrator or the host sees every organization of its tenant, and no other.
  ORGKIT_TRY(o, organization(tx, actor, org));
  (void)o;
  const RoleDefinition& role =
      actor.kind == PrincipalKind::host ? s.host_role : s.tenant_admin_role;
  Membership none{org, actor.id, {}, {}, role.name, {}, {}};
  return Access{std::move(none), RoleRef(RoleRef(), &role)};
}

Result<Access> access(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                      std::string_view permission, std::string_view what) {
  ORGKIT_TRY(a, visible(s, tx, actor, org));
  ORGKIT_CHECK(require(s, *a.role, permission, what));
  return a;
}

Result<void> require_member(const Actor& actor, std::string_view what) {
  if (actor.is_member()) return {};
  return fail(Error::invalid(
      "actor",
      fmt::format("only a member can {}; a {} is not a member "
                  "of any organization",
                  what,
                  actor.kind == PrincipalKind::host ? "host principal" : "tenant administrator")));
}

Result<void> ensure_owner_remains(const Core& s, StorageTransaction& tx, OrgId org,
                                  const Membership& losing, std::string_view rule) {
  const std::string& owner = s.policy.owner_role().name;
  if (losing.role != owner) return {};
  ORGKIT_TRY(owners, tx.count_memberships(org, owner));
  return rules::owner_remains(s.policy, losing.role, owners, losing.user.value(), rule);
}

Result<void> audit(Core& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                   std::string action, std::string target, std::vector<FieldChange> changes) {
  AuditEvent e;
  e.tenant = actor.tenant;
  e.org = org;
  e.actor = actor.id;
  e.actor_kind = actor.kind;
  e.action = std::move(action);
  e.target = std::move(target);
  e.changes = std::move(changes);
  e.at = s.clock->now();
  // Inside a unit of work (always, but for tests of single steps) the event is kept for
  // after-commit delivery: moved there, not copied.
  auto* work = dynamic_cast<Work*>(&tx);
  ORGKIT_TRY(id, work != nullptr ? work->record(std::move(e)) : tx.append_audit_event(e));
  (void)id;
  return {};
}

const Plan* find_plan(const PlanSettings& plans, std::string_view name) {
  for (const auto& p : plans.plans) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const Plan* plan_for(const Core& s, const Organization& org) {
  if (s.plans.plans.empty()) return nullptr;
  const Plan* plan = find_plan(s.plans, org.plan);
  return plan != nullptr ? plan : find_plan(s.plans, s.plans.default_plan);
}

Result<void> ensure_seat(const Core& s, StorageTransaction& tx, const Organization& org,
                         bool count_pending) {
  ORGKIT_TRY(taken, seats_taken(s, tx, org, count_pending));
  if (!taken) return {};
  return rules::seats_fit(plan_for(s, org), *taken, 1, s.plans.pending_invitations_use_seats);
}

}  // namespace orgkit::detail
