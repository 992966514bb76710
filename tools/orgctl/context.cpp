// Who acts and over which database: the principal named by --as, --tenant-key or --system,
// checked once for usage (before anything is opened) and resolved against the library
// (a tenant key is verified like any presented key: by the library, in constant time).
#include "context.hpp"

namespace orgctl {

namespace {

int named_principals(const Globals& g) {
  return (g.as_user.empty() ? 0 : 1) + (g.tenant_key.empty() ? 0 : 1) + (g.system ? 1 : 0);
}

}  // namespace

void Context::require(Principal who, bool needs_db) {
  principal_ = who;
  if (needs_db && g.db.empty() && g.postgres.empty()) {
    throw CLI::ValidationError("--db", "name the database: --db PATH (or --postgres CONNINFO)");
  }
  const int named = named_principals(g);
  if (named > 1) {
    throw CLI::ValidationError("principal",
                               "name one principal: --as USER, --tenant-key KEY or --system");
  }
  if (g.as_user.empty() && (!g.email.empty() || !g.display_name.empty())) {
    throw CLI::ValidationError("--email/--display-name", "describe the user named by --as USER");
  }
  switch (who) {
    case Principal::none:
      return;
    case Principal::any:
      if (named == 0) {
        throw CLI::ValidationError(
            "principal", "say who acts: --as USER (a member), --tenant-key KEY (a tenant "
                         "administrator) or --system (the host)");
      }
      return;
    case Principal::host_default:
      return;
    case Principal::member:
      if (g.as_user.empty()) {
        throw CLI::ValidationError("--as", "only a member can do this: name the user with --as");
      }
      return;
  }
}

orgkit::Result<orgkit::Service*> Context::service() {
  if (!service_) {
    auto opened = open_service(g);
    if (!opened) return orgkit::fail(opened.error());
    service_ = std::move(*opened);
  }
  return service_.get();
}

orgkit::Result<orgkit::Actor> Context::actor() {
  if (!g.as_user.empty()) {
    return orgkit::Actor{orgkit::UserId(g.as_user), g.email, g.display_name, tenant(),
                         orgkit::PrincipalKind::member};
  }
  if (!g.tenant_key.empty()) {
    auto s = service();
    if (!s) return orgkit::fail(s.error());
    auto verified = (*s)->verify_tenant_key(g.tenant_key, tenant());
    if (!verified) return orgkit::fail(verified.error());
    return verified->actor;
  }
  if (g.system || principal_ == Principal::host_default) {
    return orgkit::Actor::host(tenant(), "orgctl");
  }
  return orgkit::fail(orgkit::Error::invalid("actor", "no principal was named"));
}

Outcome done(const orgkit::Result<orgkit::Committed<void>>& r, std::string text) {
  if (!r) return orgkit::fail(r.error());
  return Output{json{{"ok", true}, {"commit_token", r->commit_token.to_string()}}, {},
                std::move(text), 0};
}

}  // namespace orgctl
