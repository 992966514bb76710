// The operations of a model-based test sequence, the cast who performs them, and what an
// operation answered (tests/model/README.md, issue "model").
//
// A sequence is a list of Op values. An Op names everything it acts on by handle: an
// organization, invitation or API key is named by the `id` of the op that created it, and a
// token by the op that issued it. So dropping ops while shrinking never renumbers the rest:
// a reference to an op that is gone (or that failed) is simply an unknown id or token, which
// both the library and the model must answer as such.
//
// Every Op prints as one line that parse_ops() reads back, so a failing sequence printed by
// the test can be pasted into a regression case as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <orgkit/error.hpp>
#include <orgkit/model.hpp>

namespace orgkit::model {

// --- the cast --------------------------------------------------------------------------

/// Who may act: five users of the "default" tenant, a user of the "other" tenant who has the
/// same id as u1 (a different person, O9), a tenant administrator and the host of "default",
/// and the host of "other" (who must see nothing of "default").
struct CastMember {
  std::string name;    ///< As printed: "u1", "other:u1", "admin", "host", "other:host".
  std::string tenant;  ///< "default" or "other".
  std::string id;      ///< The user id (or the principal's label).
  PrincipalKind kind = PrincipalKind::member;
  [[nodiscard]] bool is_member() const { return kind == PrincipalKind::member; }
  [[nodiscard]] std::string email() const { return id + "@example.com"; }
};

inline constexpr int cast_size = 9;
inline constexpr int first_other_user = 5;  ///< "other:u1"
inline constexpr int tenant_admin = 6;
inline constexpr int default_host = 7;
inline constexpr int other_host = 8;

const CastMember& cast(int index);
/// The cast index of `name`, or -1.
int cast_index(const std::string& name);
/// The host of a tenant: whom the harness reads state as.
int host_of(const std::string& tenant);

/// The user ids a target may name (in either tenant).
const std::vector<std::string>& user_ids();

/// The email address and display name the host gives for a user.
inline std::string email_of(const std::string& user) {
  return user + "@example.com";
}
inline std::string display_of(const std::string& user) {
  return "User " + user;
}

// --- operations ------------------------------------------------------------------------

/// Every operation the model covers (see reference_model.hpp for what it leaves out).
enum class OpKind {
  create_org,         // text=name, alt=slug ("" derives), plan, user=owner named ("" none)
  ensure_personal,    //
  update_org,         // org, text=new name
  delete_org,         // org
  set_active,         // org
  leave,              // org
  transfer,           // org, user=new owner, role=previous owner's role ("" default)
  add_member,         // org, user, role
  change_role,        // org, user, role
  remove_member,      // org, user
  bulk_change_roles,  // org, rows (user, role)
  bulk_remove,        // org, rows (user)
  set_department,     // org, user, text=department
  get_membership,     // org, user
  find_member,        // org, text=email
  set_plan,           // org, plan
  invite,       // org, text=email, role, alt=department, number=expires_in minutes (0 default)
  create_link,  // org, role, number=LinkExpiry (0-3)
  accept,       // ref=token (0 unknown, -1 malformed)
  decline,      // ref=token
  preview,      // ref=token, in the actor's tenant
  resend,       // org, ref=invitation
  revoke_invitation,  // org, ref=invitation
  create_role,        // org, text=name, number=rank, perms
  update_role,        // org, text=name, alt=new name ("" keeps it), flag=replace perms, perms
  delete_role,        // org, text=name, alt=reassign to ("" none)
  create_key,         // org, role, number=expires_in minutes (0 never)
  revoke_key,         // org, ref=key
  verify_key,         // ref=key
  advance_clock,      // number=minutes
};

const char* to_string(OpKind kind);
std::optional<OpKind> op_kind(const std::string& name);

/// One operation of a sequence. Fields an operation does not use stay empty.
struct Op {
  int id = 0;  ///< Unique in its sequence, increasing; what later ops refer to.
  OpKind kind = OpKind::advance_clock;
  int actor = 0;  ///< Cast index.
  int org = 0;    ///< Handle of an organization (id of the op that created it); 0: none.
  int ref = 0;    ///< Handle of a token, invitation or key, as the kind says.
  std::string user;
  std::string role;
  std::string text;
  std::string alt;
  std::string plan;
  bool flag = false;
  int number = 0;
  std::vector<std::string> perms;
  std::vector<std::pair<std::string, std::string>> rows;
};

/// "#12 u2 change_role org=#3 user=u4 role=admin": one line that parse_ops reads back.
std::string describe(const Op& op);

/// Ops from lines printed by describe(); blank lines and lines starting with '/' are skipped.
/// Fails the calling test on a line it cannot read.
std::vector<Op> parse_ops(const std::string& text);

// --- answers ---------------------------------------------------------------------------

/// What an operation answered: success or an error code (never the message: messages are for
/// people), the code of each row of a bulk call, and the part of a success's value that the
/// model predicts, written as text ("org=#3", "role=admin", "refreshed=1").
struct Outcome {
  std::optional<ErrorCode> error;
  std::vector<std::optional<ErrorCode>> rows;
  std::string value;
  friend bool operator==(const Outcome& a, const Outcome& b) {
    return a.error == b.error && a.rows == b.rows && a.value == b.value;
  }
  friend bool operator!=(const Outcome& a, const Outcome& b) { return !(a == b); }
};

std::string describe(const Outcome& outcome);

}  // namespace orgkit::model
