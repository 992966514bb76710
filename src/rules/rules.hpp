// orgkit's rules as pure functions: no storage, no clock, no I/O. The use cases gather the
// facts (counts, states, roles) inside their transaction and ask these functions; tests call
// them with plain values (tests/rules_test.cpp). The rank rule itself (may_grant, may_manage)
// is part of the public PermissionPolicy, as hosts may ask it too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <orgkit/error.hpp>
#include <orgkit/model.hpp>
#include <orgkit/policy.hpp>

namespace orgkit {
struct Plan;
}

namespace orgkit::rules {

/// "2026-12-23 10:00 UTC": how times appear in messages and the audit trail.
std::string format_time(Timestamp t);

// --- last owner (O7, PITFALLS 6-7) ---------------------------------------------------------

/// conflict unless an owner remains when one member stops holding `losing_role`: `owners` is
/// how many members hold the owner role now, counted inside the same write transaction.
/// `what` names the change for the message ("removing them", "leaving").
Result<void> owner_remains(const PermissionPolicy& policy, std::string_view losing_role,
                           std::int64_t owners, std::string_view user, std::string_view what);

// --- plans and seats (I7) ------------------------------------------------------------------

/// limit_exceeded (field "plan.max_members") unless `adding` more seats fit `plan` with
/// `taken` in use. A null plan or one without a limit always fits.
Result<void> seats_fit(const Plan* plan, std::int64_t taken, std::int64_t adding,
                       bool pending_use_seats);

/// permission_denied (field "plan") when `plan` has no invitations. A null plan allows them.
Result<void> invitations_allowed(const Plan* plan);

// --- the invitation state machine (I2, I4, I5) ---------------------------------------------

/// The state a reader sees at `now`: a pending invitation past its expiry is expired.
InvitationState effective_state(const Invitation& inv, Timestamp now);

/// Whether a token holder may act on (accept or decline) `inv` at `now`: the distinct errors
/// of I5 (already_used, revoked, expired) and conflict for a declined invitation.
Result<void> may_open(const Invitation& inv, Timestamp now);

/// Whether the organization may resend or revoke `inv`: only while stored-pending (an
/// expired email invitation can be resent). revoked for a revoked one, conflict otherwise.
Result<void> may_manage(const Invitation& inv);

// --- custom roles (P6): one representation -----------------------------------------------

/// The permission set of a custom role from its stored permission names (separated by
/// single spaces, as MemberAccess has them). Names the policy does not know grant nothing.
/// Allocates nothing: the permission check uses it on every call.
PermissionSet permission_set(const PermissionPolicy& policy, std::string_view names);

/// Whether the role a member holds grants `p`: the policy's role of that name, else the
/// organization's custom role with `custom_permissions` (never an owner-reserved permission,
/// R2), else (a role that no longer exists) nothing. The check and the operations both
/// decide through this.
bool grants(const PermissionPolicy& policy, std::string_view role, bool custom,
            std::string_view custom_permissions, Permission p);

/// Everything `grants` would say yes to, as one set: grants(..., p) is granted(...).test(p.index)
/// for every permission p of the policy. What the check cache keeps per member.
PermissionSet granted(const PermissionPolicy& policy, std::string_view role, bool custom,
                      std::string_view custom_permissions);

}  // namespace orgkit::rules
