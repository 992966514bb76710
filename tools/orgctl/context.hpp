// orgctl's shared state: the global options, the Service they open, the principal they name,
// what a command produces (Output) and how it reaches the user (stdout for the answer, one
// line on stderr for an error, an exit code that follows the error code).
//
// A subcommand's CLI11 callback checks what can be checked without the database (who acts,
// mutually exclusive flags: usage errors, exit 2) and stores the work to do in
// Context::run; main() runs it after parsing, so that no library call happens inside CLI11's
// exception handling and every library error goes through one reporting path.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <orgkit/orgkit.hpp>

#include "model_json.hpp"

namespace orgctl {

using orgkit::tools::json;

/// The options every subcommand shares (see main.cpp for their help texts).
struct Globals {
  std::string db;
  std::string postgres;
  std::string pg_schema = "orgkit";
  std::string policy_file;
  std::string as_user;
  std::string email;
  std::string display_name;
  std::string tenant = "default";
  std::string tenant_key;
  bool system = false;
  bool json = false;
};

/// What a command produced: one JSON document (printed as is with --json) and how to show it
/// to a person otherwise.
struct Output {
  json doc;
  /// For a document with "items": the fields that make the columns of the table.
  std::vector<std::string> columns;
  /// When set, printed for people instead of the generic rendering of `doc`.
  std::string text;
  /// 0, or exit_denied for a check that answered no.
  int exit_code = 0;
};

using Outcome = orgkit::Result<Output>;

/// Who a command may run as.
enum class Principal {
  none,          ///< No principal (verify a key, preview an invitation, validate a policy).
  any,           ///< --as, --tenant-key or --system: exactly one is required.
  host_default,  ///< As `any`, and the host when none is given (tenant keys are the host's).
  member,        ///< Only --as USER (accepting, claims, personal, active, leave).
};

class Context {
 public:
  Globals g;
  /// The chosen subcommand's work, set by its callback.
  std::function<Outcome(Context&)> run;

  /// Throws CLI::ValidationError (a usage error) unless the global options name a principal
  /// that `who` allows and, when `needs_db`, a database; called from subcommand callbacks.
  void require(Principal who, bool needs_db);

  /// The Service over --db (or --postgres), opened on first use.
  orgkit::Result<orgkit::Service*> service();

  /// The principal the global options name: a member (--as), a tenant administrator
  /// (--tenant-key, verified against --tenant) or the host (--system, or nothing for
  /// host_default commands).
  orgkit::Result<orgkit::Actor> actor();

  [[nodiscard]] orgkit::TenantId tenant() const { return orgkit::TenantId(g.tenant); }

 private:
  Principal principal_ = Principal::none;
  std::unique_ptr<orgkit::Service> service_;
};

/// Wraps a command body: runs `body(ctx)` after the usage check for `who`. Every subcommand
/// callback is built with it.
template <class Body>
std::function<void()> command(Context& ctx, Principal who, Body body, bool needs_db = true) {
  return [&ctx, who, body, needs_db]() {
    ctx.require(who, needs_db);
    ctx.run = body;
  };
}

/// Runs `f(service, actor)` with the opened service and the resolved principal.
template <class F>
Outcome with_actor(Context& ctx, F&& f) {
  auto service = ctx.service();
  if (!service) return orgkit::fail(service.error());
  auto actor = ctx.actor();
  if (!actor) return orgkit::fail(actor.error());
  return f(**service, *actor);
}

/// Runs `f(service)` with the opened service, for commands that need no principal.
template <class F>
Outcome with_service(Context& ctx, F&& f) {
  auto service = ctx.service();
  if (!service) return orgkit::fail(service.error());
  return f(**service);
}

/// Output of a Result: its value as JSON, or its error.
template <class T>
Outcome shown(const orgkit::Result<T>& r, std::vector<std::string> columns = {}) {
  if (!r) return orgkit::fail(r.error());
  return Output{orgkit::tools::as_json(*r), std::move(columns), {}, 0};
}

/// The JSON of a committed change: its value and "commit_token".
template <class T>
Outcome committed(const orgkit::Result<orgkit::Committed<T>>& r) {
  if (!r) return orgkit::fail(r.error());
  json doc = orgkit::tools::as_json(static_cast<const T&>(*r));
  doc["commit_token"] = r->commit_token.to_string();
  return Output{std::move(doc), {}, {}, 0};
}

/// The same for a change with no value: {"ok": true, "commit_token": ...}.
Outcome done(const orgkit::Result<orgkit::Committed<void>>& r, std::string text);

// --- the subcommand families (one file each) -------------------------------------------

void add_org_commands(CLI::App& app, Context& ctx);
void add_member_commands(CLI::App& app, Context& ctx);
void add_invite_commands(CLI::App& app, Context& ctx);  // invite and link
void add_role_commands(CLI::App& app, Context& ctx);
void add_key_commands(CLI::App& app, Context& ctx);  // key and tenant-key
void add_audit_commands(CLI::App& app, Context& ctx);
void add_access_commands(CLI::App& app, Context& ctx);  // claims, check, authorize, policy

// --- how results reach the user (output.cpp) -------------------------------------------

/// The exit code of an error code: one table, printed by `orgctl --help`.
int exit_code_for(orgkit::ErrorCode code);
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_denied = 3;

/// The exit code table as help text.
std::string exit_code_table();

/// Prints `out` (JSON or for people) on stdout; returns its exit code.
int print_output(const Output& out, bool as_json);

/// Prints one line "orgctl: error: code (field): message" on stderr (and, with --json, the
/// error document on stdout); returns its exit code.
int print_error(const orgkit::Error& e, bool as_json);

/// Opens the storage named by --db or --postgres (storage.cpp).
orgkit::Result<std::unique_ptr<orgkit::Service>> open_service(const Globals& g);

}  // namespace orgctl
