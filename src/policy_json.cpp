// Policies as JSON files (issue: configurable policy). The JSON layer checks shape and types
// and names every problem by its JSON pointer; PolicyBuilder checks meaning (known names,
// one owner role), and its field names are turned into pointers the same way.
#include <orgkit/policy.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace orgkit {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_file_bytes = 1 << 20;
constexpr std::size_t max_roles = 64;
constexpr std::size_t max_list = 256;

Error bad(const std::string& pointer, std::string message) {
  return Error::invalid(pointer.empty() ? "/" : pointer, std::move(message));
}

// "roles[1].permissions[0]" -> "/roles/1/permissions/0": the builder's field names are the
// JSON keys, so its errors point into the file too.
std::string pointer_of(const std::string& field) {
  std::string out = "/";
  for (char c : field) {
    if (c == '[' || c == '.') {
      out += '/';
    } else if (c != ']') {
      out += c;
    }
  }
  return out;
}

// A key as one reference token of a JSON pointer (RFC 6901): '~' is written "~0" and '/'
// "~1", so that a key holding either still names itself and nothing else.
std::string escaped(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Result<void> only_keys(const json& obj, const std::string& at,
                       std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto k : allowed) ok = ok || it.key() == k;
    if (!ok) {
      std::string list;
      for (auto k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
      return fail(bad(at + "/" + escaped(it.key()),
                      fmt::format("unknown key '{}' (expected one of: {})", it.key(), list)));
    }
  }
  return {};
}

Result<const json*> member(const json& obj, const std::string& at, const char* key,
                           json::value_t type, const char* type_name, bool required) {
  auto it = obj.find(key);
  const std::string here = at + "/" + key;
  if (it == obj.end()) {
    if (required) return fail(bad(here, fmt::format("is required ({})", type_name)));
    return static_cast<const json*>(nullptr);
  }
  const bool ok = it->type() == type ||
                  (type == json::value_t::number_integer && it->is_number_unsigned());
  if (!ok) return fail(bad(here, fmt::format("must be {}, not {}", type_name, it->type_name())));
  return &*it;
}

Result<std::vector<std::string>> strings(const json& arr, const std::string& at) {
  if (arr.size() > max_list) {
    return fail(bad(at, fmt::format("has {} entries; at most {}", arr.size(), max_list)));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) {
      return fail(bad(fmt::format("{}/{}", at, i),
                      fmt::format("must be a string, not {}", arr[i].type_name())));
    }
    out.push_back(arr[i].get<std::string>());
  }
  return out;
}

// Parses `text`, refusing a key repeated in one object: nlohmann keeps the last one, while a
// person reading the file sees the first. Tracks where it is to name the key's pointer.
class DuplicateKeyGuard {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
        frames_.push_back({event == E::array_start, -1, {}, {}});
        break;
      case E::object_end:
      case E::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case E::key: {
        auto& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second && !duplicate_) duplicate_ = pointer();
        break;
      }
      case E::value:
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
        break;
    }
    return true;
  }
  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool array;
    long index;
    std::string key;
    std::set<std::string> keys;
  };
  std::string pointer() const {
    std::string out;
    for (const auto& f : frames_) {
      out += "/" + (f.array ? std::to_string(f.index) : escaped(f.key));
    }
    return out;
  }
  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
};

Result<PermissionPolicy> build_from(const json& doc) {
  if (!doc.is_object()) return fail(bad("", "a policy must be a JSON object"));
  if (auto ok = only_keys(doc, "", {"name", "description", "permissions", "roles",
                                    "ownership_rules", "member_rules"});
      !ok) {
    return fail(ok.error());
  }
  PolicyBuilder b;
  auto name = member(doc, "", "name", json::value_t::string, "a string", false);
  if (!name) return fail(name.error());
  if (*name) b.name((*name)->get<std::string>());
  auto desc = member(doc, "", "description", json::value_t::string, "a string", false);
  if (!desc) return fail(desc.error());

  auto perms = member(doc, "", "permissions", json::value_t::array, "an array", true);
  if (!perms) return fail(perms.error());
  auto names = strings(**perms, "/permissions");
  if (!names) return fail(names.error());
  for (const auto& n : *names) b.permission(n);

  auto roles = member(doc, "", "roles", json::value_t::array, "an array", true);
  if (!roles) return fail(roles.error());
  if ((*roles)->size() > max_roles) {
    return fail(bad("/roles", fmt::format("has {} roles; at most {}", (*roles)->size(), max_roles)));
  }
  for (std::size_t r = 0; r < (*roles)->size(); ++r) {
    const json& role = (**roles)[r];
    const std::string at = fmt::format("/roles/{}", r);
    if (!role.is_object()) return fail(bad(at, "a role must be an object"));
    if (auto ok = only_keys(role, at, {"name", "description", "rank", "permissions", "owner",
                                       "manages_peers", "manages"});
        !ok) {
      return fail(ok.error());
    }
    RoleSpec spec;
    auto rname = member(role, at, "name", json::value_t::string, "a string", true);
    if (!rname) return fail(rname.error());
    spec.name = (*rname)->get<std::string>();
    auto rdesc = member(role, at, "description", json::value_t::string, "a string", false);
    if (!rdesc) return fail(rdesc.error());
    auto rank = member(role, at, "rank", json::value_t::number_integer, "an integer", true);
    if (!rank) return fail(rank.error());
    // An unsigned value past INT64_MAX would wrap to a negative rank: compare it as unsigned.
    if ((*rank)->is_number_unsigned() && (*rank)->get<std::uint64_t>() > 1000) {
      return fail(bad(at + "/rank", "must be -1000 to 1000"));
    }
    const auto rank_value = (*rank)->get<std::int64_t>();
    if (rank_value < -1000 || rank_value > 1000) {
      return fail(bad(at + "/rank", "must be -1000 to 1000"));
    }
    spec.rank = static_cast<int>(rank_value);
    auto rperms = member(role, at, "permissions", json::value_t::array, "an array", true);
    if (!rperms) return fail(rperms.error());
    auto listed = strings(**rperms, at + "/permissions");
    if (!listed) return fail(listed.error());
    // "*" is every declared permission (the owner of most policies).
    if (listed->size() == 1 && listed->front() == "*") {
      spec.permissions = *names;
    } else {
      spec.permissions = std::move(*listed);
    }
    for (auto [key, slot] : {std::pair{"owner", &spec.owner},
                             std::pair{"manages_peers", &spec.manages_peers}}) {
      auto flag = member(role, at, key, json::value_t::boolean, "true or false", false);
      if (!flag) return fail(flag.error());
      if (*flag) *slot = (*flag)->get<bool>();
    }
    auto manages = member(role, at, "manages", json::value_t::array, "an array", false);
    if (!manages) return fail(manages.error());
    if (*manages) {
      auto names_managed = strings(**manages, at + "/manages");
      if (!names_managed) return fail(names_managed.error());
      spec.manages = std::move(*names_managed);
    }
    b.role(std::move(spec));
  }

  auto pairs = member(doc, "", "ownership_rules", json::value_t::array, "an array", false);
  if (!pairs) return fail(pairs.error());
  if (*pairs) {
    for (std::size_t i = 0; i < (*pairs)->size(); ++i) {
      const json& rule = (**pairs)[i];
      const std::string at = fmt::format("/ownership_rules/{}", i);
      if (!rule.is_object()) return fail(bad(at, "must be an object with \"own\" and \"all\""));
      if (auto ok = only_keys(rule, at, {"own", "all"}); !ok) return fail(ok.error());
      auto own = member(rule, at, "own", json::value_t::string, "a string", true);
      if (!own) return fail(own.error());
      auto all = member(rule, at, "all", json::value_t::string, "a string", true);
      if (!all) return fail(all.error());
      b.ownership_rule((*own)->get<std::string>(), (*all)->get<std::string>());
    }
  }

  auto rules = member(doc, "", "member_rules", json::value_t::object, "an object", false);
  if (!rules) return fail(rules.error());
  if (*rules) {
    const json& mr = **rules;
    if (auto ok = only_keys(mr, "/member_rules", {"role_changes", "removable_roles",
                                                  "leaving_roles"});
        !ok) {
      return fail(ok.error());
    }
    MemberRules out;
    auto changes = member(mr, "/member_rules", "role_changes", json::value_t::array, "an array",
                          false);
    if (!changes) return fail(changes.error());
    if (*changes) {
      if ((*changes)->size() > max_list) {
        return fail(bad("/member_rules/role_changes", "too many entries"));
      }
      out.role_changes.emplace();
      for (std::size_t i = 0; i < (*changes)->size(); ++i) {
        const json& c = (**changes)[i];
        const std::string at = fmt::format("/member_rules/role_changes/{}", i);
        if (!c.is_object()) return fail(bad(at, "must be an object with \"from\" and \"to\""));
        if (auto ok = only_keys(c, at, {"from", "to"}); !ok) return fail(ok.error());
        auto from = member(c, at, "from", json::value_t::string, "a string", true);
        if (!from) return fail(from.error());
        auto to = member(c, at, "to", json::value_t::string, "a string", true);
        if (!to) return fail(to.error());
        out.role_changes->push_back({(*from)->get<std::string>(), (*to)->get<std::string>()});
      }
    }
    for (auto [key, slot] : {std::pair{"removable_roles", &out.removable_roles},
                             std::pair{"leaving_roles", &out.leaving_roles}}) {
      auto list = member(mr, "/member_rules", key, json::value_t::array, "an array", false);
      if (!list) return fail(list.error());
      if (!*list) continue;
      auto values = strings(**list, std::string("/member_rules/") + key);
      if (!values) return fail(values.error());
      *slot = std::move(*values);
    }
    b.member_rules(std::move(out));
  }

  auto built = b.build();
  if (!built) {
    Error e = std::move(built).error();
    e.field = pointer_of(e.field);
    return fail(std::move(e));
  }
  return built;
}

}  // namespace

Result<PermissionPolicy> PermissionPolicy::from_json(std::string_view text) {
  if (text.size() > max_file_bytes) {
    return fail(bad("", fmt::format("is {} bytes; a policy is at most {}", text.size(),
                                    max_file_bytes)));
  }
  try {
    DuplicateKeyGuard guard;
    json doc = json::parse(text.begin(), text.end(), std::ref(guard));
    if (guard.duplicate()) {
      return fail(bad(*guard.duplicate(), "this key appears twice in its object"));
    }
    return build_from(doc);
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 3, column 7: ...".
    std::string what = e.what();
    const auto at = what.find("parse error");
    return fail(bad("", at == std::string::npos ? what : what.substr(at)));
  } catch (const json::exception& e) {
    return fail(bad("", e.what()));
  } catch (const std::bad_alloc&) {
    return fail(bad("", "out of memory while reading the policy"));
  }
}

Result<PermissionPolicy> PermissionPolicy::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(Error::invalid("path", fmt::format("'{}' is not a readable file", path)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::invalid("path", fmt::format("cannot open '{}'", path)));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_file_bytes) {
      return fail(Error::invalid("path", fmt::format("'{}' is larger than {} bytes", path,
                                                     max_file_bytes)));
    }
  }
  auto policy = from_json(text);
  if (!policy) {
    Error e = std::move(policy).error();
    e.message = fmt::format("{} ({}: {})", e.message, path, e.field);
    return fail(std::move(e));
  }
  return policy;
}

std::string PermissionPolicy::to_json() const {
  // ordered_json keeps the keys in the order a person reads a policy in.
  using ojson = nlohmann::ordered_json;
  ojson doc;
  doc["name"] = name_;
  doc["permissions"] = names_;
  ojson roles = ojson::array();
  const PermissionSet all = all_permissions();
  for (const auto& r : roles_) {
    ojson role;
    role["name"] = r.name;
    role["rank"] = r.rank;
    ojson perms = ojson::array();
    if (r.permissions == all) {
      perms.push_back("*");
    } else {
      for (std::size_t i = 0; i < names_.size(); ++i) {
        if (r.permissions.test(i)) perms.push_back(names_[i]);
      }
    }
    if (r.owner) role["owner"] = true;
    if (r.manages_peers) role["manages_peers"] = true;
    if (r.manages) role["manages"] = *r.manages;
    role["permissions"] = std::move(perms);
    roles.push_back(std::move(role));
  }
  doc["roles"] = std::move(roles);
  ojson pairs = ojson::array();
  for (const auto& o : ownership_rules_) {
    pairs.push_back({{"own", names_[o.own.index]}, {"all", names_[o.all.index]}});
  }
  doc["ownership_rules"] = std::move(pairs);
  ojson mr = ojson::object();
  if (rules_.role_changes) {
    ojson changes = ojson::array();
    for (const auto& c : *rules_.role_changes) changes.push_back({{"from", c.from}, {"to", c.to}});
    mr["role_changes"] = std::move(changes);
  }
  if (rules_.removable_roles) mr["removable_roles"] = *rules_.removable_roles;
  if (rules_.leaving_roles) mr["leaving_roles"] = *rules_.leaving_roles;
  if (!mr.empty()) doc["member_rules"] = std::move(mr);
  return doc.dump(2) + "\n";
}

}  // namespace orgkit
