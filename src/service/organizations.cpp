// Organization use cases: O1-O9.
#include <algorithm>

#include <fmt/format.h>

#include "service/core.hpp"
#include "service/unit_of_work.hpp"
#include "service/use_cases.hpp"
#include "tokens.hpp"
#include "validate.hpp"

namespace orgkit::detail {

namespace {

constexpr std::size_t max_legal_name_chars = 200;

Result<void> plan_name(std::string_view plan) {
  if (plan.empty()) return {};
  return validate::role_name("plan", plan);
}

// `base` shortened so that `suffix` fits, without a trailing hyphen.
std::string with_suffix(const std::string& base, const std::string& suffix) {
  std::string stem = base.substr(0, validate::max_slug - suffix.size());
  while (!stem.empty() && stem.back() == '-') stem.pop_back();
  return stem + suffix;
}

// A free slug for `base` in the tenant (O1): base, base-2 ... base-5, then a random suffix
// (base-3f9a1c0e). A bounded number of lookups inside the write transaction, whatever others
// took (R4): squatting john ... john-99999 no longer blocks every John.
Result<std::string> free_slug(StorageTransaction& tx, const TenantId& tenant,
                              const std::string& base) {
  ORGKIT_TRY(taken, tx.slug_taken(tenant, base));
  if (!taken) return base;
  for (int n = 2; n <= 5; ++n) {
    std::string candidate = with_suffix(base, fmt::format("-{}", n));
    ORGKIT_TRY(used, tx.slug_taken(tenant, candidate));
    if (!used) return candidate;
  }
  for (int attempt = 0; attempt < 4; ++attempt) {  // 2^32 suffixes: a clash is rare, 4 rarer
    ORGKIT_TRY(hex, tokens::random_hex(4));
    std::string candidate = with_suffix(base, "-" + hex);
    ORGKIT_TRY(used, tx.slug_taken(tenant, candidate));
    if (!used) return candidate;
  }
  return fail(Error::exists("slug", fmt::format("no free slug derived from '{}'", base)));
}

std::vector<FieldChange> created_fields(const Organization& o) {
  std::vector<FieldChange> c{{"name", std::nullopt, o.name}, {"slug", std::nullopt, o.slug}};
  if (o.personal) c.push_back({"personal", std::nullopt, "true"});
  if (!o.plan.empty()) c.push_back({"plan", std::nullopt, o.plan});
  return c;
}

}  // namespace

Result<void> insert_with_owner(Core& s, StorageTransaction& tx, const Actor& actor,
                               const NewOwner& owner_spec, Organization& org) {
  ORGKIT_TRY(id, tx.insert_organization(org));
  org.id = id;
  Membership owner{id,
                   owner_spec.id,
                   owner_spec.email,
                   owner_spec.display_name,
                   s.policy.owner_role().name,
                   org.created_at,
                   {}};
  ORGKIT_CHECK(tx.insert_membership(actor.tenant, owner));
  return audit(s, tx, actor, id, "organization.created", org.slug, created_fields(org));
}

Result<Committed<Organization>> create_organization(Core& c, const Actor& actor,
                                                    const NewOrganization& spec) {
  ORGKIT_CHECK(validate_actor(actor));
  // A member founds the organization and owns it; a tenant administrator or the host names
  // its owner, because an organization never exists without one.
  NewOwner owner{actor.id, actor.email, actor.display_name};
  const char* owner_field = "actor";
  if (!actor.is_member()) {
    if (!spec.owner) {
      return fail(Error::invalid("owner",
                                 "is required when a tenant administrator or the host "
                                 "creates an organization"));
    }
    owner = *spec.owner;
    owner_field = "owner";
    ORGKIT_CHECK(validate::host_id("owner.id", owner.id.value()));
  } else if (spec.owner && spec.owner->id != actor.id) {
    return fail(Error::invalid("owner",
                               "a member who creates an organization is its owner; "
                               "transfer ownership afterwards"));
  }
  ORGKIT_TRY(email, validate::email(std::string(owner_field) + ".email", owner.email));
  ORGKIT_TRY(display_name, validate::text(std::string(owner_field) + ".display_name",
                                          owner.display_name, validate::max_name_chars));
  Organization draft;
  draft.tenant = actor.tenant;
  ORGKIT_TRY(name, validate::org_name("name", spec.name));
  draft.name = std::move(name);
  if (!spec.slug.empty()) ORGKIT_CHECK(validate::slug("slug", spec.slug));
  ORGKIT_TRY(description, validate::text("description", spec.description));
  ORGKIT_TRY(legal_name, validate::text("legal_name", spec.legal_name, max_legal_name_chars));
  ORGKIT_TRY(alerting, validate::optional_email("alerting_email", spec.alerting_email));
  ORGKIT_TRY(invoicing, validate::optional_email("invoicing_email", spec.invoicing_email));
  ORGKIT_CHECK(plan_name(spec.plan));
  if (!spec.plan.empty() && !c.plans.plans.empty() && find_plan(c.plans, spec.plan) == nullptr) {
    return fail(Error::not_found("plan", fmt::format("unknown plan '{}'", spec.plan)));
  }
  ORGKIT_CHECK(validate::metadata("metadata", spec.metadata));
  draft.description = std::move(description);
  draft.legal_name = std::move(legal_name);
  draft.alerting_email = std::move(alerting);
  draft.invoicing_email = std::move(invoicing);
  draft.plan = spec.plan.empty() ? c.plans.default_plan : spec.plan;
  draft.metadata = spec.metadata;
  draft.created_by = actor.id;
  draft.created_at = c.clock->now();
  const Organization prepared = std::move(draft);

  return c.write<Organization>(actor, tenant_scope(actor), [&](Work& w) -> Result<Organization> {
    Organization org = prepared;
    StorageTransaction* tx = &w;
    if (actor.is_member() && c.max_organizations_per_user) {
      ORGKIT_TRY(created, tx->count_organizations_created_by(actor.tenant, actor.id));
      if (created >= *c.max_organizations_per_user) {
        return fail(Error::limit("max_organizations_per_user",
                                 fmt::format("user '{}' has created {} organizations, the most "
                                             "this service allows",
                                             actor.id.value(), created)));
      }
    }
    if (!spec.slug.empty()) {
      ORGKIT_TRY(taken, tx->slug_taken(actor.tenant, spec.slug));
      if (taken) {
        return fail(Error::exists(
            "slug", fmt::format("slug '{}' is already used in this tenant", spec.slug)));
      }
      org.slug = spec.slug;
    } else {
      ORGKIT_TRY(slug, free_slug(*tx, actor.tenant, validate::slug_from_name(org.name)));
      org.slug = std::move(slug);
    }
    ORGKIT_CHECK(insert_with_owner(c, *tx, actor, NewOwner{owner.id, email, display_name}, org));
    return org;
  });
}

Result<Committed<Organization>> ensure_personal_organization(Core& c, const Actor& actor) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_member(actor, "have a personal organization"));
  ORGKIT_TRY(email, validate::email("actor.email", actor.email));
  std::string base_name = validate::trim(actor.display_name);
  if (base_name.empty()) base_name = email.substr(0, email.find('@'));
  ORGKIT_TRY(name, validate::org_name("actor.display_name", base_name));
  ORGKIT_TRY(display_name,
             validate::text("actor.display_name", actor.display_name, validate::max_name_chars));

  return c.write<Organization>(actor, tenant_scope(actor), [&](Work& w) -> Result<Organization> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(existing, tx->personal_organization_of(actor.tenant, actor.id));
    if (existing) return organization(*tx, actor, *existing);
    Organization org;
    org.tenant = actor.tenant;
    org.name = name;
    org.plan = c.plans.default_plan;  // as for every new organization that names none
    org.personal = true;
    org.created_by = actor.id;
    org.created_at = c.clock->now();
    ORGKIT_TRY(slug, free_slug(*tx, actor.tenant, validate::slug_from_name(org.name)));
    org.slug = std::move(slug);
    ORGKIT_CHECK(insert_with_owner(c, *tx, actor, NewOwner{actor.id, email, display_name}, org));
    return org;
  });
}

Result<Organization> get_organization(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(a, visible(c, *tx, actor, org));
  (void)a;
  return organization(*tx, actor, org);
}

Result<std::vector<MyOrganization>> my_organizations(Core& c, const Actor& actor) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_member(actor, "list their organizations"));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(list, tx->organizations_of(actor.tenant, actor.id));
  ORGKIT_TRY(active, tx->active_organization(actor.tenant, actor.id));
  if (active) {
    for (auto& mo : list) mo.active = mo.organization.id == *active;
    std::stable_partition(list.begin(), list.end(),
                          [](const MyOrganization& mo) { return mo.active; });
  }
  return list;
}

Result<Committed<Organization>> update_organization(Core& c, const Actor& actor, OrgId org,
                                                    const OrganizationUpdate& update) {
  ORGKIT_CHECK(validate_actor(actor));
  // Validate everything before touching storage: bad input writes nothing (E2).
  std::optional<std::string> name, description, legal_name, alerting, invoicing;
  if (update.name) {
    ORGKIT_TRY(v, validate::org_name("name", *update.name));
    name = std::move(v);
  }
  if (update.description) {
    ORGKIT_TRY(v, validate::text("description", *update.description));
    description = std::move(v);
  }
  if (update.legal_name) {
    ORGKIT_TRY(v, validate::text("legal_name", *update.legal_name, max_legal_name_chars));
    legal_name = std::move(v);
  }
  if (update.alerting_email) {
    ORGKIT_TRY(v, validate::optional_email("alerting_email", *update.alerting_email));
    alerting = std::move(v);
  }
  if (update.invoicing_email) {
    ORGKIT_TRY(v, validate::optional_email("invoicing_email", *update.invoicing_email));
    invoicing = std::move(v);
  }
  if (update.metadata) ORGKIT_CHECK(validate::metadata("metadata", *update.metadata));

  return c.write<Organization>(actor, scope_of(actor, org), [&](Work& w) -> Result<Organization> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::org_update,
                         "update the organization's details"));
    (void)a;
    ORGKIT_TRY(current, organization(*tx, actor, org));
    Organization next = current;
    std::vector<FieldChange> changes;
    auto apply = [&](const char* field, std::string& slot, const std::optional<std::string>& v) {
      if (v && *v != slot) {
        changes.push_back({field, slot, *v});
        slot = *v;
      }
    };
    apply("name", next.name, name);
    apply("description", next.description, description);
    apply("legal_name", next.legal_name, legal_name);
    apply("alerting_email", next.alerting_email, alerting);
    apply("invoicing_email", next.invoicing_email, invoicing);
    if (update.metadata && *update.metadata != next.metadata) {
      for (const auto& [k, v] : next.metadata) {
        auto it = update.metadata->find(k);
        if (it == update.metadata->end()) {
          changes.push_back({"metadata." + k, v, std::nullopt});
        } else if (it->second != v) {
          changes.push_back({"metadata." + k, v, it->second});
        }
      }
      for (const auto& [k, v] : *update.metadata) {
        if (next.metadata.count(k) == 0) changes.push_back({"metadata." + k, std::nullopt, v});
      }
      next.metadata = *update.metadata;
    }
    if (changes.empty()) return next;
    ORGKIT_CHECK(tx->update_organization(next));
    ORGKIT_CHECK(audit(c, *tx, actor, org, "organization.updated", next.slug, std::move(changes)));
    return next;
  });
}

Result<Committed<Organization>> set_plan(Core& c, const Actor& actor, OrgId org,
                                         std::string_view plan) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(plan_name(plan));
  const Plan* target = find_plan(c.plans, plan);
  if (target == nullptr) {
    return fail(Error::not_found("plan", fmt::format("unknown plan '{}'", plan)));
  }
  return c.write<Organization>(actor, scope_of(actor, org), [&](Work& w) -> Result<Organization> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::billing_manage, "change the plan"));
    (void)a;
    ORGKIT_TRY(current, organization(*tx, actor, org));
    if (current.plan == target->name) return current;
    if (target->max_members) {
      ORGKIT_TRY(members, tx->count_memberships(org, std::nullopt));
      if (members > *target->max_members) {
        return fail(Error::limit("plan", fmt::format("plan '{}' allows {} members; the "
                                                     "organization has {}",
                                                     target->name, *target->max_members, members)));
      }
    }
    Organization next = current;
    next.plan = target->name;
    ORGKIT_CHECK(tx->update_organization(next));
    ORGKIT_CHECK(audit(c, *tx, actor, org, "organization.plan_changed", next.slug,
                       {{"plan", current.plan, next.plan}}));
    return next;
  });
}

Result<Committed<void>> delete_organization(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  return c.write<void>(actor, scope_of(actor, org), [&](Work& w) -> Result<void> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a, access(c, *tx, actor, org, permissions::org_delete, "delete the organization"));
    (void)a;
    ORGKIT_TRY(current, organization(*tx, actor, org));
    ORGKIT_TRY(members, tx->count_memberships(org, std::nullopt));
    ORGKIT_CHECK(tx->delete_organization(actor.tenant, org));
    ORGKIT_CHECK(audit(c, *tx, actor, org, "organization.deleted", current.slug,
                       {{"name", current.name, std::nullopt},
                        {"slug", current.slug, std::nullopt},
                        {"members", std::to_string(members), std::nullopt}}));
    return {};
  });
}

Result<Committed<void>> set_active_organization(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_member(actor, "choose an active organization"));
  return c.write<void>(actor, scope_of(actor, org), [&](Work& w) -> Result<void> {
    ORGKIT_TRY(m, actor_membership(w, actor, org));
    (void)m;
    return w.set_active_organization(actor.tenant, actor.id, org);
  });
}

Result<std::optional<OrgId>> active_organization(Core& c, const Actor& actor) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_member(actor, "have an active organization"));
  ORGKIT_TRY(tx, read(c));
  ORGKIT_TRY(active, tx->active_organization(actor.tenant, actor.id));
  if (!active) return std::optional<OrgId>();
  ORGKIT_TRY(m, tx->find_membership(actor.tenant, *active, actor.id));
  return m ? active : std::optional<OrgId>();
}

Result<void> leave_step(Core& c, StorageTransaction& tx, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(require_member(actor, "leave an organization"));
  ORGKIT_TRY(m, actor_membership(tx, actor, org));
  ORGKIT_CHECK(ensure_owner_remains(c, tx, org, m, "leaving"));
  if (!c.policy.leaving_allowed(m.role)) {
    return fail(Error::denied("role", fmt::format("the policy does not allow members who hold "
                                                  "'{}' to leave on their own",
                                                  m.role)));
  }
  ORGKIT_CHECK(tx.delete_membership(org, actor.id));
  ORGKIT_TRY(active, tx.active_organization(actor.tenant, actor.id));
  if (active && *active == org) {
    ORGKIT_CHECK(tx.set_active_organization(actor.tenant, actor.id, std::nullopt));
  }
  return audit(c, tx, actor, org, "member.left", actor.id.value(), {{"role", m.role, std::nullopt}});
}

Result<Committed<void>> leave_organization(Core& c, const Actor& actor, OrgId org) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(require_member(actor, "leave an organization"));
  return c.write<void>(actor, scope_of(actor, org),
                       [&](Work& w) -> Result<void> { return leave_step(c, w, actor, org); });
}

Result<Committed<void>> transfer_ownership(Core& c, const Actor& actor, OrgId org,
                                           const UserId& new_owner,
                                           std::string_view previous_owner_role) {
  ORGKIT_CHECK(validate_actor(actor));
  ORGKIT_CHECK(validate::host_id("new_owner", new_owner.value()));
  if (previous_owner_role.empty()) {
    // The policy's highest-ranked role below the owner's (roles() is highest first).
    previous_owner_role = c.policy.owner_role().name;
    for (const auto& role : c.policy.roles()) {
      if (!role.owner) {
        previous_owner_role = role.name;
        break;
      }
    }
  }
  ORGKIT_CHECK(validate::role_name("previous_owner_role", previous_owner_role));
  if (new_owner == actor.id) {
    return fail(Error::invalid("new_owner", "is the acting user; ownership goes to someone else"));
  }
  // Tenant administrators and the host hand ownership on with change_member_role instead.
  ORGKIT_CHECK(require_member(actor, "transfer ownership"));
  return c.write<void>(actor, scope_of(actor, org), [&](Work& w) -> Result<void> {
    StorageTransaction* tx = &w;
    ORGKIT_TRY(a,
               access(c, *tx, actor, org, permissions::ownership_transfer, "transfer ownership"));
    // O8 names owners, whatever a custom policy grants: only an owner hands ownership on.
    if (!a.role->owner) {
      return fail(Error::denied("permission", fmt::format("only an owner can transfer ownership; "
                                                          "'{}' is {}",
                                                          actor.id.value(), a.role->name)));
    }
    ORGKIT_TRY(keep_role, requested_role(c, *tx, org, "previous_owner_role", previous_owner_role));
    ORGKIT_TRY(target, tx->find_membership(actor.tenant, org, new_owner));
    if (!target) {
      return fail(Error::not_found("new_owner", fmt::format("'{}' is not a member of the "
                                                            "organization",
                                                            new_owner.value())));
    }
    const std::string& owner = c.policy.owner_role().name;
    if (target->role == owner) {
      return fail(
          Error::conflict("new_owner", fmt::format("'{}' is already an owner", new_owner.value())));
    }
    ORGKIT_CHECK(tx->update_membership_role(org, new_owner, owner));
    std::vector<FieldChange> changes{{"owner", actor.id.value(), new_owner.value()},
                                     {new_owner.value() + ".role", target->role, owner}};
    if (a.membership.role != keep_role->name) {
      ORGKIT_CHECK(tx->update_membership_role(org, actor.id, keep_role->name));
      changes.push_back({actor.id.value() + ".role", a.membership.role, keep_role->name});
    }
    ORGKIT_CHECK(
        audit(c, *tx, actor, org, "ownership.transferred", new_owner.value(), std::move(changes)));
    return {};
  });
}

}  // namespace orgkit::detail
