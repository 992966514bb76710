// What a generated op names, picked from where a sequence stands (the scratch reference
// model): the generator's random ops and its scenarios share it.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "model/generator.hpp"

namespace orgkit::model {

inline const std::vector<std::string> custom_names = {"ops", "auditor", "lead"};
inline const std::vector<std::string> grantable_pool = {
    "members:read",     "members:read",         "resources:read",  "resources:read",
    "members:invite",   "members:add",          "members:remove",  "members:update_role",
    "resources:create", "resources:manage_own", "api_keys:manage", "audit:read",
    "org:update",       "roles:manage"};

// Picks what an op names, leaning on the model's state.
class Picker {
 public:
  Picker(Random& random, const ReferenceModel& model) : r_(random), m_(model) {}

  // Someone who is in some organization, most of the time; the others now and then.
  int actor() {
    std::vector<int> members;
    for (int a = 0; a < cast_size; ++a) {
      if (cast(a).is_member() && !orgs_of(a).empty()) members.push_back(a);
    }
    const int roll = r_.below(100);
    if (roll < 65 && !members.empty()) return r_.pick(members);
    if (roll < 80) return r_.below(first_other_user + 1);  // u1..u5, other:u1
    if (roll < 88) return tenant_admin;
    if (roll < 96) return default_host;
    return other_host;
  }

  // Organizations the actor can see (R1: all the others are not_found).
  std::vector<int> orgs_of(int actor) const {
    std::vector<int> out;
    for (int h : m_.org_handles()) {
      if (m_.role_in(actor, h)) out.push_back(h);
    }
    return out;
  }

  int org(int actor) {
    const auto mine = orgs_of(actor);
    const auto all = m_.org_handles();
    const int roll = r_.below(100);
    if (roll < 82 && !mine.empty()) return r_.pick(mine);
    if (roll < 96 && !all.empty()) return r_.pick(all);  // deleted, foreign, another tenant's
    return 0;
  }

  const Org* live(int org) const {
    auto it = m_.state().orgs.find(org);
    return it != m_.state().orgs.end() && it->second.alive ? &it->second : nullptr;
  }

  // A target member, leaning on owners, on the actor themself, and on members whose
  // invitations are still pending (demoting or removing them is what R3 is about).
  std::string user(int actor, int org) {
    const Org* o = live(org);
    const int roll = r_.below(100);
    if (o != nullptr && r_.percent(20)) {
      std::vector<std::string> inviters;
      for (const auto& [handle, inv] : m_.state().invitations) {
        if (inv.org == org && inv.state == Stored::pending && o->members.count(inv.invited_by)) {
          inviters.push_back(inv.invited_by);
        }
      }
      if (!inviters.empty()) return r_.pick(inviters);
    }
    if (o != nullptr && !o->members.empty()) {
      std::vector<std::string> owners, members;
      for (const auto& [id, m] : o->members) {
        (m.role == "owner" ? owners : members).push_back(id);
      }
      if (roll < 30 && !owners.empty()) return r_.pick(owners);
      if (roll < 50 && cast(actor).is_member()) return cast(actor).id;
      if (roll < 85 && !members.empty()) return r_.pick(members);
    }
    return r_.pick(user_ids());
  }

  // Someone not in the organization yet, most of the time.
  std::string newcomer(int org) {
    const Org* o = live(org);
    std::vector<std::string> out;
    for (const auto& id : user_ids()) {
      if (o == nullptr || o->members.count(id) == 0) out.push_back(id);
    }
    return !out.empty() && r_.percent(80) ? r_.pick(out) : r_.pick(user_ids());
  }

  std::string role(int org) {
    const int roll = r_.below(100);
    if (roll < 12) return "owner";
    if (roll < 36) return "admin";
    if (roll < 60) return "member";
    if (roll < 75) return "viewer";
    const Org* o = live(org);
    if (roll < 95 && o != nullptr && !o->roles.empty()) {
      auto it = o->roles.begin();
      std::advance(it, r_.below(static_cast<int>(o->roles.size())));
      return it->first;
    }
    if (roll < 95) return "member";
    return r_.percent(50) ? "ghost" : r_.pick(custom_names);  // unknown here
  }

  // Whom ownership goes to: mostly a member who is not an owner yet.
  std::string heir(int actor, int org) {
    const Org* o = live(org);
    std::vector<std::string> others;
    if (o != nullptr) {
      for (const auto& [id, m] : o->members) {
        if (m.role != "owner") others.push_back(id);
      }
    }
    if (!others.empty() && r_.percent(70)) return r_.pick(others);
    return user(actor, org);
  }

  // A member principal of `org`, most of the time; else anyone.
  int member_of(int org) {
    const Org* o = live(org);
    std::vector<int> actors;
    for (int a = 0; o != nullptr && a < cast_size; ++a) {
      if (cast(a).is_member() && cast(a).tenant == o->tenant && o->members.count(cast(a).id) != 0) {
        actors.push_back(a);
      }
    }
    return !actors.empty() && r_.percent(75) ? r_.pick(actors) : actor();
  }

  std::string custom_role(int org) {
    const Org* o = live(org);
    if (o != nullptr && !o->roles.empty() && r_.percent(85)) {
      auto it = o->roles.begin();
      std::advance(it, r_.below(static_cast<int>(o->roles.size())));
      return it->first;
    }
    return r_.pick(custom_names);
  }

  std::vector<std::string> permissions() {
    std::vector<std::string> out;
    const int n = 1 + r_.below(4);
    for (int i = 0; i < n; ++i) out.push_back(r_.pick(grantable_pool));
    if (r_.percent(5)) out.push_back("billing:manage");  // R2: never for a custom role
    return out;
  }

  std::string email(int org) {
    const int roll = r_.below(100);
    if (roll < 75) return email_of(newcomer(org));
    if (roll < 85) {
      std::string upper = email_of(r_.pick(user_ids()));
      upper[0] = 'U';  // "U3@example.com": the same address (I2, I8)
      for (auto i = upper.find('@') + 1; i < upper.size(); ++i) {
        if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 32);
      }
      return upper;
    }
    if (roll < 95) return "stranger@example.com";
    return "not-an-email";
  }

  // A token: mostly one that works now, sometimes a used, stale or unknown one.
  int token() {
    const auto& tokens = m_.state().tokens;
    const int roll = r_.below(100);
    std::vector<int> working, all;
    for (const auto& [t, inv] : tokens) {
      all.push_back(t);
      auto it = m_.state().invitations.find(inv);
      if (it != m_.state().invitations.end() && it->second.token == t &&
          it->second.state == Stored::pending) {
        working.push_back(t);
      }
    }
    if (roll < 70 && !working.empty()) return r_.pick(working);
    if (roll < 92 && !all.empty()) return r_.pick(all);
    return roll < 97 ? 0 : -1;
  }

  // Whom a token was meant for, if a cast member: accepting as them passes I2.
  int invitee(int token) {
    auto t = m_.state().tokens.find(token);
    if (t != m_.state().tokens.end()) {
      auto inv = m_.state().invitations.find(t->second);
      if (inv != m_.state().invitations.end() && !inv->second.link && r_.percent(70)) {
        const std::string key = email_key(inv->second.email);
        const bool other = m_.state().orgs.at(inv->second.org).tenant == "other";
        for (const auto& id : user_ids()) {
          if (email_key(email_of(id)) == key) return other ? first_other_user : cast_index(id);
        }
      }
    }
    return r_.below(first_other_user + 1);
  }

  template <class Map>
  int handle_in(const Map& items, int percent) {
    if (items.empty() || !r_.percent(percent)) return 0;
    auto it = items.begin();
    std::advance(it, r_.below(static_cast<int>(items.size())));
    return it->first;
  }

  // The cast index of `user` in `tenant`, or -1 when the cast has no such principal.
  static int actor_for(const std::string& tenant, const std::string& user) {
    for (int a = 0; a < cast_size; ++a) {
      if (cast(a).is_member() && cast(a).tenant == tenant && cast(a).id == user) return a;
    }
    return -1;
  }

  // A live, shared organization of the default tenant, or 0.
  int shared_org() {
    std::vector<int> out;
    for (const auto& [handle, org] : m_.state().orgs) {
      if (org.alive && !org.personal && org.tenant == "default") out.push_back(handle);
    }
    return out.empty() ? 0 : r_.pick(out);
  }

  // An owner of `org` who can act (a member principal), or -1.
  int owner_of(int org) {
    const Org* o = live(org);
    std::vector<int> out;
    for (int a = 0; o != nullptr && a < cast_size; ++a) {
      auto m = cast(a).is_member() && cast(a).tenant == o->tenant ? o->members.find(cast(a).id)
                                                                  : o->members.end();
      if (m != o->members.end() && m->second.role == "owner") out.push_back(a);
    }
    return out.empty() ? -1 : r_.pick(out);
  }

 private:
  Random& r_;
  const ReferenceModel& m_;
};

}  // namespace orgkit::model
