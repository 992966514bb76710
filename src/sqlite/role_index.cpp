// RoleIndex: see role_index.hpp.
#include "sqlite/role_index.hpp"

namespace orgkit::sqlite {
namespace {

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

RoleIndex RoleIndex::for_policy(const std::vector<std::string>& roles, const std::string& owner) {
  RoleIndex ix;
  for (const auto& r : roles) {
    if (r != owner) ix.unindexed.push_back(r);
  }
  std::sort(ix.unindexed.begin(), ix.unindexed.end());
  // Comparisons, not "role NOT IN (...)": SQLite evaluates an IN list in an index's condition
  // by building a temporary table, on every row that an INSERT, UPDATE or DELETE writes: two
  // of them per role change, a quarter of its time (issue 9, item 5). A partial index is used
  // by a query whose WHERE clause holds each of these terms, so the queries below repeat them.
  std::string condition;
  for (const auto& role : ix.unindexed) {
    if (!condition.empty()) condition += " AND ";
    condition += "role <> " + quoted(role);
  }
  const std::string and_condition = condition.empty() ? "" : " AND " + condition;
  ix.create_sql = "CREATE INDEX memberships_by_role ON memberships (org_id, role, user_id)" +
                  (condition.empty() ? std::string() : " WHERE " + condition);
  ix.count_sql =
      "SELECT count(*) FROM memberships WHERE org_id = ?1 AND role = ?2" + and_condition;
  ix.list_sql =
      "SELECT org_id, user_id, email, display_name, role, joined_at, department "
      "FROM memberships WHERE org_id = ?1 AND role = ?4" + and_condition +
      " AND user_id > ?2 ORDER BY user_id LIMIT ?3";
  ix.holders_sql =
      "SELECT (SELECT count(*) FROM memberships WHERE org_id = ?1 AND role = ?2" + and_condition +
      ") + (SELECT count(*) FROM api_keys WHERE org_id = ?1 AND role = ?2 "
      "AND revoked_at IS NULL) + "
      "(SELECT count(*) FROM invitations WHERE org_id = ?1 AND role = ?2 AND state = 'pending')";
  ix.reassign_sql =
      "UPDATE memberships SET role = ?1 WHERE org_id = ?2 AND role = ?3" + and_condition;
  return ix;
}

}  // namespace orgkit::sqlite
