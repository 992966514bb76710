#include "model/snapshot.hpp"

#include "model/operations.hpp"
#include "model/reference_model.hpp"

namespace orgkit::model {

namespace {

std::string text(const MemberRow& m) {
  return "role=" + m.role + " email=" + m.email + " department=" + m.department;
}

std::string text(const InvitationRow& i) {
  return i.kind + " email=" + i.email + " role=" + i.role + " state=" + i.state +
         " department=" + i.department + " invited_by=" + i.invited_by +
         " expires_at=" + std::to_string(i.expires_at);
}

std::string text(const CustomRoleRow& r) {
  std::string out = "rank=" + std::to_string(r.rank) + " [";
  for (const auto& p : r.permissions) out += p + " ";
  return out + "]";
}

std::string text(const KeyRow& k) {
  return "name=" + k.name + " role=" + k.role + " revoked=" + (k.revoked ? "1" : "0") +
         " expires_at=" + (k.expires_at ? std::to_string(*k.expires_at) : "never");
}

std::string text(const UserRow& u) {
  std::string out = "active=" + u.active + " claims.active_org=" + u.claims_active + " orgs:";
  for (const auto& o : u.orgs) out += " {" + o + "}";
  return out;
}

// Differences between two maps of rows, each printed as "<where> <key>: model ... / library ...".
template <class Key, class Row>
void compare_rows(const std::string& where, const std::map<Key, Row>& expected,
                  const std::map<Key, Row>& actual, std::vector<std::string>& out,
                  std::string (*key_text)(const Key&)) {
  for (const auto& [key, row] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      out.push_back(where + " " + key_text(key) + ": model has {" + text(row) +
                    "}, library has none");
    } else if (!(it->second == row)) {
      out.push_back(where + " " + key_text(key) + ": model {" + text(row) + "}, library {" +
                    text(it->second) + "}");
    }
  }
  for (const auto& [key, row] : actual) {
    if (expected.count(key) == 0) {
      out.push_back(where + " " + key_text(key) + ": model has none, library has {" + text(row) +
                    "}");
    }
  }
}

std::string handle_text(const int& h) {
  return "#" + std::to_string(h);
}
std::string string_text(const std::string& s) {
  return s;
}

void compare_org(int handle, const OrgRow& e, const OrgRow& a, std::vector<std::string>& out) {
  const std::string where = "org #" + std::to_string(handle);
  auto field = [&](const char* name, const std::string& expected, const std::string& actual) {
    if (expected != actual) {
      out.push_back(where + " " + name + ": model '" + expected + "', library '" + actual + "'");
    }
  };
  field("tenant", e.tenant, a.tenant);
  field("name", e.name, a.name);
  if (e.slug != "*") field("slug", e.slug, a.slug);
  field("plan", e.plan, a.plan);
  field("personal", e.personal ? "1" : "0", a.personal ? "1" : "0");
  compare_rows(where + " member", e.members, a.members, out, &string_text);
  compare_rows(where + " invitation", e.invitations, a.invitations, out, &handle_text);
  compare_rows(where + " custom role", e.roles, a.roles, out, &string_text);
  compare_rows(where + " key", e.keys, a.keys, out, &handle_text);
  if (e.audit != a.audit) {  // A1: the first event where they part
    std::size_t i = 0;
    while (i < e.audit.size() && i < a.audit.size() && e.audit[i] == a.audit[i]) ++i;
    out.push_back(where + " audit event " + std::to_string(i + 1) + ": model '" +
                  (i < e.audit.size() ? e.audit[i] : "(none)") + "', library '" +
                  (i < a.audit.size() ? a.audit[i] : "(none)") + "' (" +
                  std::to_string(e.audit.size()) + " and " + std::to_string(a.audit.size()) +
                  " events)");
  }
}

}  // namespace

std::vector<Probe> probes_for(const std::vector<int>& org_handles, const std::set<int>& focus) {
  std::vector<int> orgs = org_handles;
  orgs.push_back(0);  // an id that never existed
  std::vector<Probe> out;
  for (int actor = 0; actor < cast_size; ++actor) {
    for (int org : orgs) {
      const bool full = cast(actor).is_member() || org == 0 || focus.count(org) != 0;
      for (int p = 0; p < permission_count; ++p) {
        if (full || p == members_read) out.push_back({Probe::Kind::check, actor, org, p});
      }
      if (cast(actor).is_member()) {
        out.push_back({Probe::Kind::own, actor, org, resources_manage_own});
        out.push_back({Probe::Kind::others, actor, org, resources_manage_own});
        out.push_back({Probe::Kind::others, actor, org, resources_manage_all});
      }
      if (org == 0 || focus.count(org) != 0) {
        out.push_back({Probe::Kind::fresh_check, actor, org, members_update_role});
        out.push_back({Probe::Kind::authorize, actor, org, members_invite});
        out.push_back({Probe::Kind::authorize, actor, org, org_delete});
      }
    }
  }
  return out;
}

std::string describe(const Probe& probe) {
  static const char* kinds[] = {"check", "check(fully_consistent)", "check(own resource)",
                                "check(someone else's resource)", "authorize"};
  return std::string(kinds[static_cast<int>(probe.kind)]) + "(" + cast(probe.actor).name +
         ", org #" + std::to_string(probe.org) + ", " + permission_name(probe.permission) + ")";
}

std::vector<std::string> differences(const Snapshot& expected, const Snapshot& actual,
                                     const std::vector<Probe>& probes) {
  std::vector<std::string> out;
  for (const auto& [handle, row] : expected.orgs) {
    auto it = actual.orgs.find(handle);
    if (it == actual.orgs.end()) {
      out.push_back("org #" + std::to_string(handle) + ": model has it, library has none");
    } else {
      compare_org(handle, row, it->second, out);
    }
  }
  for (const auto& [handle, row] : actual.orgs) {
    if (expected.orgs.count(handle) == 0) {
      out.push_back("org #" + std::to_string(handle) + ": model has none, library has it");
    }
  }
  for (const auto& [actor, row] : expected.users) {
    auto it = actual.users.find(actor);
    const UserRow none;
    const UserRow& got = it == actual.users.end() ? none : it->second;
    if (!(got == row)) {
      out.push_back("user " + cast(actor).name + ": model {" + text(row) + "}, library {" +
                    text(got) + "}");
    }
  }
  for (const auto& [key, verdict] : expected.verified_keys) {
    auto it = actual.verified_keys.find(key);
    const std::string got = it == actual.verified_keys.end() ? "(not asked)" : it->second;
    if (got != verdict) {
      out.push_back("verify_api_key(key #" + std::to_string(key) + "): model '" + verdict +
                    "', library '" + got + "'");
    }
  }
  for (const auto& [key, rows] : expected.rosters) {
    auto it = actual.rosters.find(key);
    const std::string got = it == actual.rosters.end() ? "(not asked)" : it->second;
    if (got != rows) {
      out.push_back("list_roster(" + cast(key.second).name + ", org #" + std::to_string(key.first) +
                    "): model '" + rows + "', library '" + got + "'");
    }
  }
  if (expected.probes.size() != actual.probes.size()) {
    out.push_back("probe lists differ in length (a harness bug)");
    return out;
  }
  for (std::size_t i = 0; i < probes.size() && i < expected.probes.size(); ++i) {
    if (expected.probes[i] != actual.probes[i]) {
      out.push_back(describe(probes[i]) + ": model '" + expected.probes[i] + "', library '" +
                    actual.probes[i] + "'");
    }
  }
  return out;
}

}  // namespace orgkit::model
