// orgctl: orgkit's whole API on the command line, for operators who look at and repair
// organizations without writing C++ (issue 11). Global options choose the database and who
// acts; one subcommand family per subject (org, member, invite, link, role, key, tenant-key,
// audit, claims, check, authorize, policy), each in its own file. The library decides
// everything: orgctl only turns flags into calls and results into JSON or text, and error
// codes into exit codes.
#include <iostream>

#include "context.hpp"

namespace {

void add_global_options(CLI::App& app, orgctl::Globals& g) {
  auto* db = app.add_option("--db", g.db, "SQLite database file (created if missing)");
  auto* pg = app.add_option("--postgres", g.postgres,
                            "PostgreSQL connection string (libpq: \"host=... dbname=...\")")
                 ->excludes(db)
                 ->envname("ORGCTL_POSTGRES");
  app.add_option("--pg-schema", g.pg_schema,
                 "with --postgres: the schema that holds the store (default: orgkit)")
      ->needs(pg);
  app.add_option("--policy", g.policy_file,
                 "permission policy file (JSON) the host uses; default: the standard policy");
  app.add_option("--tenant", g.tenant, "tenant to act in (default: default)");
  app.add_option("--as", g.as_user, "act as this member (a user id of the host)");
  app.add_option("--email", g.email, "with --as: the user's (verified) email");
  app.add_option("--display-name", g.display_name, "with --as: the user's display name");
  app.add_option("--tenant-key", g.tenant_key,
                 "act as the tenant administrator holding this key (otk_...)")
      ->envname("ORGCTL_TENANT_KEY");
  app.add_flag("--system", g.system, "act as the host itself (provisioning, repair)");
  app.add_flag("--json", g.json, "print exactly one JSON document on stdout");
}

int run(orgctl::Context& ctx) {
  try {
    auto out = ctx.run(ctx);
    if (!out) return orgctl::print_error(out.error(), ctx.g.json);
    return orgctl::print_output(*out, ctx.g.json);
  } catch (const std::exception& e) {  // the library throws nothing; a file or the output might
    std::cerr << "orgctl: failure: " << e.what() << '\n';
    return orgctl::exit_failure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  orgctl::Context ctx;
  CLI::App app{
      "orgctl: organizations, members, invitations, roles, keys and the audit trail of an "
      "orgkit database.\n"
      "Who acts: --as USER [--email E] (a member), --tenant-key KEY (a tenant "
      "administrator) or --system (the host); tenant-key commands act as the host unless "
      "told otherwise."};
  app.name("orgctl");
  app.fallthrough();  // global options may follow the subcommand: orgctl org list --json
  app.require_subcommand(1);
  app.footer(orgctl::exit_code_table());
  add_global_options(app, ctx.g);
  orgctl::add_org_commands(app, ctx);
  orgctl::add_member_commands(app, ctx);
  orgctl::add_invite_commands(app, ctx);
  orgctl::add_role_commands(app, ctx);
  orgctl::add_key_commands(app, ctx);
  orgctl::add_audit_commands(app, ctx);
  orgctl::add_access_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "orgctl: usage: " << e.what() << " (see orgctl --help)\n";
    return orgctl::exit_usage;
  }
  if (!ctx.run) {
    std::cerr << "orgctl: usage: choose a command (see orgctl --help)\n";
    return orgctl::exit_usage;
  }
  return run(ctx);
}
