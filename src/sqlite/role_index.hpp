// Which memberships the role index holds (issue 9, item 5; R4).
//
// Schema v1 indexed every membership by (org_id, role, user_id), so every add, removal and
// role change wrote a page of that index. What needs it is bounded work inside write
// transactions (R4): counting an organization's owners (the last-owner rule), and counting or
// moving the holders of a custom role when it is deleted. Once the Service has said which of
// its policy's roles is the owner (Storage::note_owner_role), the index keeps only the
// memberships whose role is NOT one of the policy's other roles: owners and custom roles.
// Writes of ordinary members (admin, member, viewer in the standard policy) leave it alone.
//
// A query uses a partial index only when its WHERE clause contains the index's condition, so
// the queries for an indexed role repeat it word for word; for the other roles (listing the
// members of one role, which no write transaction does) they read the organization's
// memberships in key order. Either query gives the same rows whichever index the file has,
// so a file indexed under another policy stays correct (only slower) until reopened.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace orgkit::sqlite {

struct RoleIndex {
  /// The policy roles other than the owner: memberships in these roles are not indexed.
  std::vector<std::string> unindexed;
  /// CREATE INDEX memberships_by_role ... WHERE role <> ... AND ..., as sqlite_master keeps it.
  std::string create_sql;
  // The queries for an indexed role (each text lives as long as the storage: statements are
  // cached by the address of their text).
  std::string count_sql;     // ?1 org, ?2 role
  std::string list_sql;      // ?1 org, ?2 after user, ?3 limit, ?4 role
  std::string holders_sql;   // ?1 org, ?2 role: memberships, live keys, pending invitations
  std::string reassign_sql;  // ?1 to, ?2 org, ?3 from

  /// Whether memberships in `role` are in the index.
  bool indexes(std::string_view role) const {
    return std::find(unindexed.begin(), unindexed.end(), role) == unindexed.end();
  }

  /// The index for a policy with `roles`, of which `owner` is the owner role.
  static RoleIndex for_policy(const std::vector<std::string>& roles, const std::string& owner);
};

}  // namespace orgkit::sqlite
