// orgctl invite (create, list, resend, revoke, accept, decline, preview, import) and link
// (create). orgctl has no mail server: the accept link of a new invitation is in its output
// (a secret, like the token), for the operator to deliver. `invite import` reads a CSV file
// and shows its progress on stderr when stderr is a terminal, so that redirected output and
// scripts see only the answer.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::InvitationId;
using orgkit::OrgId;

struct InviteOptions {
  std::int64_t org = 0;
  std::int64_t id = 0;
  std::string email, role, message, department, token, state, cursor, file, expiry;
  int expires_days = 0;
  int limit = 50;
};

const std::vector<std::string> invitation_columns = {"id", "kind", "email", "role", "state",
                                                     "expires_at"};

orgkit::Result<std::optional<orgkit::InvitationState>> state_of(const std::string& s) {
  using orgkit::InvitationState;
  if (s.empty()) return std::optional<InvitationState>();
  for (auto st : {InvitationState::pending, InvitationState::accepted, InvitationState::declined,
                  InvitationState::revoked, InvitationState::expired}) {
    if (orgkit::to_string(st) == s) return std::optional<InvitationState>(st);
  }
  return orgkit::fail(orgkit::Error::invalid(
      "state", "must be pending, accepted, declined, revoked or expired"));
}

orgkit::Result<std::string> read_file(const std::string& path) {
  constexpr std::size_t max_bytes = 256u << 20;  // far above the 100,000 rows an import takes
  std::ifstream in(path, std::ios::binary);
  if (!in) return orgkit::fail(orgkit::Error::invalid("file", "cannot open '" + path + "'"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return orgkit::fail(orgkit::Error::invalid("file", "cannot read '" + path + "'"));
  if (text.size() > max_bytes) {
    return orgkit::fail(orgkit::Error::limit("file", "is larger than 256 MiB"));
  }
  return text;
}

Outcome import(Context& ctx, const InviteOptions& o) {
  auto text = read_file(o.file);
  if (!text) return orgkit::fail(text.error());
  orgkit::Service::CsvProgress progress;
  const bool terminal = isatty(STDERR_FILENO) == 1;
  if (terminal) {
    progress = [](std::size_t done, std::size_t total) {
      std::cerr << "\rimporting: " << done << "/" << total << " rows" << std::flush;
      if (done == total) std::cerr << '\n';
    };
  }
  return with_actor(ctx, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
    auto r = s.import_invitations_csv(a, OrgId(o.org), *text, progress);
    auto out = committed(r);
    if (out) {
      out->text = std::to_string(r->invited) + " invited, " + std::to_string(r->refreshed) +
                  " refreshed, " + std::to_string(r->failed) + " failed";
      for (const auto& row : r->rows) {
        if (row.error) {
          out->text += "\n  line " + std::to_string(row.line) + ": " + orgkit::to_string(*row.error);
        }
      }
    }
    return out;
  });
}

void add_create(CLI::App& invite, Context& ctx) {
  auto o = std::make_shared<InviteOptions>();
  auto* c = invite.add_subcommand("create", "invite an email address with a role");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--to", o->email, "the invitee's email address")->required();
  c->add_option("--role", o->role, "role on joining")->required();
  c->add_option("--message", o->message, "personal message");
  c->add_option("--department", o->department, "department");
  c->add_option("--expires-days", o->expires_days, "days until it expires (default: 30)");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      orgkit::InviteRequest r{o->email, o->role, o->department, o->message, std::nullopt};
      if (o->expires_days != 0) r.expires_in = std::chrono::hours(24 * o->expires_days);
      return committed(s.invite(a, OrgId(o->org), r));
    });
  }));
  auto* imp = invite.add_subcommand("import", "invite every row of a CSV file "
                                              "(email,role,department,message)");
  imp->add_option("ORG", o->org, "organization id")->required();
  imp->add_option("FILE", o->file, "CSV file")->required();
  imp->callback(command(ctx, Principal::any, [o](Context& x) { return import(x, *o); }));
}

void add_list(CLI::App& invite, Context& ctx) {
  auto o = std::make_shared<InviteOptions>();
  auto* c = invite.add_subcommand("list", "invitations, newest first");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--state", o->state, "pending, accepted, declined, revoked or expired");
  c->add_option("--limit", o->limit, "page size, 1-1000");
  c->add_option("--cursor", o->cursor, "continue after a previous page");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto state = state_of(o->state);
      if (!state) return orgkit::fail(state.error());
      orgkit::InvitationQuery q{*state, o->cursor, o->limit};
      return shown(s.list_invitations(a, OrgId(o->org), q), invitation_columns);
    });
  }));
}

void add_manage(CLI::App& invite, Context& ctx) {
  auto o = std::make_shared<InviteOptions>();
  auto* resend = invite.add_subcommand("resend", "a new token and expiry; the old link dies");
  resend->add_option("ORG", o->org, "organization id")->required();
  resend->add_option("ID", o->id, "invitation id")->required();
  resend->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.resend_invitation(a, OrgId(o->org), InvitationId(o->id)));
    });
  }));
  auto* revoke = invite.add_subcommand("revoke", "close an invitation or link");
  revoke->add_option("ORG", o->org, "organization id")->required();
  revoke->add_option("ID", o->id, "invitation id")->required();
  revoke->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.revoke_invitation(a, OrgId(o->org), InvitationId(o->id)));
    });
  }));
}

void add_invitee(CLI::App& invite, Context& ctx) {
  auto o = std::make_shared<InviteOptions>();
  auto* accept = invite.add_subcommand("accept", "accept an invitation as the --as user");
  accept->add_option("TOKEN", o->token, "the invitation token (oki_...)")->required();
  accept->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.accept_invitation(a, o->token));
    });
  }));
  auto* decline = invite.add_subcommand("decline", "decline an email invitation");
  decline->add_option("TOKEN", o->token, "the invitation token (oki_...)")->required();
  decline->callback(command(ctx, Principal::member, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.decline_invitation(a, o->token));
    });
  }));
  auto* preview = invite.add_subcommand("preview", "what an invitation offers, changing nothing");
  preview->add_option("TOKEN", o->token, "the invitation token (oki_...)")->required();
  preview->callback(command(ctx, Principal::none, [o](Context& x) {
    return with_service(x, [&](orgkit::Service& s) {
      return shown(s.preview_invitation(o->token, x.tenant()));
    });
  }));
}

void add_link(CLI::App& app, Context& ctx) {
  auto* link = app.add_subcommand("link", "shareable, single-use invite links");
  link->require_subcommand(1);
  auto o = std::make_shared<InviteOptions>();
  auto* c = link->add_subcommand("create", "a single-use link for a role");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--role", o->role, "role on joining")->required();
  c->add_option("--expiry", o->expiry, "1h, 24h, 48h or 7d")
      ->required()
      ->check(CLI::IsMember({"1h", "24h", "48h", "7d"}));
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    using orgkit::LinkExpiry;
    const LinkExpiry e = o->expiry == "1h"    ? LinkExpiry::one_hour
                         : o->expiry == "24h" ? LinkExpiry::one_day
                         : o->expiry == "48h" ? LinkExpiry::two_days
                                              : LinkExpiry::seven_days;
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.create_invite_link(a, OrgId(o->org), o->role, e));
    });
  }));
}

}  // namespace

void add_invite_commands(CLI::App& app, Context& ctx) {
  auto* invite = app.add_subcommand("invite", "invitations by email, and CSV imports");
  invite->require_subcommand(1);
  add_create(*invite, ctx);
  add_list(*invite, ctx);
  add_manage(*invite, ctx);
  add_invitee(*invite, ctx);
  add_link(app, ctx);
}

}  // namespace orgctl
