// orgctl member: add, list, get, role, remove, department, find (by email). The rank rule,
// the last-owner guard and visibility are the library's; these only name the arguments.
#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::OrgId;
using orgkit::UserId;

struct MemberOptions {
  std::int64_t org = 0;
  std::string user, email, name, role, department, cursor;
  int limit = 50;
};

const std::vector<std::string> member_columns = {"user_id", "email", "display_name", "role",
                                                 "department", "joined_at"};

void add_add(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* c = member.add_subcommand("add", "add an existing user of the host with a role");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--user", o->user, "user id")->required();
  c->add_option("--user-email", o->email, "the user's email")->required();
  c->add_option("--user-name", o->name, "the user's display name");
  c->add_option("--role", o->role, "role to give")->required();
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(
          s.add_member(a, OrgId(o->org), {UserId(o->user), o->email, o->name, o->role}));
    });
  }));
}

void add_list(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* c = member.add_subcommand("list", "members by user id, a page at a time");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--role", o->role, "only members with this role");
  c->add_option("--limit", o->limit, "page size, 1-1000");
  c->add_option("--cursor", o->cursor, "continue after a previous page");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      orgkit::MemberQuery q;
      if (!o->role.empty()) q.role = o->role;
      q.cursor = o->cursor;
      q.limit = o->limit;
      return shown(s.list_members(a, OrgId(o->org), q), member_columns);
    });
  }));
}

void add_reads(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* get = member.add_subcommand("get", "one membership");
  get->add_option("ORG", o->org, "organization id")->required();
  get->add_option("USER", o->user, "user id")->required();
  get->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return shown(s.get_membership(a, OrgId(o->org), UserId(o->user)));
    });
  }));
  auto* find = member.add_subcommand("find", "the member with this email (case ignored)");
  find->add_option("ORG", o->org, "organization id")->required();
  find->add_option("EMAIL", o->email, "email address")->required();
  find->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return shown(s.find_member_by_email(a, OrgId(o->org), o->email));
    });
  }));
}

void add_changes(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* role = member.add_subcommand("role", "change a member's role");
  role->add_option("ORG", o->org, "organization id")->required();
  role->add_option("USER", o->user, "user id")->required();
  role->add_option("ROLE", o->role, "new role")->required();
  role->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.change_member_role(a, OrgId(o->org), UserId(o->user), o->role));
    });
  }));
  auto* dept = member.add_subcommand("department", "set (or with \"\" clear) a department");
  dept->add_option("ORG", o->org, "organization id")->required();
  dept->add_option("USER", o->user, "user id")->required();
  dept->add_option("DEPARTMENT", o->department, "department")->required();
  dept->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(
          s.set_member_department(a, OrgId(o->org), UserId(o->user), o->department));
    });
  }));
  auto* rm = member.add_subcommand("remove", "remove a member (their account stays the host's)");
  rm->add_option("ORG", o->org, "organization id")->required();
  rm->add_option("USER", o->user, "user id")->required();
  rm->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return done(s.remove_member(a, OrgId(o->org), UserId(o->user)), "removed");
    });
  }));
}

}  // namespace

void add_member_commands(CLI::App& app, Context& ctx) {
  auto* member = app.add_subcommand("member", "memberships");
  member->require_subcommand(1);
  add_add(*member, ctx);
  add_list(*member, ctx);
  add_reads(*member, ctx);
  add_changes(*member, ctx);
}

}  // namespace orgctl
