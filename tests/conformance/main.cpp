// orgkit_conformance: runs the storage conformance suite against one registered backend.
//
//   orgkit_conformance --backend sqlite-file [Catch2 options and test specs]
//   ORGKIT_CONFORMANCE_BACKEND=sqlite-file orgkit_conformance
//   orgkit_conformance --list-backends
//
// Without either, the backend is sqlite-memory.
//
// This file holds Catch2's implementation (CATCH_CONFIG_RUNNER) because the runner needs its
// own main for --backend. orgkit_test_support's catch_main.cpp (CATCH_CONFIG_MAIN) is never
// linked in: it is an archive member, and everything it defines is defined here first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

#include "conformance/backends.hpp"
#include "conformance/conformance.hpp"

int main(int argc, char* argv[]) {
  using namespace orgkit::conformance;
  register_sqlite_backends();
#ifdef ORGKIT_WITH_POSTGRES
  register_postgres_backends();
#endif
  register_broken_backends();

  Catch::Session session;
  std::string backend;
  if (const char* env = std::getenv("ORGKIT_CONFORMANCE_BACKEND")) backend = env;
  bool list_backends = false;
  using Catch::clara::Opt;
  session.cli(session.cli() |
              Opt(backend, "name")["--backend"](
                  "the storage backend to run against (default: $ORGKIT_CONFORMANCE_BACKEND, "
                  "else sqlite-memory)") |
              Opt(list_backends)["--list-backends"]("list the registered backends"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;

  if (list_backends) {
    for (const auto& name : backend_names()) std::cout << name << '\n';
    return 0;
  }
  if (backend.empty()) backend = "sqlite-memory";
  if (!select_backend(backend)) {
    std::cerr << "orgkit_conformance: unknown backend '" << backend << "'; registered:";
    for (const auto& name : backend_names()) std::cerr << ' ' << name;
    std::cerr << '\n';
    return 2;
  }
  // On stderr, so that --list-tests and friends print only what Catch lists.
  std::cerr << "orgkit storage conformance, backend " << backend << '\n';
  return session.run();
}
