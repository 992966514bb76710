// orgctl role (list, create, update, delete: an organization's custom roles), key (an
// organization's API keys: create, list, revoke, verify) and tenant-key (a tenant
// administrator's keys: create, list, revoke). A new key's secret is printed once, in the
// answer, as "key"; nothing else ever shows it again.
#include "context.hpp"

namespace orgctl {

namespace {

using orgkit::OrgId;

struct RoleKeyOptions {
  std::int64_t org = 0;
  std::int64_t id = 0;
  std::string name, rename, role, reassign_to, key;
  std::vector<std::string> permissions;
  int rank = 0;
  int expires_days = 0;
  CLI::Option* permissions_opt = nullptr;
};

std::optional<std::chrono::seconds> days(int n) {
  if (n == 0) return std::nullopt;
  return std::chrono::hours(24 * n);
}

void add_role_reads_and_create(CLI::App& role, Context& ctx) {
  auto o = std::make_shared<RoleKeyOptions>();
  auto* ls = role.add_subcommand("list", "the roles an organization can assign");
  ls->add_option("ORG", o->org, "organization id")->required();
  ls->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto roles = s.list_roles(a, OrgId(o->org));
      if (!roles) return orgkit::fail(roles.error());
      return Output{orgkit::tools::list_json(*roles), {"name", "rank", "custom", "permissions"}, {},
                    0};
    });
  }));
  auto* c = role.add_subcommand("create", "define a custom role for one organization");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("NAME", o->name, "role name")->required();
  c->add_option("--rank", o->rank, "rank for the rank rule (below your own)")->required();
  c->add_option("--permission", o->permissions, "a permission it holds (repeatable)");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      orgkit::CustomRole r{o->name, o->rank, o->permissions, {}};
      return committed(s.create_role(a, OrgId(o->org), r));
    });
  }));
}

void add_role_changes(CLI::App& role, Context& ctx) {
  auto o = std::make_shared<RoleKeyOptions>();
  auto* u = role.add_subcommand("update", "rename a custom role or replace its permissions");
  u->add_option("ORG", o->org, "organization id")->required();
  u->add_option("NAME", o->name, "role name")->required();
  u->add_option("--rename", o->rename, "new name");
  o->permissions_opt = u->add_option("--permission", o->permissions, "replace the permissions");
  u->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      orgkit::CustomRoleUpdate upd;
      if (!o->rename.empty()) upd.name = o->rename;
      if (o->permissions_opt->count() > 0) upd.permissions = o->permissions;
      return committed(s.update_role(a, OrgId(o->org), o->name, upd));
    });
  }));
  auto* d = role.add_subcommand("delete", "delete a custom role");
  d->add_option("ORG", o->org, "organization id")->required();
  d->add_option("NAME", o->name, "role name")->required();
  d->add_option("--reassign-to", o->reassign_to, "move its holders to this role first");
  d->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      std::optional<std::string> to;
      if (!o->reassign_to.empty()) to = o->reassign_to;
      return done(s.delete_role(a, OrgId(o->org), o->name, to), "deleted");
    });
  }));
}

void add_api_keys(CLI::App& key, Context& ctx) {
  auto o = std::make_shared<RoleKeyOptions>();
  auto* c = key.add_subcommand("create", "an API key of an organization (secret shown once)");
  c->add_option("ORG", o->org, "organization id")->required();
  c->add_option("--name", o->name, "what it is for")->required();
  c->add_option("--role", o->role, "the key's role (never owner)")->required();
  c->add_option("--expires-days", o->expires_days, "days until it expires (default: never)");
  c->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(
          s.create_api_key(a, OrgId(o->org), {o->name, o->role, days(o->expires_days)}));
    });
  }));
  auto* ls = key.add_subcommand("list", "an organization's keys, without secrets");
  ls->add_option("ORG", o->org, "organization id")->required();
  ls->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto keys = s.list_api_keys(a, OrgId(o->org));
      if (!keys) return orgkit::fail(keys.error());
      return Output{orgkit::tools::list_json(*keys),
                    {"id", "prefix", "name", "role", "expires_at", "revoked_at"}, {}, 0};
    });
  }));
  auto* rv = key.add_subcommand("revoke", "revoke an API key at once");
  rv->add_option("ORG", o->org, "organization id")->required();
  rv->add_option("ID", o->id, "key id")->required();
  rv->callback(command(ctx, Principal::any, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.revoke_api_key(a, OrgId(o->org), orgkit::ApiKeyId(o->id)));
    });
  }));
  auto* v = key.add_subcommand("verify", "what a presented API key resolves to");
  v->add_option("KEY", o->key, "the key (okk_...)")->required();
  v->callback(command(ctx, Principal::none, [o](Context& x) {
    return with_service(x, [&](orgkit::Service& s) { return shown(s.verify_api_key(o->key)); });
  }));
}

void add_tenant_keys(CLI::App& tk, Context& ctx) {
  auto o = std::make_shared<RoleKeyOptions>();
  auto* c = tk.add_subcommand("create", "a tenant administrator's key (host only; secret "
                                        "shown once)");
  c->add_option("--name", o->name, "what it is for (default: operator)");
  c->add_option("--expires-days", o->expires_days, "days until it expires (default: never)");
  c->callback(command(ctx, Principal::host_default, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      const std::string name = o->name.empty() ? "operator" : o->name;
      return committed(s.create_tenant_key(a, {name, days(o->expires_days)}));
    });
  }));
  auto* ls = tk.add_subcommand("list", "the tenant's keys, without secrets");
  ls->callback(command(ctx, Principal::host_default, [](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) -> Outcome {
      auto keys = s.list_tenant_keys(a);
      if (!keys) return orgkit::fail(keys.error());
      return Output{orgkit::tools::list_json(*keys),
                    {"id", "prefix", "name", "created_at", "expires_at", "revoked_at"}, {}, 0};
    });
  }));
  auto* rv = tk.add_subcommand("revoke", "revoke a tenant key at once (host only)");
  rv->add_option("ID", o->id, "key id")->required();
  rv->callback(command(ctx, Principal::host_default, [o](Context& x) {
    return with_actor(x, [&](orgkit::Service& s, const orgkit::Actor& a) {
      return committed(s.revoke_tenant_key(a, orgkit::TenantKeyId(o->id)));
    });
  }));
}

}  // namespace

void add_role_commands(CLI::App& app, Context& ctx) {
  auto* role = app.add_subcommand("role", "roles: the policy's and an organization's own");
  role->require_subcommand(1);
  add_role_reads_and_create(*role, ctx);
  add_role_changes(*role, ctx);
}

void add_key_commands(CLI::App& app, Context& ctx) {
  auto* key = app.add_subcommand("key", "API keys of an organization");
  key->require_subcommand(1);
  add_api_keys(*key, ctx);
  auto* tk = app.add_subcommand("tenant-key", "keys of tenant administrators");
  tk->require_subcommand(1);
  add_tenant_keys(*tk, ctx);
}

}  // namespace orgctl
