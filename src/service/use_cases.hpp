// The use cases behind the Service facade, one file per subject. Each takes the Core and the
// principal, checks its input, and runs as a unit of work (mutations) or in one read
// transaction (reads). The facade (service.cpp) only forwards.
#pragma once

#include <orgkit/service.hpp>

namespace orgkit::detail {

struct Core;

// --- organizations.cpp -------------------------------------------------------

Result<Committed<Organization>> create_organization(Core& c, const Actor& actor,
                                                    const NewOrganization& spec);
Result<Committed<Organization>> ensure_personal_organization(Core& c, const Actor& actor);
Result<Organization> get_organization(Core& c, const Actor& actor, OrgId org);
Result<std::vector<MyOrganization>> my_organizations(Core& c, const Actor& actor);
Result<Committed<Organization>> update_organization(Core& c, const Actor& actor, OrgId org,
                                                    const OrganizationUpdate& update);
Result<Committed<void>> delete_organization(Core& c, const Actor& actor, OrgId org);
Result<Committed<void>> set_active_organization(Core& c, const Actor& actor, OrgId org);
Result<std::optional<OrgId>> active_organization(Core& c, const Actor& actor);
Result<Committed<void>> leave_organization(Core& c, const Actor& actor, OrgId org);
Result<Committed<void>> transfer_ownership(Core& c, const Actor& actor, OrgId org,
                                           const UserId& new_owner,
                                           std::string_view previous_owner_role);
Result<Committed<Organization>> set_plan(Core& c, const Actor& actor, OrgId org,
                                         std::string_view plan);

// --- members.cpp -------------------------------------------------------------

Result<Committed<Membership>> add_member(Core& c, const Actor& actor, OrgId org,
                                         const NewMember& member);
Result<Committed<Membership>> change_member_role(Core& c, const Actor& actor, OrgId org,
                                                 const UserId& user, std::string_view role);
Result<Committed<void>> remove_member(Core& c, const Actor& actor, OrgId org, const UserId& user);
Result<Committed<Membership>> set_member_department(Core& c, const Actor& actor, OrgId org,
                                                   const UserId& user,
                                                   std::string_view department);
Result<Committed<BulkResult>> change_member_roles(Core& c, const Actor& actor, OrgId org,
                                                  const std::vector<MemberRoleChange>& changes);
Result<Committed<BulkResult>> remove_members(Core& c, const Actor& actor, OrgId org,
                                             const std::vector<UserId>& users);
Result<Page<Membership>> list_members(Core& c, const Actor& actor, OrgId org,
                                      const MemberQuery& query);
Result<Membership> get_membership(Core& c, const Actor& actor, OrgId org, const UserId& user);
Result<Membership> find_member_by_email(Core& c, const Actor& actor, OrgId org,
                                        std::string_view email);
Result<Page<RosterEntry>> list_roster(Core& c, const Actor& actor, OrgId org,
                                      const RosterQuery& query);

// --- invitations.cpp / acceptance.cpp / csv_import.cpp -----------------------

Result<Committed<IssuedInvitation>> invite(Core& c, const Actor& actor, OrgId org,
                                           const InviteRequest& request);
Result<Committed<IssuedInvitation>> create_invite_link(Core& c, const Actor& actor, OrgId org,
                                                       std::string_view role, LinkExpiry expiry);
Result<Committed<AcceptedInvitation>> accept_invitation(Core& c, const Actor& invitee,
                                                        std::string_view token);
Result<InvitationPreview> preview_invitation(Core& c, std::string_view token,
                                             const TenantId& tenant);
Result<Committed<Invitation>> decline_invitation(Core& c, const Actor& invitee,
                                                 std::string_view token);
Result<Committed<IssuedInvitation>> resend_invitation(Core& c, const Actor& actor, OrgId org,
                                                      InvitationId invitation);
Result<Committed<Invitation>> revoke_invitation(Core& c, const Actor& actor, OrgId org,
                                                InvitationId invitation);
Result<Page<Invitation>> list_invitations(Core& c, const Actor& actor, OrgId org,
                                          const InvitationQuery& query);
Result<Committed<CsvImportResult>> import_invitations_csv(Core& c, const Actor& actor, OrgId org,
                                                          std::string_view csv,
                                                          const Service::CsvProgress& progress);

// --- roles.cpp ---------------------------------------------------------------

Result<Committed<CustomRole>> create_role(Core& c, const Actor& actor, OrgId org,
                                          const CustomRole& role);
Result<Committed<CustomRole>> update_role(Core& c, const Actor& actor, OrgId org,
                                          std::string_view name, const CustomRoleUpdate& update);
Result<Committed<void>> delete_role(Core& c, const Actor& actor, OrgId org, std::string_view name,
                                    std::optional<std::string> reassign_to);
Result<std::vector<RoleInfo>> list_roles(Core& c, const Actor& actor, OrgId org);

// --- api_keys.cpp ------------------------------------------------------------

Result<Committed<IssuedApiKey>> create_api_key(Core& c, const Actor& actor, OrgId org,
                                               const NewApiKey& key);
Result<std::vector<ApiKey>> list_api_keys(Core& c, const Actor& actor, OrgId org);
Result<Committed<ApiKey>> revoke_api_key(Core& c, const Actor& actor, OrgId org, ApiKeyId key);
Result<VerifiedApiKey> verify_api_key(Core& c, std::string_view presented);

// --- tenant_admin.cpp --------------------------------------------------------

Result<Page<Organization>> list_tenant_organizations(Core& c, const Actor& actor,
                                                     const OrganizationQuery& query);
Result<Committed<IssuedTenantKey>> create_tenant_key(Core& c, const Actor& actor,
                                                     const NewTenantKey& key);
Result<std::vector<TenantKey>> list_tenant_keys(Core& c, const Actor& actor);
Result<Committed<TenantKey>> revoke_tenant_key(Core& c, const Actor& actor, TenantKeyId key);
Result<VerifiedTenantKey> verify_tenant_key(Core& c, std::string_view presented,
                                            const TenantId& tenant);

// --- claims.cpp --------------------------------------------------------------

Result<Claims> claims(Core& c, const Actor& actor, const ClaimsOptions& options);

// --- checks.cpp --------------------------------------------------------------

Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission);
Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission,
                   const UserId& resource_owner);
Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission);
Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   const UserId& resource_owner);
Result<bool> check(Core& c, const Actor& actor, OrgId org, Permission permission,
                   Consistency consistency);
Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   const CommitToken& at_least);
Result<bool> check(Core& c, const VerifiedApiKey& key, std::string_view permission);
Result<bool> check(Core& c, const Actor& actor, OrgId org, std::string_view permission,
                   Consistency consistency);
Result<void> authorize(Core& c, const Actor& actor, OrgId org, std::string_view permission);

// --- audit.cpp ---------------------------------------------------------------

Result<Page<AuditEvent>> list_audit_events(Core& c, const Actor& actor, OrgId org,
                                           const AuditQuery& query);
Result<Page<AuditEvent>> list_tenant_audit_events(Core& c, const Actor& actor,
                                                  const AuditQuery& query);

}  // namespace orgkit::detail
