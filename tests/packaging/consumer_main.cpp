// The consumer program of the packaging tests, built once against an installed orgkit
// (find-package/) and once against orgkit's sources (add-subdirectory/), exactly as a host
// application would: through <orgkit/orgkit.hpp> and the orgkit::orgkit target only. Returns non-zero on any failure, so
// `ctest --build-and-test ... --test-command` turns a broken package into a failed test.
#include <orgkit/orgkit.hpp>

#include <cstring>
#include <iostream>

int main() {
  // The headers found are the ones of the library linked (one version source).
  if (std::strcmp(orgkit::version_string, ORGKIT_EXPECTED_VERSION) != 0) {
    std::cerr << "header version " << orgkit::version_string << ", library version "
              << ORGKIT_EXPECTED_VERSION << '\n';
    return 1;
  }

  auto kit = orgkit::Service::open_sqlite(":memory:");
  if (!kit) {
    std::cerr << "open_sqlite: " << kit.error() << '\n';
    return 1;
  }

  orgkit::Actor alice{orgkit::UserId("u-alice"), "alice@example.com", "Alice"};
  orgkit::NewOrganization spec;
  spec.name = "Acme";
  auto acme = (*kit)->create_organization(alice, spec);
  if (!acme) {
    std::cerr << "create_organization: " << acme.error() << '\n';
    return 1;
  }

  // The creator is the owner and may delete it; a stranger may not (deny by default).
  auto owner_may = (*kit)->check(alice, acme->id, orgkit::permissions::org_delete);
  if (!owner_may || !*owner_may) {
    std::cerr << "owner cannot org:delete\n";
    return 1;
  }
  orgkit::Actor mallory{orgkit::UserId("u-mallory"), "mallory@example.com", "Mallory"};
  auto stranger_may = (*kit)->check(mallory, acme->id, orgkit::permissions::org_delete);
  if (!stranger_may || *stranger_may) {
    std::cerr << "a non-member can org:delete\n";
    return 1;
  }

  std::cout << ORGKIT_CONSUMER_KIND << "(orgkit " << orgkit::version_string << "): ok\n";
  return 0;
}
