// The Service's shared steps, permission checks and the audit listing.
#include <charconv>

#include <fmt/format.h>

#include "service_internal.hpp"
#include "validate.hpp"

namespace orgkit {

Service::Service(std::unique_ptr<Storage> storage, ServiceOptions options)
    : storage_(std::move(storage)),
      policy_(std::move(options.policy)),
      clock_(options.clock ? std::move(options.clock) : std::make_shared<SystemClock>()),
      notifier_(std::move(options.notifier)),
      plans_(std::move(options.plans)),
      invitations_(std::move(options.invitations)) {}

Service::~Service() = default;

Result<void> Service::validate_options(const ServiceOptions& options) {
  const auto& plans = options.plans;
  for (std::size_t i = 0; i < plans.plans.size(); ++i) {
    const auto field = fmt::format("plans.plans[{}]", i);
    if (plans.plans[i].name.empty()) return fail(Error::invalid(field + ".name", "must not be empty"));
    ORGKIT_CHECK(validate::role_name(field + ".name", plans.plans[i].name));
    for (std::size_t k = 0; k < i; ++k) {
      if (plans.plans[k].name == plans.plans[i].name) {
        return fail(Error::invalid(field + ".name", fmt::format("duplicate plan '{}'",
                                                                 plans.plans[i].name)));
      }
    }
    if (plans.plans[i].max_members && *plans.plans[i].max_members < 1) {
      return fail(Error::invalid(field + ".max_members", "must be at least 1"));
    }
  }
  if (!plans.default_plan.empty() || !plans.plans.empty()) {
    if (Impl::find_plan(plans, plans.default_plan) == nullptr) {
      return fail(Error::invalid("plans.default_plan",
                                 fmt::format("'{}' is not one of the plans", plans.default_plan)));
    }
  }
  const auto& inv = options.invitations;
  if (inv.email_expiry < std::chrono::minutes(1) || inv.email_expiry > std::chrono::hours(24 * 365)) {
    return fail(Error::invalid("invitations.email_expiry", "must be 1 minute to 365 days"));
  }
  if (inv.accept_url_base.empty()) {
    return fail(Error::invalid("invitations.accept_url_base", "must not be empty"));
  }
  if (inv.max_csv_rows < 1) return fail(Error::invalid("invitations.max_csv_rows", "must be at least 1"));
  return Impl::check_templates(inv.templates);
}

Result<std::unique_ptr<Service>> Service::create(std::unique_ptr<Storage> storage,
                                                 ServiceOptions options) {
  if (!storage) return fail(Error::invalid("storage", "must not be null"));
  ORGKIT_CHECK(validate_options(options));
  return std::unique_ptr<Service>(new Service(std::move(storage), std::move(options)));
}

Result<std::unique_ptr<Service>> Service::open_sqlite(const std::string& path,
                                                      ServiceOptions options) {
  SqliteOptions so;
  so.path = path;
  return open_sqlite(so, std::move(options));
}

Result<std::unique_ptr<Service>> Service::open_sqlite(const SqliteOptions& so,
                                                      ServiceOptions options) {
  ORGKIT_CHECK(validate_options(options));
  auto storage = orgkit::open_sqlite(so);
  if (!storage) return fail(storage.error());
  return std::unique_ptr<Service>(new Service(std::move(*storage), std::move(options)));
}

// --- shared steps ----------------------------------------------------------------------

Result<void> Service::Impl::validate_actor(const Actor& actor) {
  ORGKIT_CHECK(validate::host_id("actor.id", actor.id.value()));
  ORGKIT_CHECK(validate::host_id("actor.tenant", actor.tenant.value()));
  // Names and emails end up in listings and rendered messages: no control characters.
  ORGKIT_CHECK(validate::line("actor.display_name", actor.display_name, validate::max_name_chars));
  if (!actor.email.empty()) ORGKIT_CHECK(validate::email("actor.email", actor.email));
  return {};
}

Result<std::unique_ptr<StorageTransaction>> Service::Impl::write(Service& s) {
  return s.storage_->begin_write(WriteScope{});
}

Result<std::unique_ptr<StorageTransaction>> Service::Impl::read(Service& s) {
  return s.storage_->begin_read();
}

Result<Membership> Service::Impl::actor_membership(StorageTransaction& tx, const Actor& actor,
                                                   OrgId org) {
  ORGKIT_TRY(m, tx.find_membership(actor.tenant, org, actor.id));
  if (!m) {
    return fail(Error::not_found(
        "org_id", fmt::format("no organization {} that user '{}' is a member of", org.value(),
                              actor.id.value())));
  }
  return std::move(*m);
}

Result<Organization> Service::Impl::organization(StorageTransaction& tx, const Actor& actor,
                                                 OrgId org) {
  ORGKIT_TRY(o, tx.find_organization(actor.tenant, org));
  if (!o) return fail(Error::not_found("org_id", fmt::format("no organization {}", org.value())));
  return std::move(*o);
}

RoleDefinition Service::Impl::custom_definition(const Service& s, const CustomRole& role) {
  RoleDefinition def;
  def.name = role.name;
  def.rank = role.rank;
  for (const auto& name : role.permissions) {
    if (auto p = s.policy_.permission(name)) def.permissions.set(p->index);
  }
  return def;
}

Result<RoleRef> Service::Impl::find_role(const Service& s, StorageTransaction& tx, OrgId org,
                                         std::string_view name) {
  if (const RoleDefinition* builtin = s.policy_.find_role(name)) {
    return RoleRef(RoleRef(), builtin);  // aliasing: points into the policy, owns nothing
  }
  ORGKIT_TRY(custom, tx.find_custom_role(org, name));
  if (!custom) return RoleRef();
  return std::make_shared<const RoleDefinition>(custom_definition(s, *custom));
}

Result<RoleRef> Service::Impl::stored_role(const Service& s, StorageTransaction& tx,
                                           const Membership& m) {
  ORGKIT_TRY(def, find_role(s, tx, m.org, m.role));
  if (!def) {
    return fail(Error::conflict("role", fmt::format("user '{}' holds role '{}', which no longer "
                                                    "exists; it grants nothing",
                                                    m.user.value(), m.role)));
  }
  return def;
}

Result<RoleRef> Service::Impl::requested_role(const Service& s, StorageTransaction& tx, OrgId org,
                                              std::string_view field, std::string_view role) {
  ORGKIT_CHECK(validate::role_name(field, role));
  ORGKIT_TRY(def, find_role(s, tx, org, role));
  if (!def) {
    return fail(Error::not_found(std::string(field), fmt::format("unknown role '{}'", role)));
  }
  return def;
}

Result<void> Service::Impl::require(const Service& s, const RoleDefinition& role,
                                    std::string_view permission, std::string_view what) {
  auto p = s.policy_.permission(permission);
  if (!p) {
    return fail(Error::denied("permission", fmt::format("the policy '{}' does not declare '{}', "
                                                        "so nobody may {}",
                                                        s.policy_.name(), permission, what)));
  }
  if (PermissionPolicy::holds(role, *p)) return {};
  return fail(Error::denied("permission", fmt::format("role '{}' may not {} (needs '{}')",
                                                      role.name, what, permission)));
}

Result<Service::Impl::Access> Service::Impl::access(Service& s, StorageTransaction& tx,
                                                    const Actor& actor, OrgId org,
                                                    std::string_view permission,
                                                    std::string_view what) {
  ORGKIT_TRY(m, actor_membership(tx, actor, org));
  ORGKIT_TRY(role, stored_role(s, tx, m));
  ORGKIT_CHECK(require(s, *role, permission, what));
  return Access{std::move(m), std::move(role)};
}

Result<void> Service::Impl::ensure_owner_remains(const Service& s, StorageTransaction& tx,
                                                 OrgId org, const Membership& losing,
                                                 std::string_view rule) {
  const std::string& owner = s.policy_.owner_role().name;
  if (losing.role != owner) return {};
  ORGKIT_TRY(owners, tx.count_memberships(org, owner));
  if (owners <= 1) {
    return fail(Error::conflict(
        "user_id", fmt::format("'{}' is the last owner; {} would leave the organization without "
                               "an owner (transfer ownership or delete the organization first)",
                               losing.user.value(), rule)));
  }
  return {};
}

Result<void> Service::Impl::audit(Service& s, StorageTransaction& tx, const Actor& actor,
                                  OrgId org, std::string action, std::string target,
                                  std::vector<FieldChange> changes) {
  AuditEvent e;
  e.tenant = actor.tenant;
  e.org = org;
  e.actor = actor.id;
  e.action = std::move(action);
  e.target = std::move(target);
  e.changes = std::move(changes);
  e.at = s.clock_->now();
  ORGKIT_TRY(id, tx.append_audit_event(e));
  (void)id;
  return {};
}

const Plan* Service::Impl::find_plan(const PlanSettings& plans, std::string_view name) {
  for (const auto& p : plans.plans) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const Plan* Service::Impl::plan_for(const Service& s, const Organization& org) {
  if (s.plans_.plans.empty()) return nullptr;
  const Plan* plan = find_plan(s.plans_, org.plan);
  return plan != nullptr ? plan : find_plan(s.plans_, s.plans_.default_plan);
}

Error Service::Impl::seat_error(const Service& s, const Plan& plan, std::int64_t taken) {
  return Error::limit("plan.max_members",
                      fmt::format("plan '{}' allows {} members and {} seats are taken{}",
                                  plan.name, *plan.max_members, taken,
                                  s.plans_.pending_invitations_use_seats
                                      ? " by members and pending invitations"
                                      : ""));
}

Result<void> Service::Impl::ensure_seat(const Service& s, StorageTransaction& tx,
                                        const Organization& org, bool count_pending) {
  ORGKIT_TRY(taken, seats_taken(s, tx, org, count_pending));
  if (taken && *taken + 1 > *plan_for(s, org)->max_members) {
    return fail(seat_error(s, *plan_for(s, org), *taken));
  }
  return {};
}

// --- checks ----------------------------------------------------------------------------

namespace {

// Whether a custom role's permission list ("a:b c:d") names `name`. No allocation.
bool lists(std::string_view words, std::string_view name) {
  while (!words.empty()) {
    const auto end = words.find(' ');
    if (words.substr(0, end) == name) return true;
    if (end == std::string_view::npos) break;
    words.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace

bool Service::Impl::grants(const Service& s, const MemberAccess& access, Permission p) {
  // The policy's role wins over a custom role of the same name, as in find_role: a check and
  // the operations must agree on what a role is.
  if (const RoleDefinition* def = s.policy_.find_role(access.role)) {
    return PermissionPolicy::holds(*def, p);
  }
  return access.custom && lists(access.permissions, s.policy_.permission_name(p));
}

Result<bool> Service::check(const Actor& actor, OrgId org, Permission permission) const {
  // Reused per thread so that a check does not allocate once the buffers have grown.
  thread_local MemberAccess access;
  auto found = storage_->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  return *found && Impl::grants(*this, access, permission);
}

Result<bool> Service::check(const Actor& actor, OrgId org, Permission permission,
                            const UserId& resource_owner) const {
  const OwnershipRule* rule = policy_.ownership_rule_for(permission);
  if (rule == nullptr) return check(actor, org, permission);
  thread_local MemberAccess access;
  auto found = storage_->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  if (!*found) return false;
  if (Impl::grants(*this, access, rule->all)) return true;
  return Impl::grants(*this, access, rule->own) && resource_owner == actor.id;
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission) const {
  auto p = policy_.permission(permission);
  if (!p) return fail(std::move(p).error());
  return check(actor, org, *p);
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission,
                            const UserId& resource_owner) const {
  auto p = policy_.permission(permission);
  if (!p) return fail(std::move(p).error());
  return check(actor, org, *p, resource_owner);
}

Result<bool> Service::check(const VerifiedApiKey& key, std::string_view permission) const {
  auto p = policy_.permission(permission);
  if (!p) return fail(std::move(p).error());
  return key.allows(permission);
}

Result<void> Service::authorize(const Actor& actor, OrgId org,
                                std::string_view permission) const {
  auto p = policy_.permission(permission);
  if (!p) return fail(std::move(p).error());
  MemberAccess access;
  auto found = storage_->member_access(actor.tenant, org, actor.id, access);
  if (!found) return fail(std::move(found).error());
  if (!*found) {  // as everywhere: an organization one is not in does not exist for one
    return fail(Error::not_found("org_id", fmt::format("no organization {} that user '{}' is a "
                                                       "member of",
                                                       org.value(), actor.id.value())));
  }
  if (Impl::grants(*this, access, *p)) return {};
  return fail(Error::denied("permission", fmt::format("user '{}' has role '{}', which lacks '{}'",
                                                      actor.id.value(), access.role, permission)));
}

// --- audit -----------------------------------------------------------------------------

Result<Page<AuditEvent>> Service::list_audit_events(const Actor& actor, OrgId org,
                                                    const AuditQuery& query) {
  ORGKIT_CHECK(Impl::validate_actor(actor));
  ORGKIT_CHECK(validate::page_limit("limit", query.limit));
  std::optional<AuditEventId> before;
  if (!query.cursor.empty()) {
    std::int64_t id = 0;
    const char* b = query.cursor.data();
    const char* e = b + query.cursor.size();
    if (query.cursor.size() < 3 || query.cursor.compare(0, 2, "a:") != 0 ||
        std::from_chars(b + 2, e, id).ptr != e || id <= 0) {
      return fail(Error::invalid("cursor", "is not a cursor returned by list_audit_events"));
    }
    before = AuditEventId(id);
  }
  ORGKIT_TRY(tx, Impl::read(*this));
  ORGKIT_TRY(a, Impl::access(*this, *tx, actor, org, permissions::audit_read,
                             "read the audit trail"));
  (void)a;
  ORGKIT_TRY(events, tx->list_audit_events(actor.tenant, org, before, query.limit + 1));
  Page<AuditEvent> page;
  if (events.size() > static_cast<std::size_t>(query.limit)) {
    events.pop_back();
    page.next_cursor = fmt::format("a:{}", events.back().id.value());
  }
  page.items = std::move(events);
  return page;
}

}  // namespace orgkit
