// The Service facade: construction, and one forwarding call per operation. Everything else
// is in the use cases (one file per subject) and the Core they share.
#include <orgkit/service.hpp>

#include "service/core.hpp"
#include "service/use_cases.hpp"
#include "validate.hpp"

#include <fmt/format.h>

namespace orgkit {

Service::Service(std::unique_ptr<detail::Core> core) : core_(std::move(core)) {}

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::create(std::unique_ptr<Storage> storage,
                                                 ServiceOptions options) {
  if (!storage) return fail(Error::invalid("storage", "must not be null"));
  auto checked = validate_options(options);
  if (!checked) return fail(std::move(checked).error());
  return std::unique_ptr<Service>(
      new Service(std::make_unique<detail::Core>(std::move(storage), std::move(options))));
}

Result<void> Service::validate_options(const ServiceOptions& options) {
  const auto& plans = options.plans;
  for (std::size_t i = 0; i < plans.plans.size(); ++i) {
    const auto field = fmt::format("plans.plans[{}]", i);
    if (plans.plans[i].name.empty())
      return fail(Error::invalid(field + ".name", "must not be empty"));
    if (auto ok = validate::role_name(field + ".name", plans.plans[i].name); !ok) return ok;
    for (std::size_t k = 0; k < i; ++k) {
      if (plans.plans[k].name == plans.plans[i].name) {
        return fail(Error::invalid(field + ".name",
                                   fmt::format("duplicate plan '{}'", plans.plans[i].name)));
      }
    }
    if (plans.plans[i].max_members && *plans.plans[i].max_members < 1) {
      return fail(Error::invalid(field + ".max_members", "must be at least 1"));
    }
  }
  if (!plans.default_plan.empty() || !plans.plans.empty()) {
    if (detail::find_plan(plans, plans.default_plan) == nullptr) {
      return fail(Error::invalid("plans.default_plan",
                                 fmt::format("'{}' is not one of the plans", plans.default_plan)));
    }
  }
  const auto& inv = options.invitations;
  if (inv.email_expiry < std::chrono::minutes(1) ||
      inv.email_expiry > std::chrono::hours(24 * 365)) {
    return fail(Error::invalid("invitations.email_expiry", "must be 1 minute to 365 days"));
  }
  if (inv.accept_url_base.empty()) {
    return fail(Error::invalid("invitations.accept_url_base", "must not be empty"));
  }
  if (options.max_organizations_per_user && *options.max_organizations_per_user < 1) {
    return fail(Error::invalid("max_organizations_per_user", "must be at least 1"));
  }
  if (options.max_attempts < 1 || options.max_attempts > 20) {
    return fail(Error::invalid("max_attempts", "must be 1-20"));
  }
  if (options.check_cache_capacity > (std::size_t{1} << 24)) {
    return fail(Error::invalid("check_cache_capacity", "must be at most 16777216 entries"));
  }
  if (inv.max_csv_rows < 1)
    return fail(Error::invalid("invitations.max_csv_rows", "must be at least 1"));
  return detail::check_templates(inv);
}

const PermissionPolicy& Service::policy() const {
  return core_->policy;
}

Result<Committed<Organization>> Service::create_organization(const Actor& actor,
                                                             const NewOrganization& spec) {
  return detail::create_organization(*core_, actor, spec);
}

Result<Committed<Organization>> Service::ensure_personal_organization(const Actor& actor) {
  return detail::ensure_personal_organization(*core_, actor);
}

Result<Organization> Service::get_organization(const Actor& actor, OrgId org) {
  return detail::get_organization(*core_, actor, org);
}

Result<std::vector<MyOrganization>> Service::my_organizations(const Actor& actor) {
  return detail::my_organizations(*core_, actor);
}

Result<Committed<Organization>> Service::update_organization(const Actor& actor, OrgId org,
                                                             const OrganizationUpdate& update) {
  return detail::update_organization(*core_, actor, org, update);
}

Result<Committed<void>> Service::delete_organization(const Actor& actor, OrgId org) {
  return detail::delete_organization(*core_, actor, org);
}

Result<Committed<void>> Service::set_active_organization(const Actor& actor, OrgId org) {
  return detail::set_active_organization(*core_, actor, org);
}

Result<std::optional<OrgId>> Service::active_organization(const Actor& actor) {
  return detail::active_organization(*core_, actor);
}

Result<Committed<void>> Service::leave_organization(const Actor& actor, OrgId org) {
  return detail::leave_organization(*core_, actor, org);
}

Result<Committed<void>> Service::transfer_ownership(const Actor& actor, OrgId org,
                                                    const UserId& new_owner,
                                                    std::string_view previous_owner_role) {
  return detail::transfer_ownership(*core_, actor, org, new_owner, previous_owner_role);
}

Result<Committed<Membership>> Service::add_member(const Actor& actor, OrgId org,
                                                  const NewMember& member) {
  return detail::add_member(*core_, actor, org, member);
}

Result<Committed<Membership>> Service::change_member_role(const Actor& actor, OrgId org,
                                                          const UserId& user,
                                                          std::string_view role) {
  return detail::change_member_role(*core_, actor, org, user, role);
}

Result<Committed<void>> Service::remove_member(const Actor& actor, OrgId org, const UserId& user) {
  return detail::remove_member(*core_, actor, org, user);
}

Result<Committed<Membership>> Service::set_member_department(const Actor& actor, OrgId org,
                                                            const UserId& user,
                                                            std::string_view department) {
  return detail::set_member_department(*core_, actor, org, user, department);
}

Result<Committed<BulkResult>> Service::change_member_roles(const Actor& actor, OrgId org,
                                                          const std::vector<MemberRoleChange>& changes) {
  return detail::change_member_roles(*core_, actor, org, changes);
}

Result<Committed<BulkResult>> Service::remove_members(const Actor& actor, OrgId org,
                                                     const std::vector<UserId>& users) {
  return detail::remove_members(*core_, actor, org, users);
}

Result<Page<Membership>> Service::list_members(const Actor& actor, OrgId org,
                                               const MemberQuery& query) {
  return detail::list_members(*core_, actor, org, query);
}

Result<Membership> Service::get_membership(const Actor& actor, OrgId org, const UserId& user) {
  return detail::get_membership(*core_, actor, org, user);
}

Result<Membership> Service::find_member_by_email(const Actor& actor, OrgId org,
                                                 std::string_view email) {
  return detail::find_member_by_email(*core_, actor, org, email);
}

Result<Page<RosterEntry>> Service::list_roster(const Actor& actor, OrgId org,
                                               const RosterQuery& query) {
  return detail::list_roster(*core_, actor, org, query);
}

Result<Committed<Organization>> Service::set_plan(const Actor& actor, OrgId org,
                                                  std::string_view plan) {
  return detail::set_plan(*core_, actor, org, plan);
}

Result<Committed<IssuedInvitation>> Service::invite(const Actor& actor, OrgId org,
                                                    const InviteRequest& request) {
  return detail::invite(*core_, actor, org, request);
}

Result<Committed<IssuedInvitation>> Service::create_invite_link(const Actor& actor, OrgId org,
                                                                std::string_view role,
                                                                LinkExpiry expiry) {
  return detail::create_invite_link(*core_, actor, org, role, expiry);
}

Result<Committed<AcceptedInvitation>> Service::accept_invitation(const Actor& invitee,
                                                                 std::string_view token) {
  return detail::accept_invitation(*core_, invitee, token);
}

Result<InvitationPreview> Service::preview_invitation(std::string_view token,
                                                     const TenantId& tenant) const {
  return detail::preview_invitation(*core_, token, tenant);
}

Result<Committed<Invitation>> Service::decline_invitation(const Actor& invitee,
                                                          std::string_view token) {
  return detail::decline_invitation(*core_, invitee, token);
}

Result<Committed<IssuedInvitation>> Service::resend_invitation(const Actor& actor, OrgId org,
                                                               InvitationId invitation) {
  return detail::resend_invitation(*core_, actor, org, invitation);
}

Result<Committed<Invitation>> Service::revoke_invitation(const Actor& actor, OrgId org,
                                                         InvitationId invitation) {
  return detail::revoke_invitation(*core_, actor, org, invitation);
}

Result<Page<Invitation>> Service::list_invitations(const Actor& actor, OrgId org,
                                                   const InvitationQuery& query) {
  return detail::list_invitations(*core_, actor, org, query);
}

Result<Committed<CsvImportResult>> Service::import_invitations_csv(const Actor& actor, OrgId org,
                                                                   std::string_view csv) {
  return detail::import_invitations_csv(*core_, actor, org, csv, {});
}

Result<Committed<CsvImportResult>> Service::import_invitations_csv(const Actor& actor, OrgId org,
                                                                   std::string_view csv,
                                                                   const CsvProgress& progress) {
  return detail::import_invitations_csv(*core_, actor, org, csv, progress);
}

Result<Committed<CustomRole>> Service::create_role(const Actor& actor, OrgId org,
                                                   const CustomRole& role) {
  return detail::create_role(*core_, actor, org, role);
}

Result<Committed<CustomRole>> Service::update_role(const Actor& actor, OrgId org,
                                                   std::string_view name,
                                                   const CustomRoleUpdate& update) {
  return detail::update_role(*core_, actor, org, name, update);
}

Result<Committed<void>> Service::delete_role(const Actor& actor, OrgId org, std::string_view name,
                                             std::optional<std::string> reassign_to) {
  return detail::delete_role(*core_, actor, org, name, reassign_to);
}

Result<std::vector<RoleInfo>> Service::list_roles(const Actor& actor, OrgId org) {
  return detail::list_roles(*core_, actor, org);
}

Result<Committed<IssuedApiKey>> Service::create_api_key(const Actor& actor, OrgId org,
                                                        const NewApiKey& key) {
  return detail::create_api_key(*core_, actor, org, key);
}

Result<std::vector<ApiKey>> Service::list_api_keys(const Actor& actor, OrgId org) {
  return detail::list_api_keys(*core_, actor, org);
}

Result<Committed<ApiKey>> Service::revoke_api_key(const Actor& actor, OrgId org, ApiKeyId key) {
  return detail::revoke_api_key(*core_, actor, org, key);
}

Result<VerifiedApiKey> Service::verify_api_key(std::string_view presented) {
  return detail::verify_api_key(*core_, presented);
}

Result<Page<Organization>> Service::list_tenant_organizations(const Actor& actor,
                                                             const OrganizationQuery& query) {
  return detail::list_tenant_organizations(*core_, actor, query);
}

Result<Committed<IssuedTenantKey>> Service::create_tenant_key(const Actor& actor,
                                                             const NewTenantKey& key) {
  return detail::create_tenant_key(*core_, actor, key);
}

Result<std::vector<TenantKey>> Service::list_tenant_keys(const Actor& actor) {
  return detail::list_tenant_keys(*core_, actor);
}

Result<Committed<TenantKey>> Service::revoke_tenant_key(const Actor& actor, TenantKeyId key) {
  return detail::revoke_tenant_key(*core_, actor, key);
}

Result<VerifiedTenantKey> Service::verify_tenant_key(std::string_view presented,
                                                     const TenantId& tenant) const {
  return detail::verify_tenant_key(*core_, presented, tenant);
}

Result<Page<AuditEvent>> Service::list_tenant_audit_events(const Actor& actor,
                                                           const AuditQuery& query) {
  return detail::list_tenant_audit_events(*core_, actor, query);
}

Result<Claims> Service::claims(const Actor& actor, const ClaimsOptions& options) {
  return detail::claims(*core_, actor, options);
}

Result<bool> Service::check(const Actor& actor, OrgId org, Permission permission) const {
  return detail::check(*core_, actor, org, permission);
}

Result<bool> Service::check(const Actor& actor, OrgId org, Permission permission,
                            const UserId& resource_owner) const {
  return detail::check(*core_, actor, org, permission, resource_owner);
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission,
                            const CommitToken& at_least) const {
  return detail::check(*core_, actor, org, permission, at_least);
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission,
                            Consistency consistency) const {
  return detail::check(*core_, actor, org, permission, consistency);
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission) const {
  return detail::check(*core_, actor, org, permission);
}

Result<bool> Service::check(const Actor& actor, OrgId org, std::string_view permission,
                            const UserId& resource_owner) const {
  return detail::check(*core_, actor, org, permission, resource_owner);
}

Result<bool> Service::check(const VerifiedApiKey& key, std::string_view permission) const {
  return detail::check(*core_, key, permission);
}

Result<void> Service::authorize(const Actor& actor, OrgId org, std::string_view permission) const {
  return detail::authorize(*core_, actor, org, permission);
}

Result<Page<AuditEvent>> Service::list_audit_events(const Actor& actor, OrgId org,
                                                    const AuditQuery& query) {
  return detail::list_audit_events(*core_, actor, org, query);
}

}  // namespace orgkit
