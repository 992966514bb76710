// orgctl member: add, list, roster, get, role, remove, department, find (by email),
// bulk-role and bulk-remove. The rank rule, the last-owner guard and visibility are the
// library's; these only name the arguments.
//
// A bulk command answers row by row. Once the call itself has run it exits 0, even when
// rows were refused (the other rows are applied and committed, so a non-zero exit would
// invite a retry of what already happened, like `invite import`): every refused row is
// marked in the output, with its error, and "failed" counts them.
#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::OrgId;
using orgkit::UserId;

struct MemberOptions {
  std::int64_t org = 0;
  std::string user, email, name, role, department, cursor;
  std::vector<std::string> users, pairs;
  int limit = 50;
};

// USER=ROLE, split at the last '=' (a host's user id may hold one; a role name never does).
std::pair<std::string, std::string> split_pair(const std::string& pair) {
  const auto eq = pair.rfind('=');
  if (eq == std::string::npos) return {pair, ""};
  return {pair.substr(0, eq), pair.substr(eq + 1)};
}

// A malformed pair is a usage error (exit 2), found before anything is opened.
const CLI::Validator user_role_pair(
    [](std::string& pair) -> std::string {
      const auto [user, role] = split_pair(pair);
      if (pair.find('=') == std::string::npos || user.empty() || role.empty()) {
        return "expected USER=ROLE, got '" + pair + "'";
      }
      return {};
    },
    "");

// "2 applied, 1 refused" and a line per row, refused ones with their error.
Outcome bulk_shown(const orgkit::Result<orgkit::Committed<orgkit::BulkResult>>& r) {
  auto out = committed(r);
  if (!out) return out;
  out->text = std::to_string(r->applied) + " applied, " + std::to_string(r->failed) + " refused";
  for (const auto& row : r->rows) {
    out->text += "\n  " + row.user.value() + ": " +
                 (row.error ? "refused: " + orgkit::to_string(*row.error) : std::string("applied"));
  }
  return out;
}

const char* const bulk_exit_note =
    "Exit 0 once the call ran, even if rows were refused: each row's answer is in the output "
    "(\"failed\" counts the refused). An error of the whole call (not visible, not allowed "
    "at all, too many rows) exits with its code, changing nothing.";

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

const std::vector<std::string> roster_columns = {"status", "user_id", "email", "display_name",
                                                 "role", "since", "expires_at", "invitation_id"};

void add_roster(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* c = member.add_subcommand(
      "roster", "the member table: members (active), then pending invitations (pending)");
  c->footer("Members by user id, then email invitations that are pending and not expired, "
            "newest first; links are not listed (invite list shows them). The pending rows are "
            "shown only to a principal who may invite (members:invite); others get the members "
            "alone.\n\n" +
            exit_code_table());
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--limit", o->limit, "page size, 1-1000");
  c->add_option("--cursor", o->cursor, "continue after a previous page");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      orgkit::RosterQuery q;
      q.cursor = o->cursor;
      q.limit = o->limit;
      return shown(s.list_roster(a, OrgId(o->org), q), roster_columns);
    });
  }));
}

void add_bulk(CLI::App& member, Context& ctx) {
  auto o = std::make_shared<MemberOptions>();
  auto* role = member.add_subcommand(
      "bulk-role", "change several members' roles in one transaction, row by row");
  role->footer(std::string(bulk_exit_note) + "\n\n" + exit_code_table());
  role->add_option("ORG", o->org, "organization id")->required();
  role->add_option("USER=ROLE", o->pairs, "who gets which role, in order (1-1000 rows)")
      ->required()
      ->check(user_role_pair);
  role->callback(command(ctx, Principal::any, [o](Context& x) {
    std::vector<orgkit::MemberRoleChange> changes;
    for (const auto& pair : o->pairs) {
      auto [user, r] = split_pair(pair);
      changes.push_back({UserId(user), r});
    }
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return bulk_shown(s.change_member_roles(a, OrgId(o->org), changes));
    });
  }));
  auto* rm = member.add_subcommand(
      "bulk-remove", "remove several members in one transaction, row by row (naming yourself "
                     "is leaving)");
  rm->footer(std::string(bulk_exit_note) + "\n\n" + exit_code_table());
  rm->add_option("ORG", o->org, "organization id")->required();
  rm->add_option("USER", o->users, "user ids, in order (1-1000)")->required();
  rm->callback(command(ctx, Principal::any, [o](Context& x) {
    std::vector<UserId> users(o->users.begin(), o->users.end());
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return bulk_shown(s.remove_members(a, OrgId(o->org), users));
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
  auto* member = app.add_subcommand("member", "memberships: add, list, roster, get, find, role, "
                                              "department, remove, bulk-role, bulk-remove");
  member->require_subcommand(1);
  add_add(*member, ctx);
  add_list(*member, ctx);
  add_roster(*member, ctx);
  add_reads(*member, ctx);
  add_changes(*member, ctx);
  add_bulk(*member, ctx);
}

}  // namespace orgctl
