#include "model/generator.hpp"
#include "model/picker.hpp"
#include "model/scenarios.hpp"

#include <algorithm>

namespace orgkit::model {

std::uint64_t Random::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// The kinds, with how often each comes up.
struct Weighted {
  OpKind kind;
  int weight;
};

const std::vector<Weighted>& weights() {
  static const std::vector<Weighted> table = {
      {OpKind::create_org, 5},
      {OpKind::ensure_personal, 2},
      {OpKind::update_org, 2},
      {OpKind::delete_org, 2},
      {OpKind::set_active, 3},
      {OpKind::leave, 5},
      {OpKind::transfer, 5},
      {OpKind::add_member, 11},
      {OpKind::change_role, 11},
      {OpKind::remove_member, 7},
      {OpKind::bulk_change_roles, 3},
      {OpKind::bulk_remove, 2},
      {OpKind::set_department, 2},
      {OpKind::find_member, 2},
      {OpKind::get_membership, 2},
      {OpKind::set_plan, 3},
      {OpKind::invite, 8},
      {OpKind::create_link, 4},
      {OpKind::accept, 8},
      {OpKind::decline, 3},
      {OpKind::preview, 2},
      {OpKind::resend, 3},
      {OpKind::revoke_invitation, 3},
      {OpKind::create_role, 4},
      {OpKind::update_role, 2},
      {OpKind::delete_role, 3},
      {OpKind::create_key, 3},
      {OpKind::revoke_key, 2},
      {OpKind::verify_key, 2},
      {OpKind::advance_clock, 3},
  };
  return table;
}

// What an op needs to exist first, mostly: with nothing to act on, it becomes the op that
// makes something (a sequence that only hears not_found tests little).
OpKind with_material(OpKind kind, Random& r, const State& s) {
  const bool any_roles = std::any_of(s.orgs.begin(), s.orgs.end(), [](const auto& o) {
    return o.second.alive && !o.second.roles.empty();
  });
  switch (kind) {
    case OpKind::accept:
    case OpKind::decline:
    case OpKind::preview:
      if (s.tokens.empty() && r.percent(85))
        return r.percent(75) ? OpKind::invite : OpKind::create_link;
      return kind;
    case OpKind::resend:
    case OpKind::revoke_invitation:
      return s.invitations.empty() && r.percent(85) ? OpKind::invite : kind;
    case OpKind::revoke_key:
    case OpKind::verify_key:
      return s.keys.empty() && r.percent(85) ? OpKind::create_key : kind;
    case OpKind::update_role:
    case OpKind::delete_role:
      return !any_roles && r.percent(85) ? OpKind::create_role : kind;
    default:
      return kind;
  }
}

OpKind pick_kind(Random& r, const ReferenceModel& model) {
  const auto& orgs = model.state().orgs;
  const auto live =
      std::count_if(orgs.begin(), orgs.end(), [](const auto& o) { return o.second.alive; });
  if (live < 2 && r.percent(60))
    return r.percent(85) ? OpKind::create_org : OpKind::ensure_personal;
  // Organizations of one or two members have few rules to break: grow them now and then.
  const auto small = std::count_if(orgs.begin(), orgs.end(), [](const auto& o) {
    return o.second.alive && !o.second.personal && o.second.members.size() < 3;
  });
  if (small * 2 >= live && r.percent(20))
    return r.percent(60) ? OpKind::add_member : OpKind::invite;
  int total = 0;
  for (const auto& w : weights()) total += w.weight;
  int roll = r.below(total);
  for (const auto& w : weights()) {
    if (roll < w.weight) return with_material(w.kind, r, model.state());
    roll -= w.weight;
  }
  return OpKind::advance_clock;
}

void fill_org_op(Op& op, Random& r, Picker& p) {
  op.org = p.org(op.actor);
  switch (op.kind) {
    case OpKind::update_org:
      op.text = r.pick(std::vector<std::string>{"Acme Corp", "Renamed"});
      break;
    case OpKind::transfer:
      op.user = p.heir(op.actor, op.org);
      if (r.percent(35)) op.role = r.percent(80) ? p.role(op.org) : "ghost";
      break;
    case OpKind::add_member:
      op.user = p.newcomer(op.org);
      op.role = p.role(op.org);
      break;
    case OpKind::change_role:
      op.user = p.user(op.actor, op.org);
      op.role = p.role(op.org);
      break;
    case OpKind::find_member:
      op.text = r.percent(60) ? email_of(p.user(op.actor, op.org)) : p.email(op.org);
      break;
    case OpKind::remove_member:
    case OpKind::get_membership:
      op.user = p.user(op.actor, op.org);
      break;
    case OpKind::bulk_change_roles:
    case OpKind::bulk_remove:
      for (int i = 0, n = 2 + r.below(3); i < n; ++i) {
        op.rows.emplace_back(p.user(op.actor, op.org),
                             op.kind == OpKind::bulk_remove ? "" : p.role(op.org));
      }
      break;
    case OpKind::set_department:
      op.user = p.user(op.actor, op.org);
      op.text = r.pick(std::vector<std::string>{"", "eng", "sales"});
      break;
    case OpKind::set_plan:
      op.plan = r.pick(std::vector<std::string>{"team", "pro", "free", "gold"});
      break;
    case OpKind::invite:
      op.text = p.email(op.org);
      op.role = p.role(op.org);
      op.alt = r.pick(std::vector<std::string>{"", "", "eng"});
      op.number = r.percent(70) ? 0 : r.percent(65) ? 60 : 2880;
      break;
    case OpKind::create_link:
      op.role = p.role(op.org);
      op.number = r.below(4);
      break;
    case OpKind::create_role:
      op.text = r.percent(90) ? r.pick(custom_names) : "admin";
      op.number = r.pick(std::vector<int>{5, 15, 30, 30, 45, 50, 60, 100});
      op.perms = p.permissions();
      break;
    case OpKind::update_role:
      op.text = p.custom_role(op.org);
      if (r.percent(40))
        op.alt = r.pick(std::vector<std::string>{"ops", "auditor", "chief", "viewer"});
      op.flag = !op.alt.empty() ? r.percent(40) : true;
      if (op.flag) op.perms = p.permissions();
      break;
    case OpKind::delete_role:
      op.text = p.custom_role(op.org);
      if (r.percent(50)) {
        op.alt = r.pick(std::vector<std::string>{"member", "viewer", "admin", "owner", "ghost"});
        if (r.percent(15)) op.alt = op.text;
        if (r.percent(15)) op.alt = p.custom_role(op.org);
      }
      break;
    case OpKind::create_key:
      op.role = p.role(op.org);
      op.number = r.percent(70) ? 0 : 60;
      break;
    default:
      break;
  }
}

Op next_op(int id, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  Op op;
  op.id = id;
  op.kind = pick_kind(r, model);
  op.actor = p.actor();
  const auto& s = model.state();
  switch (op.kind) {
    case OpKind::create_org:
      op.text = r.pick(std::vector<std::string>{"Acme", "Acme", "Globex", "User u2", "Initech"});
      if (r.percent(35))
        op.alt = r.pick(std::vector<std::string>{"acme", "team-a", "team-b", "user-u3"});
      if (r.percent(25)) op.plan = r.pick(std::vector<std::string>{"pro", "pro", "free", "gold"});
      if (!cast(op.actor).is_member() ? r.percent(92) : r.percent(6)) op.user = r.pick(user_ids());
      return op;
    case OpKind::ensure_personal:
      return op;
    case OpKind::accept:
    case OpKind::decline:
    case OpKind::preview:
      op.ref = p.token();
      if (op.kind != OpKind::preview || r.percent(80)) op.actor = p.invitee(op.ref);
      return op;
    case OpKind::resend:
    case OpKind::revoke_invitation:
      op.ref = p.handle_in(s.invitations, 90);
      op.org = op.ref != 0 && r.percent(85) ? s.invitations.at(op.ref).org : p.org(op.actor);
      op.actor = p.member_of(op.org);
      return op;
    case OpKind::revoke_key:
      op.ref = p.handle_in(s.keys, 90);
      op.org = op.ref != 0 && r.percent(85) ? s.keys.at(op.ref).org : p.org(op.actor);
      op.actor = p.member_of(op.org);
      return op;
    case OpKind::verify_key: {
      std::vector<int> issued(s.issued_keys.begin(), s.issued_keys.end());
      op.ref = !issued.empty() && r.percent(90) ? r.pick(issued) : 0;
      return op;
    }
    case OpKind::advance_clock:
      op.number = r.pick(std::vector<int>{1, 61, 1500, 4320, 11520, 44640});
      return op;
    case OpKind::update_role:
    case OpKind::delete_role: {
      // Mostly in an organization that has custom roles, by one of its members.
      std::vector<int> with_roles;
      for (const auto& [handle, org] : s.orgs) {
        if (org.alive && !org.roles.empty()) with_roles.push_back(handle);
      }
      fill_org_op(op, r, p);
      if (!with_roles.empty() && r.percent(70)) {
        op.org = r.pick(with_roles);
        op.actor = p.member_of(op.org);
        const auto& roles = s.orgs.at(op.org).roles;
        auto it = roles.begin();
        std::advance(it, r.below(static_cast<int>(roles.size())));
        op.text = it->first;
      }
      return op;
    }
    default:
      fill_org_op(op, r, p);
      return op;
  }
}

}  // namespace

std::vector<Op> generate(std::uint64_t seed, int steps) {
  Random r(seed);
  ReferenceModel scratch;  // where the sequence stands, so the next op can name what exists
  std::vector<Op> ops;
  std::optional<Scenario> plan;  // a scenario under way, its ops among the random ones
  for (int id = 1; id <= steps; ++id) {
    std::optional<Op> op;
    if (!plan && r.percent(10)) plan = Scenario::any(r);
    if (plan && r.percent(70)) {
      op = plan->next(id, r, scratch);
      if (!op) plan.reset();
    }
    ops.push_back(op ? *op : next_op(id, r, scratch));
    (void)scratch.apply(ops.back());
  }
  return ops;
}

}  // namespace orgkit::model
