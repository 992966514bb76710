// Which storage orgctl opens: --db PATH (the bundled SQLite backend) or --postgres CONNINFO
// (the PostgreSQL backend of issue 8, once it is part of the tree), with the policy of
// --policy FILE (the host's policy: orgctl must decide as the host's own service does).
#include "context.hpp"

#if __has_include(<orgkit/postgres.hpp>)
#include <orgkit/postgres.hpp>
#define ORGCTL_HAS_POSTGRES_HEADER 1
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

orgkit::Result<std::unique_ptr<orgkit::Service>> open_postgres(const std::string& conninfo,
                                                               orgkit::ServiceOptions options) {
  (void)conninfo, (void)options;
#ifdef ORGCTL_HAS_POSTGRES_HEADER
  // ---- POSTGRES: open the PostgreSQL backend here (issue 8) ----------------------------
  // The header exists in this tree; its engineer replaces this block with the factory call,
  // e.g. orgkit::Service::create(orgkit::open_postgres(conninfo), std::move(options)).
  return orgkit::fail(orgkit::Error{orgkit::ErrorCode::not_supported, "postgres",
                                    "orgctl does not open PostgreSQL yet; use --db PATH"});
#else
  return orgkit::fail(orgkit::Error{orgkit::ErrorCode::not_supported, "postgres",
                                    "this orgctl was built without the PostgreSQL backend "
                                    "(orgkit/postgres.hpp); use --db PATH"});
#endif
}

}  // namespace

orgkit::Result<std::unique_ptr<orgkit::Service>> open_service(const Globals& g) {
  auto options = service_options(g);
  if (!options) return orgkit::fail(options.error());
  if (!g.postgres.empty()) return open_postgres(g.postgres, std::move(*options));
  if (g.db.empty()) {
    return orgkit::fail(orgkit::Error::invalid("db", "name the database: --db PATH"));
  }
  return orgkit::Service::open_sqlite(g.db, std::move(*options));
}

}  // namespace orgctl
