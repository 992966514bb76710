// Which storage orgctl opens: --db PATH (the bundled SQLite backend) or --postgres CONNINFO
// (the PostgreSQL backend, when the build has it), with the policy of
// --policy FILE (the host's policy: orgctl must decide as the host's own service does).
#include "context.hpp"

#ifdef ORGCTL_WITH_POSTGRES  // set by CMake when orgkit::postgres is part of the build
#include <orgkit/postgres.hpp>
#endif

namespace orgctl {

namespace {

orgkit::Result<orgkit::ServiceOptions> service_options(const Globals& g) {
  orgkit::ServiceOptions options;
  if (!g.policy_file.empty()) {
    auto policy = orgkit::PermissionPolicy::load(g.policy_file);
    if (!policy) return orgkit::fail(policy.error());
    options.policy = std::move(*policy);
  }
  return options;
}

orgkit::Result<std::unique_ptr<orgkit::Service>> open_postgres(const Globals& g,
                                                               orgkit::ServiceOptions options) {
#ifdef ORGCTL_WITH_POSTGRES
  orgkit::PostgresOptions po;
  po.connection = g.postgres;
  po.schema = g.pg_schema;
  auto store = orgkit::open_postgres(po);
  if (!store) return orgkit::fail(std::move(store).error());
  return orgkit::Service::create(std::move(*store), std::move(options));
#else
  (void)g, (void)options;
  return orgkit::fail(orgkit::Error{orgkit::ErrorCode::not_supported, "postgres",
                                    "this orgctl was built without the PostgreSQL backend "
                                    "(configure with -DORGKIT_WITH_POSTGRES=ON); use --db PATH"});
#endif
}

}  // namespace

orgkit::Result<std::unique_ptr<orgkit::Service>> open_service(const Globals& g) {
  auto options = service_options(g);
  if (!options) return orgkit::fail(options.error());
  if (!g.postgres.empty()) return open_postgres(g, std::move(*options));
  if (g.db.empty()) {
    return orgkit::fail(orgkit::Error::invalid("db", "name the database: --db PATH"));
  }
  return orgkit::Service::open_sqlite(g.db, std::move(*options));
}

}  // namespace orgctl
