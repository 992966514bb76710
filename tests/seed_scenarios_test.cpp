// The five product documents in seeds/ as scenarios: each document's policy file in
// examples/policies/ is loaded as a host would load it, and the flows the document describes
// are replayed through the Service, checking the outcomes the document states (allowed paths
// succeed, denied paths fail with the specific error code). One TEST_CASE per document,
// tagged [seedNNN] and with the rule ids it exercises; plus standard.json == standard().
#include "support/test_support.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifndef ORGKIT_POLICY_DIR
#error "ORGKIT_POLICY_DIR must name examples/policies (tests/CMakeLists.txt defines it)"
#endif

using namespace orgkit;
using test::Fixture;

namespace {

PermissionPolicy load_policy(const std::string& file) {
  const std::string path = std::string(ORGKIT_POLICY_DIR) + "/" + file;
  INFO("policy file " << path);
  auto policy = PermissionPolicy::load(path);
  if (!policy) FAIL("PermissionPolicy::load: " << orgkit::to_string(policy.error()));
  return *policy;
}

Plan plan(std::string name, bool invitations) {
  Plan p;
  p.name = std::move(name);
  p.invitations = invitations;
  return p;
}

ServiceOptions options_for(PermissionPolicy policy, std::vector<Plan> plans = {},
                           std::string default_plan = {}) {
  ServiceOptions o;
  o.policy = std::move(policy);
  o.plans.plans = std::move(plans);
  o.plans.default_plan = std::move(default_plan);
  return o;
}

InviteRequest invitation(std::string email, std::string role, std::string message = {},
                         std::string department = {}) {
  InviteRequest r;
  r.email = std::move(email);
  r.role = std::move(role);
  r.message = std::move(message);
  r.department = std::move(department);
  return r;
}

// A user of the host with their own email address (default tenant).
Actor person(const std::string& id, const std::string& email, const std::string& name) {
  Actor a;
  a.id = UserId(id);
  a.email = email;
  a.display_name = name;
  return a;
}

NewMember as_member(const Actor& who, std::string role) {
  return {who.id, who.email, who.display_name, std::move(role)};
}

CustomRole custom_role(std::string name, int rank, std::vector<std::string> permissions) {
  CustomRole r;
  r.name = std::move(name);
  r.rank = rank;
  r.permissions = std::move(permissions);
  return r;
}

NewApiKey api_key(std::string name, std::string role) {
  NewApiKey k;
  k.name = std::move(name);
  k.role = std::move(role);
  return k;
}

// `who`'s role in `org`, read by `reader` (who needs members:read, or is `who`).
std::string role_of(Service& kit, const Actor& reader, OrgId org, const Actor& who) {
  auto m = kit.get_membership(reader, org, who.id);
  return m ? m->role : "<" + orgkit::to_string(m.error()) + ">";
}

bool allowed(Service& kit, const Actor& who, OrgId org, std::string_view permission) {
  auto r = kit.check(who, org, permission);
  REQUIRE_OK(r);
  return *r;
}

// P7: may `who` act with `permission` on a resource of `org` owned by `owner`?
bool allowed_on(Service& kit, const Actor& who, OrgId org, std::string_view permission,
                const Actor& owner) {
  auto p = kit.policy().permission(permission);
  REQUIRE_OK(p);
  auto r = kit.check(who, org, *p, owner.id);
  REQUIRE_OK(r);
  return *r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> role_names(const std::vector<RoleInfo>& roles) {
  std::vector<std::string> out;
  for (const auto& r : roles) out.push_back(r.name + (r.custom ? "*" : ""));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// examples/policies/standard.json
// ---------------------------------------------------------------------------------------

TEST_CASE("examples/policies/standard.json is PermissionPolicy::standard()", "[P1][P2][P3]") {
  const PermissionPolicy loaded = load_policy("standard.json");
  const PermissionPolicy& standard = PermissionPolicy::standard();
  CHECK(loaded.to_json() == standard.to_json());
  CHECK(loaded.name() == standard.name());
  CHECK(loaded.permission_names() == standard.permission_names());
  REQUIRE(loaded.roles().size() == standard.roles().size());
  for (std::size_t i = 0; i < standard.roles().size(); ++i) {
    const RoleDefinition& want = standard.roles()[i];
    const RoleDefinition& got = loaded.roles()[i];
    INFO("role " << want.name);
    CHECK(got.name == want.name);
    CHECK(got.rank == want.rank);
    CHECK(got.permissions == want.permissions);
    CHECK(got.owner == want.owner);
    CHECK(got.manages_peers == want.manages_peers);
  }
  for (const auto& name : standard.permission_names()) {
    auto p = loaded.permission(name);
    REQUIRE_OK(p);
    auto q = standard.permission(name);
    REQUIRE_OK(q);
    const OwnershipRule* a = loaded.ownership_rule_for(*p);
    const OwnershipRule* b = standard.ownership_rule_for(*q);
    INFO("permission " << name);
    REQUIRE((a == nullptr) == (b == nullptr));
    if (a != nullptr) {
      CHECK(loaded.permission_name(a->own) == standard.permission_name(b->own));
      CHECK(loaded.permission_name(a->all) == standard.permission_name(b->all));
    }
  }
  CHECK_FALSE(loaded.member_rules().role_changes.has_value());
  CHECK_FALSE(loaded.member_rules().removable_roles.has_value());
  CHECK_FALSE(loaded.member_rules().leaving_roles.has_value());
}

TEST_CASE("every seed policy file loads, has one owner role and round-trips through JSON",
          "[P1][P2][P5][seed000][seed001][seed002][seed003][seed004]") {
  const std::pair<const char*, const char*> files[] = {
      {"000_mixedbread.json", "000-mixedbread"},
      {"001_mindee_roles.json", "001-mindee-roles"},
      {"002_mindee_accounts.json", "002-mindee-accounts"},
      {"003_tenant_orgs.json", "003-tenant-orgs"},
      {"004_mixus.json", "004-mixus"}};
  for (const auto& [file, name] : files) {
    INFO(file);
    const PermissionPolicy p = load_policy(file);
    CHECK(p.name() == name);
    int owners = 0;
    for (const auto& r : p.roles()) owners += r.owner ? 1 : 0;
    CHECK(owners == 1);
    CHECK(p.owner_role().name == "owner");
    CHECK(p.owner_role().permissions == p.all_permissions());
    auto again = PermissionPolicy::from_json(p.to_json());
    REQUIRE_OK(again);
    CHECK(again->to_json() == p.to_json());
    // None of them is the standard policy under another name.
    CHECK(p.to_json() != PermissionPolicy::standard().to_json());
  }
  // A file that is not there is a clear error, not a default policy.
  auto missing = PermissionPolicy::load(std::string(ORGKIT_POLICY_DIR) + "/no_such_seed.json");
  REQUIRE_ERROR(missing, ErrorCode::invalid_argument);
  CHECK(missing.error().field == "path");
}

// ---------------------------------------------------------------------------------------
// seeds/000: Mixedbread. Owner / admin / member; admins manage all resources and members
// but cannot modify billing or transfer ownership; members manage their own resources.
// ---------------------------------------------------------------------------------------

TEST_CASE("seed 000 (Mixedbread): admins manage resources and members, not billing or ownership",
          "[seed000][P1][P3][P4][P7][O1][O2][O8][I1][I2][A1][E2]") {
  const PermissionPolicy policy = load_policy("000_mixedbread.json");
  REQUIRE(policy.roles().size() == 3);
  CHECK(policy.find_role("viewer") == nullptr);
  Fixture f(options_for(policy, {plan("free", true), plan("enterprise", true)}, "free"));
  Service& kit = *f.kit;
  const Actor owner = Fixture::user("owner");
  const Actor admin = Fixture::user("admin");
  const Actor member = Fixture::user("member");
  const Actor other = Fixture::user("other");

  // "When you first sign up, an organization is automatically created for you ... uses your
  // account name ... your personal workspace" (O2).
  auto personal = kit.ensure_personal_organization(owner);
  REQUIRE_OK(personal);
  CHECK(personal->personal);
  CHECK(personal->name == owner.display_name);
  CHECK(role_of(kit, owner, personal->id, owner) == "owner");
  auto again = kit.ensure_personal_organization(owner);
  REQUIRE_OK(again);
  CHECK(again->id == personal->id);
  REQUIRE_ERROR(kit.invite(owner, personal->id, invitation(member.email, "member")),
                ErrorCode::conflict);

  // "Provide an organization name and organization slug"; the slug identifies it (O1).
  NewOrganization spec;
  spec.name = "Acme Production";
  spec.slug = "acme-production";
  auto created = kit.create_organization(owner, spec);
  REQUIRE_OK(created);
  const OrgId org = created->id;
  CHECK(created->slug == "acme-production");
  CHECK_FALSE(created->personal);
  CHECK(role_of(kit, owner, org, owner) == "owner");
  {
    NewOrganization twin = spec;
    twin.name = "Acme Again";
    auto dup = kit.create_organization(other, twin);
    REQUIRE_ERROR(dup, ErrorCode::already_exists);
    CHECK(dup.error().field == "slug");
    NewOrganization bad = spec;
    bad.slug = "Acme_Production";
    auto malformed = kit.create_organization(other, bad);
    REQUIRE_ERROR(malformed, ErrorCode::invalid_argument);
    CHECK(malformed.error().field == "slug");
  }

  // "Enter the email address ... select their role ... send the invitation. Invited users
  // receive an email with a link ... They must accept the invitation to gain access."
  auto invited = kit.invite(owner, org, invitation(admin.email, "admin"));
  REQUIRE_OK(invited);
  REQUIRE(f.notifier->messages().size() == 1);
  CHECK(f.notifier->messages().back().to == admin.email);
  CHECK(contains(f.notifier->messages().back().body, invited->accept_url));
  REQUIRE_ERROR(kit.get_organization(admin, org), ErrorCode::not_found);  // not yet accepted
  auto accepted = kit.accept_invitation(admin, invited->token);
  REQUIRE_OK(accepted);
  CHECK(accepted->membership.role == "admin");
  REQUIRE_OK(kit.get_organization(admin, org));

  // Admin: "Add/remove members, change roles" (within the rank rule, P4).
  REQUIRE_OK(kit.add_member(admin, org, as_member(member, "member")));
  REQUIRE_OK(kit.add_member(admin, org, as_member(other, "member")));
  REQUIRE_OK(kit.change_member_role(admin, org, other.id, "admin"));
  CHECK(role_of(kit, owner, org, other) == "admin");
  REQUIRE_ERROR(kit.change_member_role(admin, org, other.id, "member"),
                ErrorCode::permission_denied);  // a peer admin
  REQUIRE_ERROR(kit.change_member_role(admin, org, owner.id, "member"),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.add_member(admin, org, as_member(Fixture::user("x"), "owner")),
                ErrorCode::permission_denied);
  REQUIRE_OK(kit.change_member_role(owner, org, other.id, "member"));
  REQUIRE_OK(kit.remove_member(admin, org, other.id));
  auto listed = kit.list_members(admin, org);
  REQUIRE_OK(listed);
  CHECK(listed->items.size() == 3);

  // Admin: "Cannot modify billing or transfer ownership" (the Settings column is a cross).
  auto billing = kit.set_plan(admin, org, "enterprise");
  REQUIRE_ERROR(billing, ErrorCode::permission_denied);
  CHECK(contains(billing.error().message, "billing:manage"));
  auto transfer = kit.transfer_ownership(admin, org, member.id);
  REQUIRE_ERROR(transfer, ErrorCode::permission_denied);
  CHECK(contains(transfer.error().message, "ownership:transfer"));
  REQUIRE_ERROR(kit.delete_organization(admin, org), ErrorCode::permission_denied);
  OrganizationUpdate rename;
  rename.name = "Acme Prod";
  REQUIRE_ERROR(kit.update_organization(admin, org, rename), ErrorCode::permission_denied);
  CHECK_FALSE(allowed(kit, admin, org, "billing:manage"));
  CHECK_FALSE(allowed(kit, admin, org, "ownership:transfer"));

  // Owner: full control of settings.
  auto renamed = kit.update_organization(owner, org, rename);
  REQUIRE_OK(renamed);
  CHECK(renamed->name == "Acme Prod");
  auto upgraded = kit.set_plan(owner, org, "enterprise");
  REQUIRE_OK(upgraded);
  CHECK(upgraded->plan == "enterprise");

  // Resources (P7): admins "create and manage all resources", members "own resources".
  CHECK(allowed(kit, member, org, "resources:create"));
  CHECK(allowed_on(kit, member, org, "resources:manage_own", member));
  CHECK_FALSE(allowed_on(kit, member, org, "resources:manage_own", admin));
  CHECK_FALSE(allowed_on(kit, member, org, "resources:manage_all", admin));
  CHECK(allowed_on(kit, admin, org, "resources:manage_all", member));
  CHECK(allowed_on(kit, admin, org, "resources:manage_own", member));  // "all" covers "own"
  CHECK(allowed_on(kit, owner, org, "resources:manage_own", member));

  // Member: "no access" to members or settings.
  REQUIRE_ERROR(kit.list_members(member, org), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.invite(member, org, invitation("new@example.com", "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.add_member(member, org, as_member(Fixture::user("y"), "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.remove_member(member, org, admin.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.update_organization(member, org, rename), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.set_plan(member, org, "free"), ErrorCode::permission_denied);
  CHECK(role_of(kit, member, org, member) == "member");  // one's own membership is readable

  // Bad input: a role this document does not have, a malformed email.
  auto viewer = kit.add_member(owner, org, as_member(Fixture::user("v"), "viewer"));
  REQUIRE_ERROR(viewer, ErrorCode::not_found);
  CHECK(viewer.error().field == "role");
  auto bad_email = kit.invite(admin, org, invitation("colleague@", "member"));
  REQUIRE_ERROR(bad_email, ErrorCode::invalid_argument);
  CHECK(bad_email.error().field == "email");

  // Ownership transfer: the owner can (O8); the new owner is the admin, the old one steps
  // down to admin and then cannot transfer any more.
  REQUIRE_OK(kit.transfer_ownership(owner, org, admin.id));
  CHECK(role_of(kit, admin, org, admin) == "owner");
  CHECK(role_of(kit, admin, org, owner) == "admin");
  REQUIRE_ERROR(kit.transfer_ownership(owner, org, member.id), ErrorCode::permission_denied);
  const auto actions = f.actions(admin, org);
  REQUIRE_FALSE(actions.empty());
  CHECK(actions.front() == "ownership.transferred");
}

// ---------------------------------------------------------------------------------------
// seeds/001: Mindee roles. Admins manage members except owners/admins and edit settings;
// members can only view/review executions; invitations need the Pro plan or above.
// ---------------------------------------------------------------------------------------

TEST_CASE("seed 001 (Mindee roles): admins cannot edit other admins, members only view/review",
          "[seed001][P1][P2][P3][P4][O1][O2][O4][I1][I7][A1][E2]") {
  const PermissionPolicy policy = load_policy("001_mindee_roles.json");
  REQUIRE(policy.roles().size() == 3);
  Fixture f(options_for(policy,
                        {plan("free", false), plan("pro", true), plan("enterprise", true)},
                        "free"));
  Service& kit = *f.kit;
  const Actor owner = Fixture::user("owner");
  const Actor admin = Fixture::user("admin");
  const Actor member = Fixture::user("member");
  const Actor reviewer = Fixture::user("reviewer");
  const Actor stranger = Fixture::user("stranger");

  // "The creator of an organization is always set as its owner automatically"; the
  // organization ID is generated (read-only).
  NewOrganization spec;
  spec.name = "Mindee Team";
  auto created = kit.create_organization(owner, spec);
  REQUIRE_OK(created);
  const OrgId org = created->id;
  CHECK(org.valid());
  CHECK(role_of(kit, owner, org, owner) == "owner");
  CHECK(created->plan == "free");

  // "Standalone users are considered owners by default."
  const Actor solo = Fixture::user("solo");
  auto personal = kit.ensure_personal_organization(solo);
  REQUIRE_OK(personal);
  auto mine = kit.my_organizations(solo);
  REQUIRE_OK(mine);
  REQUIRE(mine->size() == 1);
  CHECK(mine->front().role == "owner");

  // "You can only invite members ... if you have the Pro plan or above" (I7).
  auto on_free = kit.invite(owner, org, invitation(admin.email, "admin"));
  REQUIRE_ERROR(on_free, ErrorCode::permission_denied);
  CHECK(on_free.error().field == "plan");
  REQUIRE_OK(kit.set_plan(owner, org, "pro"));
  auto invited = kit.invite(owner, org, invitation(admin.email, "admin"));
  REQUIRE_OK(invited);
  REQUIRE_OK(kit.accept_invitation(admin, invited->token));
  CHECK(role_of(kit, owner, org, admin) == "admin");

  // Admin: "edit settings" (organization name) but billing stays with the owner.
  OrganizationUpdate rename;
  rename.name = "Mindee Ops";
  auto renamed = kit.update_organization(admin, org, rename);
  REQUIRE_OK(renamed);
  CHECK(renamed->name == "Mindee Ops");
  REQUIRE_ERROR(kit.set_plan(admin, org, "enterprise"), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.transfer_ownership(admin, org, member.id), ErrorCode::permission_denied);

  // "Add a Member / Update Member Role / Remove Member: role required admin or owner."
  REQUIRE_OK(kit.add_member(admin, org, as_member(member, "member")));
  REQUIRE_OK(kit.add_member(admin, org, as_member(reviewer, "member")));
  REQUIRE_OK(kit.invite(admin, org, invitation("new@example.com", "member")));
  REQUIRE_OK(kit.change_member_role(admin, org, reviewer.id, "admin"));  // member -> admin
  CHECK(role_of(kit, owner, org, reviewer) == "admin");

  // "Admins cannot promote, edit, or remove owners or other admins" (P4).
  auto edit_admin = kit.change_member_role(admin, org, reviewer.id, "member");
  REQUIRE_ERROR(edit_admin, ErrorCode::permission_denied);
  CHECK(edit_admin.error().field == "user_id");
  REQUIRE_ERROR(kit.remove_member(admin, org, reviewer.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.change_member_role(admin, org, owner.id, "admin"),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.remove_member(admin, org, owner.id), ErrorCode::permission_denied);
  auto to_owner = kit.change_member_role(admin, org, member.id, "owner");
  REQUIRE_ERROR(to_owner, ErrorCode::permission_denied);
  CHECK(to_owner.error().field == "role");
  REQUIRE_ERROR(kit.invite(admin, org, invitation("boss@example.com", "owner")),
                ErrorCode::permission_denied);
  CHECK(role_of(kit, owner, org, reviewer) == "admin");
  CHECK(role_of(kit, owner, org, owner) == "owner");
  CHECK(role_of(kit, owner, org, member) == "member");

  // The owner demotes and promotes admins, but "Remove Member: ... except for existing
  // owners or admins (cannot be removed as per restrictions)": not even the owner removes an
  // admin; demoted to member first, they can be.
  REQUIRE_OK(kit.change_member_role(owner, org, reviewer.id, "member"));
  REQUIRE_OK(kit.change_member_role(owner, org, reviewer.id, "admin"));
  auto remove_admin = kit.remove_member(owner, org, reviewer.id);
  REQUIRE_ERROR(remove_admin, ErrorCode::permission_denied);
  CHECK(remove_admin.error().field == "user_id");
  REQUIRE_OK(kit.change_member_role(owner, org, reviewer.id, "member"));
  REQUIRE_OK(kit.remove_member(owner, org, reviewer.id));
  // ... and admins remove members.
  const Actor temp = Fixture::user("temp");
  REQUIRE_OK(kit.add_member(owner, org, as_member(temp, "member")));
  REQUIRE_OK(kit.remove_member(admin, org, temp.id));

  // Members "can only view/review executions".
  CHECK(allowed(kit, member, org, "executions:read"));
  CHECK(allowed(kit, member, org, "executions:review"));
  CHECK(allowed(kit, admin, org, "executions:review"));
  CHECK_FALSE(allowed(kit, member, org, "members:invite"));
  CHECK_FALSE(allowed(kit, member, org, "org:update"));
  REQUIRE_ERROR(kit.invite(member, org, invitation("x@example.com", "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.add_member(member, org, as_member(Fixture::user("x"), "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.change_member_role(member, org, admin.id, "member"),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.remove_member(member, org, admin.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.list_members(member, org), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.update_organization(member, org, rename), ErrorCode::permission_denied);

  // "A user must be explicitly added to an organization to access it."
  REQUIRE_ERROR(kit.get_organization(stranger, org), ErrorCode::not_found);
  CHECK_FALSE(allowed(kit, stranger, org, "executions:read"));

  // Bad input: a role, a name, a permission and an email that do not fit.
  auto no_role = kit.change_member_role(owner, org, member.id, "reviewer");
  REQUIRE_ERROR(no_role, ErrorCode::not_found);
  CHECK(no_role.error().field == "role");
  OrganizationUpdate blank;
  blank.name = "   ";
  auto blank_name = kit.update_organization(admin, org, blank);
  REQUIRE_ERROR(blank_name, ErrorCode::invalid_argument);
  CHECK(blank_name.error().field == "name");
  auto unknown = kit.check(member, org, "executions:approve");
  REQUIRE_ERROR(unknown, ErrorCode::invalid_argument);
  CHECK(unknown.error().field == "permission");
  REQUIRE_ERROR(kit.invite(owner, org, invitation("not-an-email", "member")),
                ErrorCode::invalid_argument);

  // Every change is audited; admins read the trail (A1).
  const auto actions = f.actions(admin, org);
  CHECK(std::count(actions.begin(), actions.end(), "member.role_changed") == 4);  // one more: the demotion before the removal
  CHECK(std::count(actions.begin(), actions.end(), "member.removed") == 2);
  CHECK(std::count(actions.begin(), actions.end(), "organization.plan_changed") == 1);
}

// seeds/001, "Manage Team Members": the member table, with a row per member and per person
// invited and not yet joined, found by email, and the trail of role updates.
TEST_CASE("seed 001 (Mindee roles): the team members table shows name, email, role and status",
          "[seed001][issue8][I4][I2][P3][A1]") {
  const PermissionPolicy policy = load_policy("001_mindee_roles.json");
  Fixture f(options_for(policy, {plan("free", false), plan("pro", true)}, "free"));
  Service& kit = *f.kit;
  const Actor owner = person("u-olivia", "olivia@mindee.example", "Olivia Owner");
  const Actor admin = person("u-adam", "adam@mindee.example", "Adam Admin");
  const Actor member = person("u-mia", "mia@mindee.example", "Mia Member");
  NewOrganization spec;
  spec.name = "Mindee Team";
  auto created = kit.create_organization(owner, spec);
  REQUIRE_OK(created);
  const OrgId org = created->id;
  REQUIRE_OK(kit.set_plan(owner, org, "pro"));
  auto admin_invite = kit.invite(owner, org, invitation(admin.email, "admin"));
  REQUIRE_OK(admin_invite);
  REQUIRE_OK(kit.accept_invitation(admin, admin_invite->token));
  REQUIRE_OK(kit.add_member(admin, org, as_member(member, "member")));
  // "Invite Member: Use the Invite Member button to add a new user by email."
  REQUIRE_OK(kit.invite(admin, org, invitation("Nina@Mindee.example", "member")));

  // "The Team Members section lists all users who belong to your organization, along with
  // their: Name & Email – displayed for clarity. Role – owner, admin or member. Status –
  // shows as Active for members with access."
  auto table = kit.list_roster(admin, org);
  REQUIRE_OK(table);
  std::vector<std::string> shown;
  for (const auto& row : table->items) {
    shown.push_back(row.display_name + " <" + row.email + "> " + row.role + " " +
                    std::string(to_string(row.status)));
  }
  CHECK(shown == std::vector<std::string>{
                     "Adam Admin <adam@mindee.example> admin active",
                     "Mia Member <mia@mindee.example> member active",
                     "Olivia Owner <olivia@mindee.example> owner active",
                     " <Nina@Mindee.example> member pending",
                 });
  CHECK_FALSE(table->next_cursor);
  // Two rows a page: the table pages across members and invitations alike.
  RosterQuery two;
  two.limit = 2;
  std::vector<std::string> paged;
  for (int n = 0; n < 5; ++n) {
    auto page = kit.list_roster(owner, org, two);
    REQUIRE_OK(page);
    for (const auto& row : page->items) paged.push_back(row.email);
    if (!page->next_cursor) break;
    two.cursor = *page->next_cursor;
  }
  CHECK(paged == std::vector<std::string>{"adam@mindee.example", "mia@mindee.example",
                                          "olivia@mindee.example", "Nina@Mindee.example"});
  // Members "can only view/review executions": no member table for them, but they can find
  // their own row.
  REQUIRE_ERROR(kit.list_roster(member, org), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.find_member_by_email(member, org, "adam@mindee.example"),
                ErrorCode::permission_denied);
  REQUIRE_OK(kit.find_member_by_email(member, org, "MIA@mindee.example"));

  // Find a member by the email shown; an invitee is not a member until they join.
  auto mia = kit.find_member_by_email(admin, org, " Mia@Mindee.Example ");
  REQUIRE_OK(mia);
  CHECK(mia->user == member.id);
  auto nina = kit.find_member_by_email(admin, org, "nina@mindee.example");
  REQUIRE_ERROR(nina, ErrorCode::not_found);
  CHECK(nina.error().field == "email");
  REQUIRE_ERROR(kit.find_member_by_email(admin, org, "nina"), ErrorCode::invalid_argument);

  // "Update Role: If you are owner or admin, you can change a member’s role"; the trail,
  // filtered to role changes of that member, shows who did it.
  REQUIRE_OK(kit.change_member_role(admin, org, member.id, "admin"));
  REQUIRE_OK(kit.change_member_role(owner, org, member.id, "member"));
  AuditQuery role_changes;
  role_changes.action = "member.role_changed";
  role_changes.target = member.id.value();
  auto trail = kit.list_audit_events(admin, org, role_changes);
  REQUIRE_OK(trail);
  REQUIRE(trail->items.size() == 2);
  CHECK(trail->items[0].actor == owner.id);
  CHECK(trail->items[1].actor == admin.id);
  AuditQuery invites;
  invites.action = "invitation.created";
  auto invited = kit.list_audit_events(owner, org, invites);
  REQUIRE_OK(invited);
  CHECK(invited->items.size() == 2);  // Adam, then Nina
  REQUIRE_ERROR(kit.list_audit_events(member, org, role_changes), ErrorCode::permission_denied);

  // Once Nina joins, her row shows as Active.
  const Actor nina_user = person("u-nina", "nina@mindee.example", "Nina New");
  InvitationQuery pending;
  pending.state = InvitationState::pending;
  auto open = kit.list_invitations(admin, org, pending);
  REQUIRE_OK(open);
  REQUIRE(open->items.size() == 1);
  auto resent = kit.resend_invitation(admin, org, open->items[0].id);
  REQUIRE_OK(resent);
  REQUIRE_OK(kit.accept_invitation(nina_user, resent->token));
  auto after = kit.list_roster(admin, org);
  REQUIRE_OK(after);
  REQUIRE(after->items.size() == 4);
  CHECK(std::all_of(after->items.begin(), after->items.end(),
                    [](const RosterEntry& r) { return r.status == RosterStatus::active; }));
  auto joined = kit.find_member_by_email(admin, org, "NINA@mindee.example");
  REQUIRE_OK(joined);
  CHECK(joined->user == nina_user.id);
}

// ---------------------------------------------------------------------------------------
// seeds/002: Mindee accounts. Personal accounts cannot invite; organizations with legal and
// contact details; member -> admin is the only self-service role change; admins are
// demoted or removed only by support; API keys at organization level; leaving.
// ---------------------------------------------------------------------------------------

TEST_CASE("seed 002 (Mindee accounts): personal accounts cannot invite, admin demotion is not "
          "self-service",
          "[seed002][P5][P9][P10][O1][O2][O3][O4][O6][O7][I1][I2][E2]") {
  const PermissionPolicy policy = load_policy("002_mindee_accounts.json");
  CHECK(policy.role_change_allowed("member", "admin"));
  CHECK_FALSE(policy.role_change_allowed("admin", "member"));
  CHECK(policy.removal_allowed("member"));
  CHECK_FALSE(policy.removal_allowed("admin"));
  Fixture f(options_for(policy, {plan("starter", true), plan("business", true)}, "starter"));
  Service& kit = *f.kit;
  const Actor owner = Fixture::user("owner");
  const Actor admin = Fixture::user("admin");
  const Actor member = Fixture::user("member");
  const Actor carol = Fixture::user("carol");
  const Actor dave = Fixture::user("dave");

  // "Your first Mindee account is a personal account: you cannot invite any member" (O2).
  auto personal = kit.ensure_personal_organization(owner);
  REQUIRE_OK(personal);
  CHECK(personal->personal);
  auto no_invite = kit.invite(owner, personal->id, invitation(member.email, "member"));
  REQUIRE_ERROR(no_invite, ErrorCode::conflict);
  CHECK(no_invite.error().field == "org_id");
  REQUIRE_ERROR(kit.add_member(owner, personal->id, as_member(member, "member")),
                ErrorCode::conflict);
  REQUIRE_ERROR(kit.create_invite_link(owner, personal->id, "member", LinkExpiry::one_day),
                ErrorCode::conflict);

  // "To do so, you need to create an organization": account name, legal name, alerting and
  // invoicing email.
  NewOrganization spec;
  spec.name = "Mindee Demo";
  spec.legal_name = "Mindee SAS";
  spec.alerting_email = "alerts@mindee.example";
  spec.invoicing_email = "invoices@mindee.example";
  auto created = kit.create_organization(owner, spec);
  REQUIRE_OK(created);
  const OrgId org = created->id;
  CHECK(created->legal_name == "Mindee SAS");
  CHECK(created->alerting_email == "alerts@mindee.example");
  CHECK(created->invoicing_email == "invoices@mindee.example");
  {
    NewOrganization bad = spec;
    bad.alerting_email = "alerts-at-mindee";
    auto r = kit.create_organization(owner, bad);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == "alerting_email");
  }

  // "Select the role you want to give the member either Admin or member role": not owner,
  // by invitation, by adding or by link; ownership moves only by transfer.
  {
    auto as_owner = kit.invite(owner, org, invitation("boss@example.com", "owner"));
    REQUIRE_ERROR(as_owner, ErrorCode::permission_denied);
    CHECK(as_owner.error().field == "role");
    auto added = kit.add_member(owner, org, as_member(Fixture::user("boss"), "owner"));
    REQUIRE_ERROR(added, ErrorCode::permission_denied);
    CHECK(added.error().field == "role");
    REQUIRE_ERROR(kit.create_invite_link(owner, org, "owner", LinkExpiry::one_day),
                  ErrorCode::permission_denied);
    REQUIRE_OK(kit.create_invite_link(owner, org, "admin", LinkExpiry::one_day));
  }

  // "Users can create multiple organizations ... switch from one organization to another."
  NewOrganization labs_spec;
  labs_spec.name = "Mindee Labs";
  auto labs = kit.create_organization(owner, labs_spec);
  REQUIRE_OK(labs);
  auto mine = kit.my_organizations(owner);
  REQUIRE_OK(mine);
  REQUIRE(mine->size() == 3);
  for (const auto& mo : *mine) CHECK(mo.role == "owner");
  REQUIRE_OK(kit.set_active_organization(owner, labs->id));
  mine = kit.my_organizations(owner);
  REQUIRE_OK(mine);
  CHECK(mine->front().organization.id == labs->id);
  CHECK(mine->front().active);
  REQUIRE_OK(kit.set_active_organization(owner, org));
  auto active = kit.active_organization(owner);
  REQUIRE_OK(active);
  CHECK(*active == std::optional<OrgId>(org));

  // "Add a member": the email address and the Admin or Member role; an invitation is sent.
  auto to_admin = kit.invite(owner, org, invitation(admin.email, "admin"));
  REQUIRE_OK(to_admin);
  REQUIRE_OK(kit.accept_invitation(admin, to_admin->token));
  auto to_member = kit.invite(admin, org, invitation(member.email, "member"));
  REQUIRE_OK(to_member);
  REQUIRE(f.notifier->messages().size() == 2);
  CHECK(f.notifier->messages().back().to == member.email);
  REQUIRE_OK(kit.accept_invitation(member, to_member->token));
  auto listed = kit.list_members(member, org);  // members see the members overview
  REQUIRE_OK(listed);
  CHECK(listed->items.size() == 3);

  // "Editing Organization Account Profile": legal name, alerting and invoicing email.
  OrganizationUpdate profile;
  profile.legal_name = "Mindee SAS (France)";
  profile.alerting_email = "ops@mindee.example";
  profile.invoicing_email = "";
  auto edited = kit.update_organization(admin, org, profile);
  REQUIRE_OK(edited);
  CHECK(edited->legal_name == "Mindee SAS (France)");
  CHECK(edited->alerting_email == "ops@mindee.example");
  CHECK(edited->invoicing_email.empty());
  REQUIRE_ERROR(kit.update_organization(member, org, profile), ErrorCode::permission_denied);

  // Admins "manage ... billing across the different organizations".
  auto billed = kit.set_plan(admin, org, "business");
  REQUIRE_OK(billed);
  CHECK(billed->plan == "business");
  REQUIRE_ERROR(kit.set_plan(member, org, "starter"), ErrorCode::permission_denied);

  // "You can only update the permission of members who have the Member role ... give an
  // Admin role" (P5).
  REQUIRE_OK(kit.change_member_role(admin, org, member.id, "admin"));
  CHECK(role_of(kit, owner, org, member) == "admin");

  // "From Admin role to Member role you'll need to contact the support team": nobody in the
  // organization can, the owner included.
  auto demote = kit.change_member_role(owner, org, member.id, "member");
  REQUIRE_ERROR(demote, ErrorCode::permission_denied);
  CHECK(demote.error().field == "role");
  CHECK(contains(demote.error().message, "contact support"));
  REQUIRE_ERROR(kit.change_member_role(owner, org, admin.id, "member"),
                ErrorCode::permission_denied);
  CHECK(role_of(kit, owner, org, member) == "admin");

  // "To remove members who have admin roles, you'll have to contact the support team."
  auto remove_admin = kit.remove_member(owner, org, member.id);
  REQUIRE_ERROR(remove_admin, ErrorCode::permission_denied);
  CHECK(remove_admin.error().field == "user_id");
  REQUIRE_ERROR(kit.remove_member(admin, org, member.id), ErrorCode::permission_denied);
  CHECK(role_of(kit, owner, org, member) == "admin");

  // Removing a member (role Member) is self-service.
  REQUIRE_OK(kit.add_member(admin, org, as_member(carol, "member")));
  REQUIRE_OK(kit.remove_member(admin, org, carol.id));
  REQUIRE_ERROR(kit.get_membership(owner, org, carol.id), ErrorCode::not_found);

  // "You cannot change a member's email directly ... remove the member ... and add the member
  // back with the right email" (P10).
  REQUIRE_OK(kit.add_member(admin, org, {dave.id, "dave@exmaple.com", "Dave", "member"}));
  auto twice = kit.add_member(admin, org, as_member(dave, "member"));
  REQUIRE_ERROR(twice, ErrorCode::already_exists);
  CHECK(twice.error().field == "user_id");
  REQUIRE_OK(kit.remove_member(admin, org, dave.id));
  REQUIRE_OK(kit.add_member(admin, org, as_member(dave, "member")));
  auto fixed = kit.get_membership(owner, org, dave.id);
  REQUIRE_OK(fixed);
  CHECK(fixed->email == dave.email);

  // "At the organizational level, you can create and manage your API keys. These API keys
  // can be accessed by members of your organization" (P9).
  auto key = kit.create_api_key(admin, org, api_key("Production", "member"));
  REQUIRE_OK(key);
  CHECK_FALSE(key->secret.empty());
  auto verified = kit.verify_api_key(key->secret);
  REQUIRE_OK(verified);
  CHECK(verified->key.org == org);
  CHECK(verified->key.role == "member");
  CHECK(verified->allows("apis:use"));
  CHECK_FALSE(verified->allows("members:invite"));
  CHECK(allowed(kit, dave, org, "apis:use"));
  auto keys = kit.list_api_keys(owner, org);
  REQUIRE_OK(keys);
  CHECK(keys->size() == 1);
  auto seen_by_member = kit.list_api_keys(dave, org);  // "accessed by members"
  REQUIRE_OK(seen_by_member);
  CHECK(seen_by_member->size() == 1);
  REQUIRE_ERROR(kit.create_api_key(dave, org, api_key("Mine", "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.create_api_key(admin, org, api_key("Root", "owner")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.create_api_key(admin, org, api_key("   ", "member")),
                ErrorCode::invalid_argument);
  REQUIRE_OK(kit.revoke_api_key(admin, org, key->key.id));
  REQUIRE_ERROR(kit.verify_api_key(key->secret), ErrorCode::revoked);

  // Bad input: a role this document does not have.
  auto viewer = kit.change_member_role(admin, org, dave.id, "viewer");
  REQUIRE_ERROR(viewer, ErrorCode::not_found);
  CHECK(viewer.error().field == "role");

  // "Leaving an Organization": members and admins leave on their own; the last owner must
  // transfer ownership first (O7).
  REQUIRE_OK(kit.leave_organization(dave, org));
  REQUIRE_OK(kit.leave_organization(admin, org));
  auto last_owner = kit.leave_organization(owner, org);
  REQUIRE_ERROR(last_owner, ErrorCode::conflict);
  CHECK(contains(last_owner.error().message, "last owner"));
  REQUIRE_OK(kit.transfer_ownership(owner, org, member.id));
  CHECK(role_of(kit, member, org, member) == "owner");
  REQUIRE_OK(kit.leave_organization(owner, org));
  mine = kit.my_organizations(owner);
  REQUIRE_OK(mine);
  CHECK(mine->size() == 2);  // the personal account and Mindee Labs
  active = kit.active_organization(owner);
  REQUIRE_OK(active);
  CHECK_FALSE(active->has_value());
}

// ---------------------------------------------------------------------------------------
// seeds/003: organizations inside a tenant. Each organization has its own members and
// defines its own roles; memberships and roles go into access-token claims; invitations
// can be listed with their expiry, resent and revoked.
// ---------------------------------------------------------------------------------------

TEST_CASE("seed 003 (tenant organizations): organization roles are defined per organization",
          "[seed003][P6][P8][O1][O3][O5][O9][I1][I2][I4][E2]") {
  const PermissionPolicy policy = load_policy("003_tenant_orgs.json");
  Fixture f(options_for(policy));
  Service& kit = *f.kit;
  const Actor alice = Fixture::user("alice", "acme");
  const Actor bob = Fixture::user("bob", "acme");
  const Actor carol = Fixture::user("carol", "acme");
  const Actor dave = Fixture::user("dave", "acme");
  const Actor eve = Fixture::user("eve", "globex");

  // "Enter a name and optional description"; one tenant, several organizations.
  NewOrganization eng_spec;
  eng_spec.name = "Engineering";
  eng_spec.description = "Platform and product engineering";
  auto eng_org = kit.create_organization(alice, eng_spec);
  REQUIRE_OK(eng_org);
  const OrgId eng = eng_org->id;
  CHECK(eng_org->slug == "engineering");
  CHECK(eng_org->description == "Platform and product engineering");
  const OrgId fin = f.org(alice, "Finance").id;

  // Another tenant: the same slug is free there, and nothing of acme is visible (O9).
  NewOrganization globex_spec;
  globex_spec.name = "Engineering";
  auto globex = kit.create_organization(eve, globex_spec);
  REQUIRE_OK(globex);
  CHECK(globex->slug == "engineering");
  REQUIRE_ERROR(kit.get_organization(eve, eng), ErrorCode::not_found);
  REQUIRE_ERROR(kit.list_members(eve, eng), ErrorCode::not_found);
  REQUIRE_ERROR(kit.add_member(eve, eng, as_member(eve, "member")), ErrorCode::not_found);

  // "Add Member: search for a user ... assign an organization role."
  REQUIRE_OK(kit.add_member(alice, eng, as_member(bob, "admin")));
  REQUIRE_OK(kit.add_member(alice, fin, as_member(bob, "member")));

  // "Roles tab > Add Role and give it a name. You can then assign that role to any member
  // of the organization" (P6). Engineering defines a viewer; Finance an auditor.
  auto viewer = kit.create_role(bob, eng, custom_role("viewer", 10, {"members:read",
                                                                     "resources:read"}));
  REQUIRE_OK(viewer);
  CHECK(viewer->permissions == std::vector<std::string>{"members:read", "resources:read"});
  REQUIRE_ERROR(kit.create_role(bob, fin, custom_role("auditor", 30, {"audit:read"})),
                ErrorCode::permission_denied);  // bob is a plain member of Finance
  REQUIRE_OK(kit.create_role(alice, fin, custom_role("auditor", 30, {"members:read",
                                                                     "audit:read"})));
  auto eng_roles = kit.list_roles(bob, eng);
  REQUIRE_OK(eng_roles);
  CHECK(role_names(*eng_roles) ==
        std::vector<std::string>{"owner", "admin", "member", "viewer*"});
  auto fin_roles = kit.list_roles(bob, fin);
  REQUIRE_OK(fin_roles);
  CHECK(role_names(*fin_roles) ==
        std::vector<std::string>{"owner", "admin", "member", "auditor*"});

  REQUIRE_OK(kit.add_member(bob, eng, as_member(carol, "viewer")));
  CHECK(allowed(kit, carol, eng, "resources:read"));
  CHECK_FALSE(allowed(kit, carol, eng, "resources:create"));
  // Scoped to one organization: Finance has no viewer, Engineering no auditor.
  auto elsewhere = kit.add_member(alice, fin, as_member(carol, "viewer"));
  REQUIRE_ERROR(elsewhere, ErrorCode::not_found);
  CHECK(elsewhere.error().field == "role");
  REQUIRE_ERROR(kit.change_member_role(bob, eng, carol.id, "auditor"), ErrorCode::not_found);
  REQUIRE_OK(kit.add_member(alice, fin, as_member(carol, "auditor")));
  CHECK(allowed(kit, carol, fin, "audit:read"));
  CHECK_FALSE(allowed(kit, carol, eng, "audit:read"));

  // Bad or disallowed role definitions.
  auto policy_name = kit.create_role(bob, eng, custom_role("admin", 10, {"resources:read"}));
  REQUIRE_ERROR(policy_name, ErrorCode::already_exists);
  CHECK(policy_name.error().field == "name");
  REQUIRE_ERROR(kit.create_role(bob, eng, custom_role("viewer", 10, {"resources:read"})),
                ErrorCode::already_exists);
  auto unknown = kit.create_role(bob, eng, custom_role("approver", 10, {"invoices:approve"}));
  REQUIRE_ERROR(unknown, ErrorCode::invalid_argument);
  CHECK(unknown.error().field == "permissions[0]");
  REQUIRE_ERROR(kit.create_role(bob, eng, custom_role("Lead Dev", 10, {"resources:read"})),
                ErrorCode::invalid_argument);
  REQUIRE_ERROR(kit.create_role(bob, eng, custom_role("deleter", 10, {"org:delete"})),
                ErrorCode::permission_denied);  // bob cannot give what he does not hold
  auto too_high = kit.create_role(bob, eng, custom_role("lead", 60, {"resources:read"}));
  REQUIRE_ERROR(too_high, ErrorCode::permission_denied);
  CHECK(too_high.error().field == "rank");

  // "Click the role dropdown and pick a new role" (viewer -> member and back).
  REQUIRE_OK(kit.change_member_role(bob, eng, carol.id, "member"));
  CHECK(allowed(kit, carol, eng, "resources:create"));
  REQUIRE_OK(kit.change_member_role(bob, eng, carol.id, "viewer"));

  // "Organization membership and roles are included in access tokens as claims" (P8).
  auto claims_value = kit.claims(carol);
  REQUIRE_OK(claims_value);
  const std::string claims = claims_value->to_json();
  CHECK(contains(claims, R"("slug":"engineering")"));
  CHECK(contains(claims, R"("role":"viewer")"));
  CHECK(contains(claims, R"("slug":"finance")"));
  CHECK(contains(claims, R"("role":"auditor")"));
  CHECK(contains(claims, R"("tenant":"acme")"));
  CHECK_FALSE(contains(claims, "permissions"));
  ClaimsOptions with_permissions;
  with_permissions.include_permissions = true;
  auto detailed_value = kit.claims(carol, with_permissions);
  REQUIRE_OK(detailed_value);
  const std::string detailed = detailed_value->to_json();
  CHECK(contains(detailed, "audit:read"));
  CHECK(contains(detailed, "resources:read"));
  CHECK_FALSE(contains(detailed, "resources:create"));
  ClaimsOptions zero;
  zero.max_organizations = 0;
  REQUIRE_ERROR(kit.claims(carol, zero), ErrorCode::invalid_argument);

  // "Invite users who are not yet members of your tenant ... select the role they will
  // receive on joining"; "view all pending invitations and their expiry; resend; revoke".
  auto to_dave = kit.invite(bob, eng, invitation(dave.email, "viewer"));
  REQUIRE_OK(to_dave);
  InvitationQuery pending_only;
  pending_only.state = InvitationState::pending;
  auto pending = kit.list_invitations(bob, eng, pending_only);
  REQUIRE_OK(pending);
  REQUIRE(pending->items.size() == 1);
  CHECK(pending->items[0].email == dave.email);
  CHECK(pending->items[0].expires_at - pending->items[0].created_at ==
        std::chrono::hours(24 * 30));
  auto resent = kit.resend_invitation(bob, eng, to_dave->invitation.id);
  REQUIRE_OK(resent);
  REQUIRE_ERROR(kit.accept_invitation(dave, to_dave->token), ErrorCode::not_found);
  auto joined = kit.accept_invitation(dave, resent->token);
  REQUIRE_OK(joined);
  CHECK(joined->membership.role == "viewer");
  CHECK(joined->email_verified);
  auto to_erin = kit.invite(bob, eng, invitation("erin@example.com", "member"));
  REQUIRE_OK(to_erin);
  auto revoked = kit.revoke_invitation(bob, eng, to_erin->invitation.id);
  REQUIRE_OK(revoked);
  CHECK(revoked->state == InvitationState::revoked);
  REQUIRE_ERROR(kit.accept_invitation(Fixture::user("erin", "acme"), to_erin->token),
                ErrorCode::revoked);
  REQUIRE_ERROR(kit.invite(carol, eng, invitation("frank@example.com", "viewer")),
                ErrorCode::permission_denied);  // a viewer does not invite

  // "Remove a member ... their tenant account and roles are not affected": carol leaves
  // Engineering and stays an auditor of Finance.
  REQUIRE_OK(kit.remove_member(bob, eng, carol.id));
  auto carols = kit.my_organizations(carol);
  REQUIRE_OK(carols);
  REQUIRE(carols->size() == 1);
  CHECK(carols->front().organization.id == fin);
  CHECK(carols->front().role == "auditor");

  // "Users can view their own organization memberships ... along with their role in each."
  auto bobs = kit.my_organizations(bob);
  REQUIRE_OK(bobs);
  REQUIRE(bobs->size() == 2);
  CHECK(bobs->at(0).organization.id == eng);
  CHECK(bobs->at(0).role == "admin");
  CHECK(bobs->at(1).organization.id == fin);
  CHECK(bobs->at(1).role == "member");

  // "Delete organization": the owner's (O5); its roles go with it.
  REQUIRE_ERROR(kit.delete_organization(bob, eng), ErrorCode::permission_denied);
  REQUIRE_OK(kit.delete_organization(alice, eng));
  REQUIRE_ERROR(kit.get_organization(alice, eng), ErrorCode::not_found);
  bobs = kit.my_organizations(bob);
  REQUIRE_OK(bobs);
  REQUIRE(bobs->size() == 1);
  CHECK(bobs->front().organization.id == fin);
  REQUIRE_OK(kit.get_organization(eve, globex->id));  // the other tenant is untouched

  // Bad input: a blank organization name.
  NewOrganization blank;
  blank.name = "  ";
  auto no_name = kit.create_organization(alice, blank);
  REQUIRE_ERROR(no_name, ErrorCode::invalid_argument);
  CHECK(no_name.error().field == "name");
}

// ---------------------------------------------------------------------------------------
// seeds/004: mixus. Owner / admin / member / viewer; admins manage billing and invite and
// remove members; members cannot manage users; email invitations (30 days), shareable
// single-use links (1 h / 24 h / 48 h / 7 days), bulk CSV, invitation history.
// ---------------------------------------------------------------------------------------

TEST_CASE("seed 004 (mixus): viewer role, admins manage billing, shareable links",
          "[seed004][P1][P3][P4][P7][I1][I2][I3][I4][I5][I6][A1][E2]") {
  const PermissionPolicy policy = load_policy("004_mixus.json");
  REQUIRE(policy.roles().size() == 4);
  REQUIRE(policy.find_role("viewer") != nullptr);
  Fixture f(options_for(policy, {plan("team", true), plan("business", true)}, "team"));
  Service& kit = *f.kit;
  const Actor owner = Fixture::user("owner");
  const Actor admin = Fixture::user("admin");
  const Organization created = f.org(owner, "mixus Team");
  const OrgId org = created.id;
  f.add(owner, org, admin, "admin");

  // Single invitation: email, role Member / Admin, optional personal message. The invitee
  // signs up with the email pre-filled and joins at once; the email counts as verified.
  const Actor colleague = person("colleague", "colleague@company.com", "Colleague");
  auto invited = kit.invite(admin, org, invitation("Colleague@Company.com", "member",
                                                   "Welcome to the AI team!"));
  REQUIRE_OK(invited);
  REQUIRE(f.notifier->messages().size() == 1);
  CHECK(contains(f.notifier->messages().back().body, "Welcome to the AI team!"));
  CHECK(invited->invitation.expires_at - f.clock->now() == std::chrono::hours(24 * 30));
  REQUIRE_ERROR(kit.accept_invitation(Fixture::user("intruder"), invited->token),
                ErrorCode::permission_denied);  // another address
  auto joined = kit.accept_invitation(colleague, invited->token);
  REQUIRE_OK(joined);
  CHECK(joined->membership.role == "member");
  CHECK(joined->email_verified);

  // Members: personal agents, sharing and comments; "cannot manage other users".
  CHECK(allowed(kit, colleague, org, "resources:create"));
  CHECK(allowed(kit, colleague, org, "resources:share"));
  CHECK(allowed(kit, colleague, org, "resources:comment"));
  CHECK(allowed_on(kit, colleague, org, "resources:manage_own", colleague));
  CHECK_FALSE(allowed_on(kit, colleague, org, "resources:manage_own", admin));
  REQUIRE_ERROR(kit.invite(colleague, org, invitation("friend@company.com", "member")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.create_invite_link(colleague, org, "member", LinkExpiry::one_hour),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.add_member(colleague, org, as_member(Fixture::user("x"), "viewer")),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.remove_member(colleague, org, admin.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.change_member_role(colleague, org, admin.id, "viewer"),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.set_plan(colleague, org, "business"), ErrorCode::permission_denied);

  // Admins: "manage billing and subscriptions", "create and manage all agents".
  auto billed = kit.set_plan(admin, org, "business");
  REQUIRE_OK(billed);
  CHECK(billed->plan == "business");
  CHECK(allowed_on(kit, admin, org, "resources:manage_all", colleague));
  CHECK(allowed(kit, admin, org, "audit:read"));
  // Not listed for admins: ownership transfer, deleting the organization.
  REQUIRE_ERROR(kit.transfer_ownership(admin, org, colleague.id), ErrorCode::permission_denied);
  REQUIRE_ERROR(kit.delete_organization(admin, org), ErrorCode::permission_denied);

  // Bulk invitation from the document's CSV; a bad row fails alone (I6).
  const std::string csv =
      "email,role,department,message\n"
      "alice@company.com,admin,engineering,\"Welcome to our dev team!\"\n"
      "bob@company.com,member,marketing,\"Excited to have you join us!\"\n"
      "carol@company.com,viewer,sales,\"Access to our sales AI tools\"\n"
      "dan@company.com,superuser,sales,\"No such role\"\n";
  auto imported = kit.import_invitations_csv(admin, org, csv);
  REQUIRE_OK(imported);
  REQUIRE(imported->rows.size() == 4);
  CHECK(imported->invited == 3);
  CHECK(imported->failed == 1);
  REQUIRE(imported->rows[3].error.has_value());
  CHECK(imported->rows[3].error->field == "role");
  CHECK(f.notifier->messages().size() == 4);

  // The viewer joins through the CSV invitation and only reads.
  const Actor carol = person("carol", "carol@company.com", "Carol");
  InvitationQuery pending_only;
  pending_only.state = InvitationState::pending;
  auto pending = kit.list_invitations(admin, org, pending_only);
  REQUIRE_OK(pending);
  CHECK(pending->items.size() == 3);
  std::optional<InvitationId> carol_invitation;
  for (const auto& inv : pending->items) {
    if (inv.email == carol.email) {
      carol_invitation = inv.id;
      CHECK(inv.role == "viewer");
      CHECK(inv.department == "sales");
    }
  }
  REQUIRE(carol_invitation.has_value());
  auto carol_link = kit.resend_invitation(admin, org, *carol_invitation);  // a fresh token
  REQUIRE_OK(carol_link);
  REQUIRE_OK(kit.accept_invitation(carol, carol_link->token));
  CHECK(allowed(kit, carol, org, "resources:read"));
  CHECK_FALSE(allowed(kit, carol, org, "resources:create"));
  CHECK_FALSE(allowed(kit, carol, org, "resources:comment"));

  // Shareable link: admins choose 1 h / 24 h / 48 h / 7 days; single use; expired, used and
  // revoked links each give a clear, distinct error (I5).
  auto link = kit.create_invite_link(admin, org, "member", LinkExpiry::one_hour);
  REQUIRE_OK(link);
  CHECK(link->invitation.expires_at - f.clock->now() == std::chrono::hours(1));
  CHECK(f.notifier->messages().size() == 5);  // the resend; links are not mailed
  auto via_link = kit.accept_invitation(Fixture::user("slack-user"), link->token);
  REQUIRE_OK(via_link);
  CHECK(via_link->membership.role == "member");
  CHECK_FALSE(via_link->email_verified);
  REQUIRE_ERROR(kit.accept_invitation(Fixture::user("second-user"), link->token),
                ErrorCode::already_used);
  auto day_link = kit.create_invite_link(admin, org, "viewer", LinkExpiry::one_day);
  REQUIRE_OK(day_link);
  auto week_link = kit.create_invite_link(admin, org, "member", LinkExpiry::seven_days);
  REQUIRE_OK(week_link);
  CHECK(week_link->invitation.expires_at - f.clock->now() == std::chrono::hours(24 * 7));
  REQUIRE_OK(kit.revoke_invitation(admin, org, week_link->invitation.id));
  REQUIRE_ERROR(kit.accept_invitation(Fixture::user("late"), week_link->token),
                ErrorCode::revoked);
  REQUIRE_ERROR(kit.create_invite_link(admin, org, "owner", LinkExpiry::one_hour),
                ErrorCode::permission_denied);  // never above the admin's own role (P4)

  // Email invitations expire after 30 days (I3); shareable links after their own expiry.
  auto slow = kit.invite(admin, org, invitation("slow@company.com", "member"));
  REQUIRE_OK(slow);
  f.clock->advance(std::chrono::hours(25));
  REQUIRE_ERROR(kit.accept_invitation(Fixture::user("day-user"), day_link->token),
                ErrorCode::expired);
  f.clock->advance(std::chrono::hours(24 * 29));
  const Actor slow_user = person("slow", "slow@company.com", "Slow");
  REQUIRE_ERROR(kit.accept_invitation(slow_user, slow->token), ErrorCode::expired);

  // Invitation history with states and expiry (I4): accepted (colleague, carol, link),
  // revoked (week link), expired (the rest), nothing silently dropped.
  InvitationQuery all;
  all.limit = 100;
  auto history = kit.list_invitations(admin, org, all);
  REQUIRE_OK(history);
  int accepted_n = 0, revoked_n = 0, expired_n = 0, other_n = 0;
  for (const auto& inv : history->items) {
    switch (inv.state) {
      case InvitationState::accepted: ++accepted_n; break;
      case InvitationState::revoked: ++revoked_n; break;
      case InvitationState::expired: ++expired_n; break;
      default: ++other_n; break;
    }
  }
  CHECK(accepted_n == 3);
  CHECK(revoked_n == 1);
  CHECK(expired_n == 4);  // alice and bob from the CSV, the day link, slow@
  CHECK(other_n == 0);
  REQUIRE_ERROR(kit.list_invitations(colleague, org, all), ErrorCode::permission_denied);

  // Admins remove team members; members of lower rank only (P4).
  REQUIRE_OK(kit.remove_member(admin, org, colleague.id));
  REQUIRE_ERROR(kit.remove_member(admin, org, owner.id), ErrorCode::permission_denied);
  const auto actions = f.actions(admin, org);
  REQUIRE_FALSE(actions.empty());
  CHECK(actions.front() == "member.removed");
  CHECK(std::count(actions.begin(), actions.end(), "invitation.accepted") == 3);

  // Bad input: a malformed email, an overlong department, a token that is not one.
  auto bad_email = kit.invite(admin, org, invitation("colleague@", "member"));
  REQUIRE_ERROR(bad_email, ErrorCode::invalid_argument);
  CHECK(bad_email.error().field == "email");
  auto long_department =
      kit.invite(admin, org, invitation("d@company.com", "member", "", std::string(101, 'x')));
  REQUIRE_ERROR(long_department, ErrorCode::invalid_argument);
  CHECK(long_department.error().field == "department");
  auto bad_token = kit.accept_invitation(Fixture::user("z"), "not-a-token");
  REQUIRE_ERROR(bad_token, ErrorCode::invalid_argument);
  CHECK(bad_token.error().field == "token");
}

// Seed 004, "Role Assignment Conflicts ... Use bulk update tools for consistency": a bulk role
// change and a bulk removal follow the document's policy row by row.
TEST_CASE("seed 004 (mixus): bulk update tools keep roles consistent",
          "[seed004][issue8][P4][A1]") {
  const PermissionPolicy policy = load_policy("004_mixus.json");
  Fixture f(options_for(policy, {plan("team", true)}, "team"));
  Service& kit = *f.kit;
  const Actor owner = Fixture::user("owner");
  const Actor admin = Fixture::user("admin");
  const OrgId org = f.org(owner, "mixus Team").id;
  f.add(owner, org, admin, "admin");
  std::vector<MemberRoleChange> changes;
  for (const char* id : {"alice", "bob", "carol"}) {
    f.add(owner, org, Fixture::user(id), "member");
    changes.push_back({UserId(id), "viewer"});
  }
  changes.push_back({owner.id, "viewer"});  // an admin cannot touch the owner

  auto changed = kit.change_member_roles(admin, org, changes);
  REQUIRE_OK(changed);
  CHECK(changed->applied == 3);
  REQUIRE(changed->rows.back().error);
  CHECK(changed->rows.back().error->code == ErrorCode::permission_denied);
  CHECK_FALSE(allowed(kit, Fixture::user("bob"), org, "resources:create"));  // viewers only read

  auto removed = kit.remove_members(admin, org, {UserId("alice"), UserId("bob")});
  REQUIRE_OK(removed);
  CHECK(removed->applied == 2);
  auto left = kit.list_members(owner, org);
  REQUIRE_OK(left);
  CHECK(left->items.size() == 3);  // owner, admin, carol
}
