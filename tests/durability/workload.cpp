// The durability suites' workload and views: see workload.hpp.
#include "durability/workload.hpp"

#include <algorithm>
#include <sstream>

#include <sqlite3.h>

namespace orgkit::test {

std::string describe(const Memberships& m) {
  std::string out;
  for (const auto& [org, members] : m) {
    out += org + ":";
    for (const auto& [user, role] : members) out += " " + user + "=" + role;
    out += "\n";
  }
  return out.empty() ? "(no organizations)\n" : out;
}

void apply_effects(Memberships& m, const std::vector<Effect>& effects) {
  for (const Effect& e : effects) {
    auto& org = m[e.org];
    if (e.role.empty()) {
      org.erase(e.user);
    } else {
      org[e.user] = e.role;
    }
  }
}

std::string encode(const Effect& e) {
  return e.role.empty() ? "- " + e.org + "|" + e.user : "= " + e.org + "|" + e.user + "|" + e.role;
}

bool decode(const std::string& line, Effect& out) {
  if (line.size() < 3 || (line[0] != '-' && line[0] != '=') || line[1] != ' ') return false;
  std::vector<std::string> parts;
  std::stringstream in(line.substr(2));
  for (std::string part; std::getline(in, part, '|');) parts.push_back(part);
  if (line[0] == '-' && parts.size() == 2) {
    out = Effect{parts[0], parts[1], {}};
    return true;
  }
  if (line[0] == '=' && parts.size() == 3 && !parts[2].empty()) {
    out = Effect{parts[0], parts[1], parts[2]};
    return true;
  }
  return false;
}

std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return "open failed: " + why;
  }
  std::string out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (!out.empty()) out += "; ";
      out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
  } else {
    out = std::string("integrity_check failed: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

namespace {

Result<std::vector<Organization>> all_organizations(Service& kit) {
  std::vector<Organization> out;
  OrganizationQuery q;
  q.limit = 1000;
  for (;;) {
    auto page = kit.list_tenant_organizations(Actor::host(), q);
    if (!page) return fail(page.error());
    for (auto& o : page->items) out.push_back(std::move(o));
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  return out;
}

}  // namespace

Result<Memberships> stored_memberships(Service& kit) {
  auto orgs = all_organizations(kit);
  if (!orgs) return fail(orgs.error());
  Memberships out;
  for (const Organization& o : *orgs) {
    auto& members = out[o.name];
    MemberQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = kit.list_members(Actor::host(), o.id, q);
      if (!page) return fail(page.error());
      for (const Membership& m : page->items) members[m.user.value()] = m.role;
      if (!page->next_cursor) break;
      q.cursor = *page->next_cursor;
    }
  }
  return out;
}

Result<Memberships> replayed_memberships(Service& kit) {
  auto orgs = all_organizations(kit);
  if (!orgs) return fail(orgs.error());
  Memberships out;
  for (const Organization& o : *orgs) {
    std::vector<AuditEvent> events;
    AuditQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = kit.list_audit_events(Actor::host(), o.id, q);
      if (!page) return fail(page.error());
      for (auto& e : page->items) events.push_back(std::move(e));
      if (!page->next_cursor) break;
      q.cursor = *page->next_cursor;
    }
    std::sort(events.begin(), events.end(),
              [](const AuditEvent& a, const AuditEvent& b) { return a.id.value() < b.id.value(); });
    auto& members = out[o.name];
    auto after = [](const AuditEvent& e, const char* field) -> std::string {
      for (const FieldChange& c : e.changes) {
        if (c.field == field && c.after) return *c.after;
      }
      return {};
    };
    for (const AuditEvent& e : events) {
      if (e.action == "organization.created") {
        if (e.actor_kind == PrincipalKind::member) members[e.actor.value()] = "owner";
      } else if (e.action == "member.added" || e.action == "member.role_changed") {
        members[e.target] = after(e, "role");
      } else if (e.action == "member.removed" || e.action == "member.left") {
        members.erase(e.target);
      } else if (e.action == "invitation.accepted") {
        members[after(e, "member")] = after(e, "role");
      }
    }
  }
  return out;
}

Actor Workload::owner() {
  return Actor{UserId("u-owner"), "owner@example.com", "Owner"};
}

Step Workload::next() {
  Step s;
  // Organizations first; then mostly membership changes, some invitations.
  const auto roll = random_() % 100;
  if (orgs_.empty() || (roll < 8 && orgs_.size() < 6)) {
    op_ = Op::create;
    const std::string name = prefix_ + "Org " + std::to_string(next_org_++);
    s.what = "create " + name;
    s.effects = {{name, "u-owner", "owner"}};
    user_ = name;
    return s;
  }
  org_ = random_() % orgs_.size();
  const std::string& org = orgs_[org_].name;
  auto& members = expected_[org];
  std::vector<std::string> others;
  for (const auto& [user, role] : members) {
    if (user != "u-owner") others.push_back(user);
  }
  static const char* const roles[] = {"admin", "member", "viewer"};
  role_ = roles[random_() % 3];
  if (roll < 20 && !pending_.empty()) {
    op_ = Op::accept;
    pending_index_ = random_() % pending_.size();
    const Pending& p = pending_[pending_index_];
    s.what = "accept the invitation of " + p.user + " to " + orgs_[p.org].name;
    s.effects = {{orgs_[p.org].name, p.user, p.role}};
    return s;
  }
  if (roll < 30) {
    op_ = Op::invite;
    user_ = prefix_ + "u-" + std::to_string(next_user_++);
    s.what = "invite " + user_ + " to " + org + " as " + role_;
    return s;  // no membership until it is accepted
  }
  if (others.empty() || roll < 55) {
    op_ = Op::add;
    user_ = prefix_ + "u-" + std::to_string(next_user_++);
    s.what = "add " + user_ + " to " + org + " as " + role_;
    s.effects = {{org, user_, role_}};
    return s;
  }
  user_ = others[random_() % others.size()];
  if (roll < 80) {
    op_ = Op::change;
    s.what = "make " + user_ + " " + role_ + " in " + org;
    s.effects = {{org, user_, role_}};
    return s;
  }
  op_ = Op::remove;
  s.what = "remove " + user_ + " from " + org;
  s.effects = {{org, user_, {}}};
  return s;
}

void Workload::run(Service& kit, Step& s) {
  const Actor owner = Workload::owner();
  auto done = [&](const auto& r) {
    s.ok = r.has_value();
    if (r) {
      s.token = r->commit_token.sequence();
    } else {
      s.error = r.error().code;
    }
    return s.ok;
  };
  switch (op_) {
    case Op::create: {
      NewOrganization spec;
      spec.name = user_;
      auto r = kit.create_organization(owner, spec);
      if (done(r)) orgs_.push_back({r->id, user_});
      break;
    }
    case Op::add: {
      const std::string email = user_ + "@example.com";
      done(kit.add_member(owner, orgs_[org_].id, {UserId(user_), email, user_, role_}));
      break;
    }
    case Op::change:
      done(kit.change_member_role(owner, orgs_[org_].id, UserId(user_), role_));
      break;
    case Op::remove:
      done(kit.remove_member(owner, orgs_[org_].id, UserId(user_)));
      break;
    case Op::invite: {
      InviteRequest request;
      request.email = user_ + "@example.com";
      request.role = role_;
      auto r = kit.invite(owner, orgs_[org_].id, request);
      if (done(r)) pending_.push_back({org_, user_, role_, r->token});
      break;
    }
    case Op::accept: {
      const Pending p = pending_[pending_index_];
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(pending_index_));
      const Actor invitee{UserId(p.user), p.user + "@example.com", p.user};
      done(kit.accept_invitation(invitee, p.token));
      break;
    }
  }
  if (s.ok) apply_effects(expected_, s.effects);
}

}  // namespace orgkit::test
