// Fuzz target: bytes -> a sequence of Service operations by a few actors on a fresh in-memory
// SQLite Service, with invariants checked after every step.
//
// Input: byte 0 picks the policy (the standard one or a file of examples/policies/) and
// whether pending invitations hold seats; then each operation is an opcode byte followed by
// its operands, one byte each (actor, organization, user, role, ...; every byte is taken
// modulo what it chooses among, and a missing byte reads as 0). The actors are u0..u4 of the
// default tenant, its host and a tenant administrator, and u0 of tenant "other".
//
// Invariants, each a trap when broken (operations_state.hpp has the state ones):
//   - no exception escapes; no operation fails with a storage error;
//   - a failed operation changed nothing: the snapshot of everything stored (members, roles,
//     invitations, keys, custom roles, the newest audit event, active organizations) is the
//     same before and after; the one documented exception, accepting an invitation whose
//     sender lost the right to grant it, may only close that invitation (R3);
//   - an organization the actor cannot see (another tenant's, one they are not a member of,
//     one that does not exist) answers not_found or invalid_argument, never anything else (R1);
//   - every organization has an owner, a personal one exactly one member, seats hold;
//   - check() never errors on a declared permission and answers what the member's role holds
//     (cache or not, fully consistent or not, as authorize() and the P7 overload do);
//   - my_organizations() and claims() list exactly the actor's memberships and roles;
//   - a replaced invitation token opens nothing; a key verifies exactly while it is live;
//   - a successful operation did what it said (the member has the role it was given, ...).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "operations_state.hpp"

namespace {

using namespace orgkit;
using fuzz::describe;
using fuzz::guarded;
using fuzz::OrgState;
using fuzz::Snapshot;
using fuzz::World;

constexpr std::size_t max_steps = 48;

/// The input, a byte at a time; 0 once it is used up.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool done() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : byte() % n; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

/// What one step did, for the invariants.
struct Outcome {
  const char* call = "clock";                ///< The Service call, for ORGKIT_FUZZ_TRACE.
  std::optional<Error> error;                ///< Set when the operation failed.
  const Actor* actor = nullptr;              ///< Who acted, for org-scoped operations.
  OrgId org;                                 ///< The organization it named (0 when none).
  bool scoped = false;                       ///< Whether it acts on `org` (R1 applies).
  const fuzz::IssuedToken* token = nullptr;  ///< The token it presented, if any.
  std::function<void(const Snapshot&, const Snapshot&)> check_success;
};

template <class R>
Outcome outcome(const R& result, const char* call) {
  Outcome o;
  o.call = call;
  if (!result) o.error = result.error();
  return o;
}

const PermissionPolicy& policy_for(std::uint8_t choice) {
  static const std::vector<PermissionPolicy> policies = [] {
    std::vector<PermissionPolicy> out{PermissionPolicy::standard()};
    for (const char* file :
         {"000_mixedbread.json", "001_mindee_roles.json", "002_mindee_accounts.json",
          "003_tenant_orgs.json", "004_mixus.json"}) {
      auto p = PermissionPolicy::load(std::string(ORGKIT_POLICY_DIR) + "/" + file);
      if (!p) fuzz::violated("the example policies load", describe(p.error()));
      out.push_back(std::move(*p));
    }
    return out;
  }();
  return policies[choice % policies.size()];
}

struct Step {
  World& w;
  Input& in;
  const Snapshot& before;

  const Actor& actor() { return w.actors[in.pick(w.actors.size())]; }
  OrgId org() {
    // Every organization made so far (deleted ones too), or one that never existed.
    const std::size_t n = w.orgs.size();
    const std::size_t i = in.pick(n + 1);
    return i < n ? w.orgs[i] : OrgId(n == 0 ? 1 : 4242);
  }
  UserId user() {
    const std::size_t i = in.pick(6);
    return i < 5 ? w.actors[i].id : UserId("ghost");
  }
  std::string role() {
    const auto& roles = w.policy().roles();
    static const std::array<const char*, 4> extra = {"c1", "c2", "c3", "nope"};
    const std::size_t i = in.pick(roles.size() + extra.size());
    return i < roles.size() ? roles[i].name : std::string(extra[i - roles.size()]);
  }
  std::string custom_name() { return "c" + std::to_string(1 + in.pick(3)); }
  std::string email() {
    const std::size_t i = in.pick(6);
    std::string e = i < 5 ? w.actors[i].email : std::string("ghost@example.com");
    if (in.byte() & 1) e[0] = static_cast<char>(e[0] - 'a' + 'A');  // addresses ignore case
    return e;
  }
  std::vector<std::string> permissions() {
    const unsigned low = in.byte();
    const unsigned bits = low | (static_cast<unsigned>(in.byte()) << 8);
    std::vector<std::string> out;
    const auto& names = w.policy().permission_names();
    for (std::size_t i = 0; i < names.size() && i < 16; ++i) {
      if (bits & (1u << i)) out.push_back(names[i]);
    }
    return out;
  }
  const fuzz::IssuedToken* token() {
    return w.tokens.empty() ? nullptr : &w.tokens[in.pick(w.tokens.size())];
  }
  InvitationId invitation() {
    return w.invitations.empty() ? InvitationId(1) : w.invitations[in.pick(w.invitations.size())];
  }
  Outcome scoped(Outcome o, const Actor& a, OrgId org) {
    o.actor = &a;
    o.org = org;
    o.scoped = true;
    return o;
  }
  bool is_member(const Snapshot& s, OrgId org, const UserId& user, const std::string& role = {}) {
    const OrgState* o = s.find(org);
    const Membership* m = o ? o->member(user) : nullptr;
    return m != nullptr && (role.empty() || m->role == role);
  }

  Outcome organizations(std::size_t op);
  Outcome members(std::size_t op);
  Outcome invitations(std::size_t op);
  Outcome roles_and_keys(std::size_t op);
  Outcome run();
};

Outcome Step::organizations(std::size_t op) {
  const Actor& a = actor();
  switch (op) {
    case 0: {
      NewOrganization spec;
      spec.name = "Org " + std::to_string(w.orgs.size());
      static const std::array<const char*, 4> plans = {"", "team", "solo", "gold"};
      spec.plan = plans[in.pick(plans.size())];
      const UserId owner = user();
      if (!a.is_member()) spec.owner = NewOwner{owner, owner.value() + "@example.com", ""};
      auto r = guarded("create_organization", [&] { return w.kit->create_organization(a, spec); });
      Outcome o = outcome(r, "create_organization");
      o.actor = &a;
      if (r) {
        w.orgs.push_back(r->id);
        const UserId founder = a.is_member() ? a.id : owner;
        const OrgId id = r->id;
        o.check_success = [this, founder, id](const Snapshot&, const Snapshot& after) {
          ORGKIT_FUZZ_REQUIRE(is_member(after, id, founder, w.policy().owner_role().name),
                              "a new organization is owned by its founder");
        };
      }
      return o;
    }
    case 1: {
      auto r = guarded("ensure_personal_organization",
                       [&] { return w.kit->ensure_personal_organization(a); });
      if (r && std::find(w.orgs.begin(), w.orgs.end(), r->id) == w.orgs.end()) {
        w.orgs.push_back(r->id);
      }
      return outcome(r, "ensure_personal_organization");
    }
    case 2: {
      const OrgId org = this->org();
      auto r = guarded("delete_organization", [&] { return w.kit->delete_organization(a, org); });
      Outcome o = scoped(outcome(r, "delete_organization"), a, org);
      o.check_success = [org](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(after.find(org) == nullptr, "a deleted organization is gone");
      };
      return o;
    }
    case 3: {
      const OrgId org = this->org();
      auto r = guarded("leave_organization", [&] { return w.kit->leave_organization(a, org); });
      Outcome o = scoped(outcome(r, "leave_organization"), a, org);
      o.check_success = [this, org, &a](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(!is_member(after, org, a.id) && after.find(org),
                            "whoever leaves is no longer a member, of an organization that stays");
      };
      return o;
    }
    case 4: {
      const OrgId org = this->org();
      const UserId to = user();
      const std::string previous = in.byte() & 1 ? role() : std::string();
      auto r = guarded("transfer_ownership",
                       [&] { return w.kit->transfer_ownership(a, org, to, previous); });
      Outcome o = scoped(outcome(r, "transfer_ownership"), a, org);
      o.check_success = [this, org, to](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(is_member(after, org, to, w.policy().owner_role().name),
                            "ownership went to the new owner");
      };
      return o;
    }
    case 5: {
      const OrgId org = this->org();
      static const std::array<const char*, 4> plans = {"pro", "team", "solo", "gold"};
      const std::string plan = plans[in.pick(plans.size())];
      auto r = guarded("set_plan", [&] { return w.kit->set_plan(a, org, plan); });
      return scoped(outcome(r, "set_plan"), a, org);
    }
    case 6: {
      const OrgId org = this->org();
      auto r = guarded("set_active_organization",
                       [&] { return w.kit->set_active_organization(a, org); });
      return scoped(outcome(r, "set_active_organization"), a, org);
    }
    default: {
      const OrgId org = this->org();
      OrganizationUpdate update;
      if (in.byte() & 1) update.name = "Renamed";
      update.description = "about " + std::to_string(in.byte());
      auto r = guarded("update_organization",
                       [&] { return w.kit->update_organization(a, org, update); });
      return scoped(outcome(r, "update_organization"), a, org);
    }
  }
}

Outcome Step::members(std::size_t op) {
  const Actor& a = actor();
  const OrgId org = this->org();
  switch (op) {
    case 0: {
      const std::size_t i = in.pick(6);
      const UserId id = i < 5 ? w.actors[i].id : UserId("ghost");
      const std::string email = i < 5 ? w.actors[i].email : "ghost@example.com";
      const std::string r_name = role();
      auto r = guarded("add_member", [&] {
        return w.kit->add_member(a, org, {id, email, "", r_name});
      });
      Outcome o = scoped(outcome(r, "add_member"), a, org);
      o.check_success = [this, org, id, r_name](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(is_member(after, org, id, r_name), "an added member has their role");
      };
      return o;
    }
    case 1: {
      const UserId id = user();
      const std::string r_name = role();
      auto r = guarded("change_member_role",
                       [&] { return w.kit->change_member_role(a, org, id, r_name); });
      Outcome o = scoped(outcome(r, "change_member_role"), a, org);
      o.check_success = [this, org, id, r_name](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(is_member(after, org, id, r_name), "a changed member has the new role");
      };
      return o;
    }
    case 2: {
      const UserId id = user();
      auto r = guarded("remove_member", [&] { return w.kit->remove_member(a, org, id); });
      Outcome o = scoped(outcome(r, "remove_member"), a, org);
      o.check_success = [this, org, id](const Snapshot&, const Snapshot& after) {
        ORGKIT_FUZZ_REQUIRE(!is_member(after, org, id), "a removed member is gone");
      };
      return o;
    }
    case 3: {
      std::vector<MemberRoleChange> rows(1 + in.pick(3));
      for (auto& row : rows) row = {user(), role()};
      auto r =
          guarded("change_member_roles", [&] { return w.kit->change_member_roles(a, org, rows); });
      if (r) {
        ORGKIT_FUZZ_REQUIRE(r->rows.size() == rows.size() && r->applied + r->failed == rows.size(),
                            "a bulk change answers every row");
      }
      return scoped(outcome(r, "change_member_roles"), a, org);
    }
    case 4: {
      std::vector<UserId> users(1 + in.pick(3));
      for (auto& u : users) u = user();
      auto r = guarded("remove_members", [&] { return w.kit->remove_members(a, org, users); });
      if (r) {
        ORGKIT_FUZZ_REQUIRE(
            r->rows.size() == users.size() && r->applied + r->failed == users.size(),
            "a bulk removal answers every row");
      }
      return scoped(outcome(r, "remove_members"), a, org);
    }
    default: {
      const UserId id = user();
      static const std::array<const char*, 3> departments = {"", "sales", "Engineering"};
      const std::string dept = departments[in.pick(departments.size())];
      auto r = guarded("set_member_department",
                       [&] { return w.kit->set_member_department(a, org, id, dept); });
      return scoped(outcome(r, "set_member_department"), a, org);
    }
  }
}

Outcome Step::invitations(std::size_t op) {
  const Actor& a = actor();
  switch (op) {
    case 0: {
      const OrgId org = this->org();
      InviteRequest request{email(), role(), "", "", std::nullopt};
      auto r = guarded("invite", [&] { return w.kit->invite(a, org, request); });
      if (r) w.issued(r->token, r->invitation.id, org);
      return scoped(outcome(r, "invite"), a, org);
    }
    case 1: {
      const OrgId org = this->org();
      const std::string r_name = role();
      const auto expiry = static_cast<LinkExpiry>(in.pick(4));
      auto r = guarded("create_invite_link",
                       [&] { return w.kit->create_invite_link(a, org, r_name, expiry); });
      if (r) w.issued(r->token, r->invitation.id, org);
      return scoped(outcome(r, "create_invite_link"), a, org);
    }
    case 2: {
      const fuzz::IssuedToken* t = token();
      const std::string text = t ? t->text : "oki_unknown";
      auto r = guarded("accept_invitation", [&] { return w.kit->accept_invitation(a, text); });
      Outcome o = outcome(r, "accept_invitation");
      o.actor = &a;
      o.token = t;
      if (r) {
        ORGKIT_FUZZ_REQUIRE(t && !t->replaced, "a replaced token is never accepted");
        if (r->invitation.kind == InvitationKind::email) {
          ORGKIT_FUZZ_REQUIRE(fuzz::same_address(r->invitation.email, a.email),
                              "an email invitation is accepted by its address only");
        }
        const OrgId org = r->membership.org;
        o.check_success = [this, org, &a](const Snapshot&, const Snapshot& after) {
          ORGKIT_FUZZ_REQUIRE(is_member(after, org, a.id), "whoever accepts is a member");
        };
      }
      return o;
    }
    case 3: {
      const fuzz::IssuedToken* t = token();
      const std::string text = t ? t->text : "oki_unknown";
      auto r = guarded("decline_invitation", [&] { return w.kit->decline_invitation(a, text); });
      ORGKIT_FUZZ_REQUIRE(!r || (t && !t->replaced), "a replaced token is never declined");
      Outcome o = outcome(r, "decline_invitation");
      o.actor = &a;
      o.token = t;
      return o;
    }
    case 4: {
      const fuzz::IssuedToken* t = token();
      const std::string text = t ? t->text : "oki_unknown";
      auto r =
          guarded("preview_invitation", [&] { return w.kit->preview_invitation(text, a.tenant); });
      ORGKIT_FUZZ_REQUIRE(!r || (t && !t->replaced), "a replaced token previews nothing");
      if (!r && t && t->replaced) {
        ORGKIT_FUZZ_REQUIRE(r.error().code == ErrorCode::not_found, "a replaced token is unknown");
      }
      return outcome(r, "preview_invitation");
    }
    case 5: {
      const OrgId org = this->org();
      const InvitationId id = invitation();
      auto r = guarded("revoke_invitation", [&] { return w.kit->revoke_invitation(a, org, id); });
      return scoped(outcome(r, "revoke_invitation"), a, org);
    }
    case 6: {
      const OrgId org = this->org();
      const InvitationId id = invitation();
      auto r = guarded("resend_invitation", [&] { return w.kit->resend_invitation(a, org, id); });
      if (r) w.issued(r->token, r->invitation.id, org);
      return scoped(outcome(r, "resend_invitation"), a, org);
    }
    default: {
      const OrgId org = this->org();
      std::string csv = "email,role\n";
      for (std::size_t i = 1 + in.pick(3); i > 0; --i) {
        csv += email();
        csv += "," + role() + "\n";
      }
      auto r = guarded("import_invitations_csv",
                       [&] { return w.kit->import_invitations_csv(a, org, csv); });
      if (r) {
        for (const auto& row : r->rows) {
          if (!row.invitation) continue;
          const auto at = row.accept_url.find("oki_");
          ORGKIT_FUZZ_REQUIRE(at != std::string::npos, "an imported row carries its link");
          w.issued(row.accept_url.substr(at), *row.invitation, org);
        }
      }
      return scoped(outcome(r, "import_invitations_csv"), a, org);
    }
  }
}

Outcome Step::roles_and_keys(std::size_t op) {
  const Actor& a = actor();
  switch (op) {
    case 0: {
      const OrgId org = this->org();
      static const std::array<int, 6> ranks = {5, 15, 30, 50, 60, 100};
      CustomRole spec{custom_name(), ranks[in.pick(ranks.size())], permissions(), {}};
      auto r = guarded("create_role", [&] { return w.kit->create_role(a, org, spec); });
      return scoped(outcome(r, "create_role"), a, org);
    }
    case 1: {
      const OrgId org = this->org();
      const std::string name = custom_name();
      CustomRoleUpdate update;
      if (in.byte() & 1) update.name = custom_name();
      if (in.byte() & 1) update.permissions = permissions();
      auto r = guarded("update_role", [&] { return w.kit->update_role(a, org, name, update); });
      return scoped(outcome(r, "update_role"), a, org);
    }
    case 2: {
      const OrgId org = this->org();
      const std::string name = custom_name();
      std::optional<std::string> reassign;
      if (in.byte() & 1) reassign = role();
      auto r = guarded("delete_role", [&] { return w.kit->delete_role(a, org, name, reassign); });
      return scoped(outcome(r, "delete_role"), a, org);
    }
    case 3: {
      const OrgId org = this->org();
      NewApiKey spec{"key", role(), std::nullopt};
      auto r = guarded("create_api_key", [&] { return w.kit->create_api_key(a, org, spec); });
      if (r) w.keys.push_back({r->secret, r->key.id, org});
      return scoped(outcome(r, "create_api_key"), a, org);
    }
    case 4: {
      const OrgId org = this->org();
      const ApiKeyId id = w.keys.empty() ? ApiKeyId(1) : w.keys[in.pick(w.keys.size())].id;
      auto r = guarded("revoke_api_key", [&] { return w.kit->revoke_api_key(a, org, id); });
      return scoped(outcome(r, "revoke_api_key"), a, org);
    }
    default: {
      if (w.keys.empty()) return {};
      const fuzz::IssuedKey& key = w.keys[in.pick(w.keys.size())];
      auto r = guarded("verify_api_key", [&] { return w.kit->verify_api_key(key.secret); });
      fuzz::check_verified(w, before, key, r);
      return outcome(r, "verify_api_key");
    }
  }
}

Outcome Step::run() {
  // Opcodes: 0-7 organizations, 8-13 members, 14-21 invitations, 22-27 roles and keys,
  // 28-29 the clock moves on.
  constexpr std::size_t org_ops = 8, member_ops = 6, invitation_ops = 8, role_ops = 6;
  std::size_t op = in.pick(org_ops + member_ops + invitation_ops + role_ops + 2);
  if (op < org_ops) return organizations(op);
  op -= org_ops;
  if (op < member_ops) return members(op);
  op -= member_ops;
  if (op < invitation_ops) return invitations(op);
  op -= invitation_ops;
  if (op < role_ops) return roles_and_keys(op);
  static const std::array<std::chrono::milliseconds, 4> steps = {
      std::chrono::minutes(1), std::chrono::hours(2), std::chrono::hours(25),
      std::chrono::hours(24 * 31)};
  w.clock->advance(steps[in.pick(steps.size())]);
  return {};
}

// R1, and "a failed operation changed nothing".
void check_outcome(const World& w, const Outcome& o, const Snapshot& before,
                   const Snapshot& after) {
  if (o.scoped) {
    const OrgState* target = before.find(o.org);
    const bool visible = target != nullptr && target->org.tenant == o.actor->tenant &&
                         (!o.actor->is_member() || target->member(o.actor->id) != nullptr);
    if (!visible) {
      ORGKIT_FUZZ_REQUIRE(o.error && (o.error->code == ErrorCode::not_found ||
                                      o.error->code == ErrorCode::invalid_argument),
                          "an organization one cannot see is not_found (R1): " +
                              (o.error ? describe(*o.error) : std::string("it succeeded")));
    }
  }
  if (!o.error) {
    if (o.check_success) o.check_success(before, after);
    return;
  }
  fuzz::require_typed(*o.error, "an operation");
  ORGKIT_FUZZ_REQUIRE(!fuzz::storage_trouble(o.error->code),
                      "no storage error on an in-memory Service: " + describe(*o.error));
  std::string was = before.text();
  const std::string now = after.text();
  if (was != now && o.token && o.error->code == ErrorCode::revoked) {
    // R3: accepting an invitation whose sender lost the right to grant it closes it.
    Snapshot lapsed = before;
    auto it = lapsed.orgs.find(o.token->org.value());
    if (it != lapsed.orgs.end()) {
      for (auto& inv : it->second.invitations) {
        if (inv.id == o.token->invitation) inv.state = InvitationState::revoked;
      }
      it->second.newest_audit = after.find(o.token->org)->newest_audit;
    }
    was = lapsed.text();
  }
  ORGKIT_FUZZ_REQUIRE(was == now, "a failed operation changed nothing: " + describe(*o.error) +
                                      "\n--- before\n" + was + "--- after\n" + now);
  (void)w;
}

}  // namespace

// ORGKIT_FUZZ_TRACE=1 prints each step, to read what a crashing input did.
void trace(std::size_t step, const Outcome& o) {
  static const bool on = std::getenv("ORGKIT_FUZZ_TRACE") != nullptr;
  if (!on) return;
  std::fprintf(stderr, "step %zu: %s by %s/%s on %lld: %s\n", step, o.call,
               o.actor ? o.actor->tenant.value().c_str() : "-",
               o.actor ? o.actor->id.value().c_str() : "-", static_cast<long long>(o.org.value()),
               o.error ? describe(*o.error).c_str() : "ok");
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t setup = in.byte();
  World w(policy_for(setup), (setup & 0x80) != 0);
  Snapshot before = fuzz::take_snapshot(w);
  for (std::size_t step = 0; step < max_steps && !in.done(); ++step) {
    Step s{w, in, before};
    const Outcome o = s.run();
    trace(step, o);
    Snapshot after = fuzz::take_snapshot(w);
    check_outcome(w, o, before, after);
    fuzz::check_state(w, after);
    // The actor of the step, and one more in turn: what they are told they belong to.
    if (o.actor != nullptr) fuzz::check_memberships(w, after, *o.actor);
    fuzz::check_memberships(w, after, w.actors[step % w.actors.size()]);
    // The organization the step named, and one more in turn: every answer about them.
    if (o.org.valid()) fuzz::check_answers(w, after, o.org, step);
    if (!w.orgs.empty() && w.orgs[step % w.orgs.size()] != o.org) {
      fuzz::check_answers(w, after, w.orgs[step % w.orgs.size()], step);
    }
    before = std::move(after);
  }
  return 0;
}
