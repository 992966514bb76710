// orgkit/policy.hpp: who may do what, as data.
//
// A PermissionPolicy is a fixed vocabulary of permission names ("members:invite", ...), a set
// of roles (name, rank, permissions) and the rules for managing members:
//   - deny by default: a role holds exactly the permissions it lists;
//   - nobody may grant a role ranked above their own (P4);
//   - a member may change or remove only members of strictly lower rank, except holders of a
//     role marked `manages_peers` (the owner), who may manage anyone (P4);
//   - the role marked `owner` must always have at least one holder in every organization.
// A policy is immutable once built and safe to share between threads. Names are checked when
// it is built: a role that lists an unknown permission is an error then, never a silent "no"
// later (P2).
//
// The Service's operations need these names, each held by the roles that may do it; a
// policy that lacks one makes that operation refused for everyone ("the policy does not
// declare ..."): org:update, org:delete, billing:manage (set_plan), members:read,
// members:add, members:invite (invitations and links), members:remove, members:update_role,
// ownership:transfer (the owner role only), roles:manage, api_keys:manage, audit:read;
// optionally api_keys:read (list keys without managing them).
// resources:* are for the host's own checks.
//
// PermissionPolicy::standard() is the built-in policy (P1, P3):
//   owner  (rank 100) every permission
//   admin  (rank  50) settings, members, custom roles, API keys, audit, all resources;
//                     not billing, not ownership transfer, not deleting the organization
//   member (rank  20) read members, create resources, manage own resources, read resources
//   viewer (rank  10) read members, read resources
//
// Example:
//   auto policy = orgkit::PolicyBuilder()
//                     .permissions({"docs:read", "docs:write"})
//                     .role({"owner", 100, {"docs:read", "docs:write"}, true, true})
//                     .role({"reader", 10, {"docs:read"}})
//                     .build();
//   if (!policy) std::cerr << policy.error() << '\n';  // e.g. roles[1].permissions[0]: unknown
#pragma once

#include <orgkit/export.hpp>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <orgkit/error.hpp>

namespace orgkit {

/// The most permission names one policy can hold.
inline constexpr std::size_t max_permissions = 128;

/// A permission of one policy, resolved from its name once (PermissionPolicy::permission) so
/// that checks compare bits instead of strings. Only meaningful with the policy it came from.
struct Permission {
  std::uint16_t index = 0;
};

/// A set of permissions of one policy.
using PermissionSet = std::bitset<max_permissions>;

/// Well-known permission names of the standard policy (P2).
namespace permissions {
inline constexpr std::string_view org_update = "org:update";
inline constexpr std::string_view org_delete = "org:delete";
inline constexpr std::string_view billing_manage = "billing:manage";
inline constexpr std::string_view members_read = "members:read";
inline constexpr std::string_view members_add = "members:add";
inline constexpr std::string_view members_invite = "members:invite";
inline constexpr std::string_view members_remove = "members:remove";
inline constexpr std::string_view members_update_role = "members:update_role";
inline constexpr std::string_view ownership_transfer = "ownership:transfer";
inline constexpr std::string_view roles_manage = "roles:manage";
inline constexpr std::string_view api_keys_manage = "api_keys:manage";
/// Optional: see the organization's keys (never secrets) without managing them.
inline constexpr std::string_view api_keys_read = "api_keys:read";
inline constexpr std::string_view audit_read = "audit:read";
inline constexpr std::string_view resources_create = "resources:create";
inline constexpr std::string_view resources_manage_own = "resources:manage_own";
inline constexpr std::string_view resources_manage_all = "resources:manage_all";
inline constexpr std::string_view resources_read = "resources:read";
}  // namespace permissions

/// Names of the standard policy's built-in roles (P1).
namespace roles {
inline constexpr std::string_view owner = "owner";
inline constexpr std::string_view admin = "admin";
inline constexpr std::string_view member = "member";
inline constexpr std::string_view viewer = "viewer";
}  // namespace roles

/// A role as written by whoever builds a policy: permissions by name. The constructor covers
/// the common fields, so code written against it keeps compiling as fields are added.
struct RoleSpec {
  RoleSpec() = default;
  RoleSpec(std::string name_, int rank_, std::vector<std::string> permissions_ = {},
           bool owner_ = false, bool manages_peers_ = false)
      : name(std::move(name_)),
        rank(rank_),
        permissions(std::move(permissions_)),
        owner(owner_),
        manages_peers(manages_peers_) {}

  std::string name;                      ///< 1-64 chars: lowercase letters, digits, '_' or '-'.
  int rank = 0;                          ///< Higher outranks lower (P4).
  std::vector<std::string> permissions;  ///< Names; each must be declared in the policy.
  bool owner = false;          ///< The ownership role: never zero holders; exactly one role.
  bool manages_peers = false;  ///< May manage members of equal rank (owners manage owners).
  /// When set, the only roles this role may grant, change and remove (on top of the rank
  /// rule), e.g. {"member", "viewer"}: "admins manage members and viewers only".
  std::optional<std::vector<std::string>> manages;
};

/// A role of a built policy.
struct RoleDefinition {
  std::string name;
  int rank = 0;
  PermissionSet permissions;
  bool owner = false;
  bool manages_peers = false;
  std::optional<std::vector<std::string>> manages;  ///< See RoleSpec::manages.
};

/// One allowed role change (P5), by role name.
struct RoleChange {
  std::string from;
  std::string to;
};

/// Member-management rules on top of the rank rule (P4, P5). Each list, when present, is a
/// whitelist; absent means "whatever the rank rule allows". Ownership transfer (O8) is its own
/// operation, for owners only, and is not subject to `role_changes`.
struct MemberRules {
  /// The only role changes anyone may make, e.g. {{"member", "admin"}} for 002's "role
  /// changes only from member to admin; demoting an admin is not self-service" (P5).
  std::optional<std::vector<RoleChange>> role_changes;
  /// The only roles whose holders someone else may remove, e.g. {"member"} (P5).
  std::optional<std::vector<std::string>> removable_roles;
  /// The only roles whose holders may leave on their own (the last owner never may, O7).
  std::optional<std::vector<std::string>> leaving_roles;
};

/// "Own or all" pairs (P7): on a resource owned by someone, `own` allows only when the actor
/// is the owner, `all` allows whoever owns it.
struct OwnershipRule {
  Permission own;
  Permission all;
};

/// An immutable permission policy. Cheap to copy; safe to share between threads.
class ORGKIT_EXPORT PermissionPolicy {
 public:
  /// The built-in policy described at the top of this file.
  [[nodiscard]] static const PermissionPolicy& standard();

  /// Resolves a permission name. Error invalid_argument (field "permission") if unknown.
  [[nodiscard]] Result<Permission> permission(std::string_view name) const;

  /// The name of a permission of this policy.
  [[nodiscard]] std::string_view permission_name(Permission p) const;

  /// Every permission name, in declaration order (index i is Permission{i}).
  [[nodiscard]] const std::vector<std::string>& permission_names() const { return names_; }

  /// The role with this name, or nullptr. Does not allocate.
  [[nodiscard]] const RoleDefinition* find_role(std::string_view name) const noexcept;

  /// Every role, highest rank first.
  [[nodiscard]] const std::vector<RoleDefinition>& roles() const { return roles_; }

  /// The ownership role (exactly one per policy).
  [[nodiscard]] const RoleDefinition& owner_role() const { return roles_[owner_index_]; }

  /// The policy's name ("standard" for the built-in one).
  [[nodiscard]] const std::string& name() const { return name_; }

  /// The member-management rules (P5).
  [[nodiscard]] const MemberRules& member_rules() const { return rules_; }

  /// P5: may anyone change a member's role from `from` to `to` under the rules' whitelist?
  [[nodiscard]] bool role_change_allowed(std::string_view from, std::string_view to) const;
  /// P5: may a holder of `role` be removed by someone else?
  [[nodiscard]] bool removal_allowed(std::string_view role) const;
  /// May a holder of `role` leave on their own?
  [[nodiscard]] bool leaving_allowed(std::string_view role) const;

  /// Every permission as a set.
  [[nodiscard]] PermissionSet all_permissions() const;

  /// The permissions the owner role holds and no other role of the policy does (standard:
  /// org:delete, billing:manage, ownership:transfer). A custom role never holds them and an
  /// API key never carries them, whatever was stored (R2).
  [[nodiscard]] const PermissionSet& owner_reserved() const noexcept { return owner_reserved_; }

  /// Loads a policy from JSON text (the format is in README.md and examples/policies/).
  /// Errors are invalid_argument whose field is the JSON pointer of the offending value
  /// ("/roles/2/permissions/0") and whose message says why; unknown keys, unknown
  /// permissions and unknown roles are errors.
  [[nodiscard]] static Result<PermissionPolicy> from_json(std::string_view json);

  /// from_json() of a file; field "path" for a file that cannot be read (at most 1 MiB).
  [[nodiscard]] static Result<PermissionPolicy> load(const std::string& path);

  /// The policy as JSON that from_json() reads back to an equal policy.
  [[nodiscard]] std::string to_json() const;

  /// The P7 pair that `p` belongs to, if any.
  [[nodiscard]] const OwnershipRule* ownership_rule_for(Permission p) const noexcept;

  /// Whether `role` holds `p`. Does not allocate.
  [[nodiscard]] static bool holds(const RoleDefinition& role, Permission p) noexcept {
    return p.index < max_permissions && role.permissions.test(p.index);
  }

  /// P4: may a holder of `actor` grant `granted` to someone? Never above one's own rank,
  /// never a role holding a permission `actor` lacks (so a custom role cannot hand out more
  /// than it has), the owner role only by the owner role, and only roles in `actor.manages`
  /// when the policy lists them.
  [[nodiscard]] static bool may_grant(const RoleDefinition& actor,
                                      const RoleDefinition& granted) noexcept {
    return granted.rank <= actor.rank && (granted.permissions & ~actor.permissions).none() &&
           (!granted.owner || actor.owner) && in_manages(actor, granted);
  }

  /// P4: may a holder of `actor` change or remove a member who holds `target`? Only lower
  /// ranks (peers too for `manages_peers`), and only roles in `actor.manages` when listed.
  [[nodiscard]] static bool may_manage(const RoleDefinition& actor,
                                       const RoleDefinition& target) noexcept {
    return (target.rank < actor.rank || (actor.manages_peers && target.rank == actor.rank)) &&
           in_manages(actor, target);
  }

 private:
  friend class PolicyBuilder;
  static bool in_manages(const RoleDefinition& actor, const RoleDefinition& target) noexcept {
    if (!actor.manages) return true;
    for (const auto& name : *actor.manages) {
      if (name == target.name) return true;
    }
    return false;
  }
  std::string name_ = "custom";
  MemberRules rules_;
  std::vector<std::string> names_;
  std::vector<RoleDefinition> roles_;
  std::vector<OwnershipRule> ownership_rules_;
  std::size_t owner_index_ = 0;
  PermissionSet owner_reserved_;
};

/// Builds and validates a PermissionPolicy.
class ORGKIT_EXPORT PolicyBuilder {
 public:
  /// A builder holding everything `policy` holds (name, permissions, roles, ownership and
  /// member rules), to start a variant from it: change what differs, then build().
  ///   auto b = orgkit::PolicyBuilder::from(orgkit::PermissionPolicy::standard());
  ///   b.name("standard-plus").permission("reports:export");
  [[nodiscard]] static PolicyBuilder from(const PermissionPolicy& policy);

  /// The roles as they stand, to edit in place (e.g. give one a permission).
  [[nodiscard]] std::vector<RoleSpec>& roles() { return roles_; }

  /// Declares permission names (e.g. "members:invite"): 1-64 chars of [a-z0-9_:.-].
  PolicyBuilder& permissions(std::initializer_list<std::string_view> names);
  PolicyBuilder& permission(std::string_view name);
  /// Adds a role.
  PolicyBuilder& role(RoleSpec spec);
  /// Declares an "own or all" pair of already declared permissions (P7).
  PolicyBuilder& ownership_rule(std::string_view own, std::string_view all);
  /// Sets the member-management rules; role names are checked by build().
  PolicyBuilder& member_rules(MemberRules rules);
  /// Names the policy (letters, digits, '_', '-', '.'; default "custom").
  PolicyBuilder& name(std::string_view name);

  /// Validates everything. Errors (invalid_argument) name the offending entry, e.g.
  /// field "roles[2].permissions[0]", message "unknown permission 'docs:wirte'".
  [[nodiscard]] Result<PermissionPolicy> build() const;

 private:
  std::vector<std::string> names_;
  std::vector<RoleSpec> roles_;
  std::vector<std::pair<std::string, std::string>> ownership_rules_;
  MemberRules rules_;
  std::string name_ = "custom";
};

}  // namespace orgkit
