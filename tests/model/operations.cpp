#include "model/operations.hpp"

#include <catch2/catch.hpp>

#include <sstream>

namespace orgkit::model {

namespace {

const std::vector<CastMember>& the_cast() {
  static const std::vector<CastMember> members = {
      {"u1", "default", "u1", PrincipalKind::member},
      {"u2", "default", "u2", PrincipalKind::member},
      {"u3", "default", "u3", PrincipalKind::member},
      {"u4", "default", "u4", PrincipalKind::member},
      {"u5", "default", "u5", PrincipalKind::member},
      {"other:u1", "other", "u1", PrincipalKind::member},
      {"admin", "default", "ta", PrincipalKind::tenant_admin},
      {"host", "default", "host", PrincipalKind::host},
      {"other:host", "other", "host", PrincipalKind::host},
  };
  return members;
}

// What each kind calls its generic fields when printed (nullptr: unused).
struct Labels {
  OpKind kind;
  const char* name;
  bool org;
  const char* ref;
  const char* text;
  const char* alt;
  const char* number;
};

const std::vector<Labels>& labels() {
  static const std::vector<Labels> table = {
      {OpKind::create_org, "create_org", false, nullptr, "name", "slug", nullptr},
      {OpKind::ensure_personal, "ensure_personal", false, nullptr, nullptr, nullptr, nullptr},
      {OpKind::update_org, "update_org", true, nullptr, "name", nullptr, nullptr},
      {OpKind::delete_org, "delete_org", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::set_active, "set_active", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::leave, "leave", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::transfer, "transfer", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::add_member, "add_member", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::change_role, "change_role", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::remove_member, "remove_member", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::bulk_change_roles, "bulk_change_roles", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::bulk_remove, "bulk_remove", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::set_department, "set_department", true, nullptr, "department", nullptr, nullptr},
      {OpKind::get_membership, "get_membership", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::find_member, "find_member", true, nullptr, "email", nullptr, nullptr},
      {OpKind::set_plan, "set_plan", true, nullptr, nullptr, nullptr, nullptr},
      {OpKind::invite, "invite", true, nullptr, "email", "department", "expires_min"},
      {OpKind::create_link, "create_link", true, nullptr, nullptr, nullptr, "expiry"},
      {OpKind::accept, "accept", false, "token", nullptr, nullptr, nullptr},
      {OpKind::decline, "decline", false, "token", nullptr, nullptr, nullptr},
      {OpKind::preview, "preview", false, "token", nullptr, nullptr, nullptr},
      {OpKind::resend, "resend", true, "invitation", nullptr, nullptr, nullptr},
      {OpKind::revoke_invitation, "revoke_invitation", true, "invitation", nullptr, nullptr,
       nullptr},
      {OpKind::create_role, "create_role", true, nullptr, "name", nullptr, "rank"},
      {OpKind::update_role, "update_role", true, nullptr, "name", "rename", nullptr},
      {OpKind::delete_role, "delete_role", true, nullptr, "name", "reassign", nullptr},
      {OpKind::create_key, "create_key", true, nullptr, nullptr, nullptr, "expires_min"},
      {OpKind::revoke_key, "revoke_key", true, "key", nullptr, nullptr, nullptr},
      {OpKind::verify_key, "verify_key", false, "key", nullptr, nullptr, nullptr},
      {OpKind::advance_clock, "advance_clock", false, nullptr, nullptr, nullptr, "minutes"},
  };
  return table;
}

const Labels& labels_of(OpKind kind) {
  for (const auto& l : labels()) {
    if (l.kind == kind) return l;
  }
  return labels().front();  // unreachable: the table names every kind
}

std::string quoted(const std::string& value) {
  return value.find(' ') == std::string::npos ? value : "\"" + value + "\"";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// "key=value" words of a line; a value in double quotes may hold spaces.
std::vector<std::pair<std::string, std::string>> words(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::size_t eq = line.find('=', i);
    std::size_t space = line.find(' ', i);
    if (eq == std::string::npos || (space != std::string::npos && space < eq)) {
      out.emplace_back(line.substr(i, space - i), "");
      i = space == std::string::npos ? line.size() : space;
      continue;
    }
    std::string key = line.substr(i, eq - i);
    i = eq + 1;
    std::string value;
    if (i < line.size() && line[i] == '"') {
      const std::size_t end = line.find('"', i + 1);
      value = line.substr(i + 1, end - i - 1);
      i = end == std::string::npos ? line.size() : end + 1;
    } else {
      const std::size_t end = line.find(' ', i);
      value = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? line.size() : end;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

int handle(const std::string& value) {
  return std::stoi(value[0] == '#' ? value.substr(1) : value);
}

}  // namespace

const CastMember& cast(int index) {
  return the_cast().at(static_cast<std::size_t>(index));
}

int cast_index(const std::string& name) {
  for (int i = 0; i < cast_size; ++i) {
    if (cast(i).name == name) return i;
  }
  return -1;
}

int host_of(const std::string& tenant) {
  return tenant == "other" ? other_host : default_host;
}

const std::vector<std::string>& user_ids() {
  static const std::vector<std::string> ids = {"u1", "u2", "u3", "u4", "u5"};
  return ids;
}

const char* to_string(OpKind kind) {
  return labels_of(kind).name;
}

std::optional<OpKind> op_kind(const std::string& name) {
  for (const auto& l : labels()) {
    if (name == l.name) return l.kind;
  }
  return std::nullopt;
}

std::string describe(const Op& op) {
  const Labels& l = labels_of(op.kind);
  std::string out = "#" + std::to_string(op.id) + " " + cast(op.actor).name + " " + l.name;
  auto add = [&](const char* key, const std::string& value) {
    out += std::string(" ") + key + "=" + quoted(value);
  };
  if (l.org) add("org", "#" + std::to_string(op.org));
  if (l.ref) add(l.ref, op.ref < 0 ? std::string("malformed") : "#" + std::to_string(op.ref));
  if (!op.user.empty()) add("user", op.user);
  if (!op.role.empty()) add("role", op.role);
  if (l.text && !op.text.empty()) add(l.text, op.text);
  if (l.alt && !op.alt.empty()) add(l.alt, op.alt);
  if (!op.plan.empty()) add("plan", op.plan);
  if (l.number && op.number != 0) add(l.number, std::to_string(op.number));
  if (op.kind == OpKind::create_role || op.flag) add("perms", "[" + joined(op.perms) + "]");
  if (!op.rows.empty()) {
    std::vector<std::string> rows;
    for (const auto& [user, role] : op.rows)
      rows.push_back(role.empty() ? user : user + ":" + role);
    add("rows", joined(rows));
  }
  return out;
}

std::vector<Op> parse_ops(const std::string& text) {
  std::vector<Op> ops;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '/') continue;
    auto w = words(line.substr(start));
    if (w.size() < 3 || w[0].first.empty() || w[0].first[0] != '#') {
      FAIL("not an op: " << line);
    }
    Op op;
    op.id = handle(w[0].first);
    op.actor = cast_index(w[1].first);
    if (op.actor < 0) FAIL("unknown actor in: " << line);
    auto kind = op_kind(w[2].first);
    if (!kind) FAIL("unknown operation in: " << line);
    op.kind = *kind;
    const Labels& l = labels_of(op.kind);
    for (std::size_t i = 3; i < w.size(); ++i) {
      const auto& [key, value] = w[i];
      if (key == "org") {
        op.org = handle(value);
      } else if (l.ref && key == l.ref) {
        op.ref = value == "malformed" ? -1 : handle(value);
      } else if (key == "user") {
        op.user = value;
      } else if (key == "role") {
        op.role = value;
      } else if (l.text && key == l.text) {
        op.text = value;
      } else if (l.alt && key == l.alt) {
        op.alt = value;
      } else if (key == "plan") {
        op.plan = value;
      } else if (l.number && key == l.number) {
        op.number = std::stoi(value);
      } else if (key == "perms") {
        op.flag = op.kind != OpKind::create_role;
        op.perms = split(value.substr(1, value.size() - 2), ',');
      } else if (key == "rows") {
        for (const auto& row : split(value, ',')) {
          const auto colon = row.find(':');
          op.rows.emplace_back(row.substr(0, colon),
                               colon == std::string::npos ? "" : row.substr(colon + 1));
        }
      } else {
        FAIL("unknown field " << key << " in: " << line);
      }
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

std::string describe(const Outcome& outcome) {
  std::string out = outcome.error ? std::string(orgkit::to_string(*outcome.error)) : "ok";
  if (!outcome.rows.empty()) {
    out += " rows[";
    for (std::size_t i = 0; i < outcome.rows.size(); ++i) {
      if (i > 0) out += ",";
      out += outcome.rows[i] ? std::string(orgkit::to_string(*outcome.rows[i])) : "ok";
    }
    out += "]";
  }
  if (!outcome.value.empty()) out += " " + outcome.value;
  return out;
}

}  // namespace orgkit::model
