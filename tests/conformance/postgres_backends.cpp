// The PostgreSQL store as a conformance backend ("postgres"): every test case gets a store on
// a fresh schema of the test server (tests/postgres/server.sh), dropped when the case's store
// is destroyed. Compiled only with ORGKIT_WITH_POSTGRES.
#include "conformance/backends.hpp"
#include "conformance/conformance.hpp"

#include "support/postgres_support.hpp"

namespace orgkit::conformance {

void register_postgres_backends() {
  register_backend("postgres", []() { return test::open_postgres_store(); });
}

}  // namespace orgkit::conformance
