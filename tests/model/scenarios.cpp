#include "model/scenarios.hpp"

#include "model/picker.hpp"

namespace orgkit::model {

namespace {

Op make(int id, OpKind kind, int actor, int org) {
  Op op;
  op.id = id;
  op.kind = kind;
  op.actor = actor;
  op.org = org;
  return op;
}

// The invitee acting: their cast index in the default tenant (every user id there is one).
int as(const std::string& user) {
  return Picker::actor_for("default", user);
}

}  // namespace

Scenario Scenario::any(Random& r) {
  return Scenario(static_cast<Kind>(r.below(7)));
}

std::optional<Op> Scenario::next(int id, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  if (step_ == 0) {
    org_ = p.shared_org();
    owner_ = p.owner_of(org_);
    if (org_ == 0 || owner_ < 0) return std::nullopt;
    invitee_ = p.newcomer(org_);
  }
  Op op = make(id, OpKind::advance_clock, owner_, org_);
  std::optional<Op> out;
  switch (kind_) {
    case Kind::lapsed_inviter:
      out = lapsed_inviter(op, r, model);
      break;
    case Kind::accept_twice:
      out = accept_twice(op, r, model);
      break;
    case Kind::expiry:
      out = expiry(op, r, model);
      break;
    case Kind::last_owner:
      out = last_owner(op, r, model);
      break;
    case Kind::key_lifecycle:
      out = key_lifecycle(op, r);
      break;
    case Kind::role_lifecycle:
      out = role_lifecycle(op, r, model);
      break;
    case Kind::admin_on_owner:
      out = admin_on_owner(op, r, model);
      break;
  }
  ++step_;
  if (out) {
    switch (out->kind) {  // ops that name no organization
      case OpKind::accept:
      case OpKind::decline:
      case OpKind::preview:
      case OpKind::verify_key:
      case OpKind::advance_clock:
        out->org = 0;
        break;
      default:
        break;
    }
  }
  return out;
}

std::optional<Op> Scenario::lapsed_inviter(Op op, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  switch (step_) {
    case 0:  // the owner brings in someone who may invite
      helper_id_ = p.newcomer(org_);
      helper_ = as(helper_id_);
      op.kind = OpKind::add_member;
      op.user = helper_id_;
      op.role = "admin";
      return op;
    case 1:  // who invites someone else
      while (invitee_ == helper_id_) invitee_ = r.pick(user_ids());
      op.actor = helper_;
      op.kind = r.percent(80) ? OpKind::invite : OpKind::create_link;
      if (op.kind == OpKind::invite) op.text = email_of(invitee_);
      op.role = r.percent(50) ? "member" : "viewer";
      token_ = op.id;
      return op;
    case 2: {  // and loses the right to (or, now and then, keeps it)
      const int roll = r.below(100);
      op.user = helper_id_;
      if (roll < 40) {
        op.kind = OpKind::change_role;
        op.role = r.percent(50) ? "member" : "viewer";
      } else if (roll < 65) {
        op.kind = OpKind::remove_member;
      } else if (roll < 85) {
        op.kind = OpKind::leave;
        op.actor = helper_;
        op.user.clear();
      } else {
        op.kind = OpKind::change_role;
        op.role = "admin";
      }
      return op;
    }
    case 3:  // before the invitee accepts (or looks first)
    case 4:
      op.kind = step_ == 3 && r.percent(25) ? OpKind::preview : OpKind::accept;
      op.actor = as(invitee_);
      op.org = 0;
      op.ref = token_;
      return op;
    default:
      return std::nullopt;
  }
}

std::optional<Op> Scenario::accept_twice(Op op, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  switch (step_) {
    case 0:
      op.kind = r.percent(70) ? OpKind::invite : OpKind::create_link;
      if (op.kind == OpKind::invite) op.text = email_of(invitee_);
      op.role = p.role(org_);
      token_ = op.id;
      return op;
    case 1:
    case 2:
      op.kind = step_ == 2 && r.percent(20) ? OpKind::decline : OpKind::accept;
      op.actor = step_ == 1 || r.percent(50) ? as(invitee_) : as(r.pick(user_ids()));
      op.org = 0;
      op.ref = token_;
      return op;
    default:
      return std::nullopt;
  }
}

std::optional<Op> Scenario::expiry(Op op, Random& r, const ReferenceModel& model) {
  switch (step_) {
    case 0:
      op.kind = r.percent(70) ? OpKind::invite : OpKind::create_link;
      if (op.kind == OpKind::invite) {
        op.text = email_of(invitee_);
        op.number = 60;
      }
      op.role = "viewer";
      token_ = op.id;
      return op;
    case 1:
      op.number = r.percent(80) ? 61 : 59;  // just past, or just before
      return op;
    case 2:
    case 4:
      op.kind = OpKind::accept;
      op.actor = as(invitee_);
      op.org = 0;
      op.ref = token_;
      return op;
    case 3: {  // resent: a new token and the same lifetime (a link is refused)
      auto t = model.state().tokens.find(token_);
      op.kind = OpKind::resend;
      op.ref = t != model.state().tokens.end() ? t->second : token_;
      token_ = op.id;
      return op;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Op> Scenario::last_owner(Op op, Random& r, const ReferenceModel& model) {
  const Org& org = model.state().orgs.at(org_);
  const std::string me = cast(owner_).id;
  if (step_ == 1) {  // after a transfer, the former owner leaves
    if (!then_leave_) return std::nullopt;
    op.kind = OpKind::leave;
    return op;
  }
  if (step_ > 1) return std::nullopt;
  const int roll = r.below(100);
  if (roll < 20) {
    op.kind = OpKind::leave;
  } else if (roll < 40) {
    op.kind = OpKind::change_role;
    op.user = me;
    op.role = r.percent(50) ? "admin" : "member";
  } else if (roll < 55) {
    op.kind = OpKind::bulk_change_roles;
    for (const auto& [user, m] : org.members) {
      if (m.role == "owner") op.rows.emplace_back(user, "member");
    }
    op.rows.emplace_back(me, "admin");
  } else if (roll < 65) {
    op.kind = OpKind::remove_member;
    op.user = me;
  } else if (roll < 85) {
    op.kind = OpKind::transfer;
    op.user = Picker(r, model).heir(owner_, org_);
    then_leave_ = true;
  } else {  // an administrator demotes or removes the owner: the invariant binds them too
    op.actor = r.percent(50) ? tenant_admin : default_host;
    op.kind = r.percent(50) ? OpKind::remove_member : OpKind::change_role;
    op.user = me;
    if (op.kind == OpKind::change_role) op.role = "admin";
  }
  return op;
}

std::optional<Op> Scenario::key_lifecycle(Op op, Random& r) {
  switch (step_) {
    case 0:
      op.kind = OpKind::create_key;
      op.role = r.pick(std::vector<std::string>{"admin", "member", "viewer"});
      op.number = r.percent(30) ? 60 : 0;
      key_ = op.id;
      return op;
    case 1:
    case 3:
      op.kind = OpKind::verify_key;
      op.org = 0;
      op.ref = key_;
      return op;
    case 2:
      if (r.percent(35)) {
        op.number = 61;  // advance_clock: an expiring key expires
        return op;
      }
      op.kind = OpKind::revoke_key;
      op.ref = key_;
      return op;
    case 4:
      op.kind = OpKind::revoke_key;
      op.ref = key_;
      return op;
    default:
      return std::nullopt;
  }
}

std::optional<Op> Scenario::role_lifecycle(Op op, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  switch (step_) {
    case 0:
      role_ = "lead";
      op.kind = OpKind::create_role;
      op.text = role_;
      op.number = 30;
      op.perms = {"members:read", "members:invite", "resources:read"};
      if (r.percent(40)) op.perms.push_back("members:update_role");
      return op;
    case 1:
      helper_id_ = p.newcomer(org_);
      helper_ = as(helper_id_);
      op.kind = OpKind::add_member;
      op.user = helper_id_;
      op.role = role_;
      return op;
    case 2:
      while (invitee_ == helper_id_) invitee_ = r.pick(user_ids());
      op.actor = helper_;
      op.kind = OpKind::invite;
      op.text = email_of(invitee_);
      op.role = "viewer";
      token_ = op.id;
      return op;
    case 3: {
      op.kind = OpKind::update_role;
      op.text = role_;
      const int roll = r.below(100);
      if (roll < 35) {
        op.alt = role_ = "chief";  // renamed: its holders, keys and invitations follow
      } else {
        op.flag = true;  // without members:invite the invitation lapses (R3); or as it was
        op.perms = {"members:read", "resources:read"};
        if (roll >= 75) op.perms.push_back("members:invite");
      }
      return op;
    }
    case 4:
      op.kind = OpKind::accept;
      op.actor = as(invitee_);
      op.org = 0;
      op.ref = token_;
      return op;
    case 5:
      op.kind = OpKind::delete_role;
      op.text = role_;
      op.alt = r.pick(std::vector<std::string>{"", "member", "viewer"});
      return op;
    default:
      return std::nullopt;
  }
}

std::optional<Op> Scenario::admin_on_owner(Op op, Random& r, const ReferenceModel& model) {
  Picker p(r, model);
  switch (step_) {
    case 0:  // the owner makes someone admin
      helper_id_ = p.newcomer(org_);
      helper_ = as(helper_id_);
      op.kind = OpKind::add_member;
      op.user = helper_id_;
      op.role = "admin";
      return op;
    case 1:  // and, half the time, a second owner (so the last-owner rule does not answer)
      if (r.percent(50)) {
        op.kind = OpKind::add_member;
        op.user = p.newcomer(org_);
        op.role = "owner";
        return op;
      }
      op.number = 1;  // advance_clock: a step that changes nothing
      return op;
    case 2: {  // the admin acts on an owner, or above their own rank
      const std::string owner = cast(owner_).id;
      op.actor = helper_;
      const int roll = r.below(100);
      if (roll < 30) {
        op.kind = OpKind::remove_member;
        op.user = owner;
      } else if (roll < 50) {
        op.kind = OpKind::change_role;
        op.user = r.percent(70) ? owner : helper_id_;
        op.role = r.percent(70) ? "member" : "owner";
      } else if (roll < 60) {
        op.kind = OpKind::bulk_remove;
        op.rows = {{owner, ""}, {p.user(helper_, org_), ""}};
      } else if (roll < 70) {
        op.kind = OpKind::set_department;
        op.user = owner;
        op.text = "eng";
      } else if (roll < 80) {
        op.kind = OpKind::create_key;
        op.role = r.percent(50) ? "owner" : "admin";
      } else if (roll < 90) {
        op.kind = OpKind::invite;
        op.text = email_of(invitee_);
        op.role = "owner";
      } else {
        op.kind = OpKind::transfer;
        op.user = owner;
      }
      return op;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace orgkit::model
