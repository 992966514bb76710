// Catch2's main for the durability suites, with their own flags (options.hpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "durability/options.hpp"

namespace orgkit::test {
DurabilityOptions& durability_options() {
  static DurabilityOptions options;
  return options;
}
}  // namespace orgkit::test

int main(int argc, char** argv) {
  Catch::Session session;
  auto& o = orgkit::test::durability_options();
  using Catch::clara::Opt;
  session.cli(session.cli() |
              Opt(o.rounds, "rounds")["--rounds"]("rounds of each crash loop or fault sweep") |
              Opt(o.seconds, "seconds")["--seconds"]("time budget of the timed loops") |
              Opt(o.seed, "seed")["--seed"]("the first seed of the random workloads"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  return session.run();
}
