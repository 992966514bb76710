// Model-based random sequences of every operation by several actors, compared after every
// step with a small reference model of the rules (issue "model"; see reference_model.hpp for
// what the model covers and what it leaves out).
//
//   orgkit_model_test                        the default: 100 sequences of 40 ops, seed 1
//   orgkit_model_test --rounds 5000 --steps 80 --seconds 600 --seed random
//   ORGKIT_TEST_STORAGE=postgres orgkit_model_test ...   (file, memory: as every suite)
//
// Sequence i runs with seed (--seed) + i, so a failure names a seed that reruns it alone with
// --rounds 1. A failing sequence is shrunk to the shortest one found and printed as lines
// that a regression case below can hold as they are (check_sequence).
//
// This file has its own main (Catch2's session plus the options above); it links
// orgkit_test_support for the fixtures only, whose Catch main is then left out by the linker.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <random>

#include "model/generator.hpp"
#include "model/harness.hpp"
#include "support/test_support.hpp"

using namespace orgkit;
using namespace orgkit::model;

namespace {

struct Settings {
  int rounds = 100;
  int steps = 40;
  double seconds = 0;  // 0: no time limit
  std::string seed = "1";
  int shrink_runs = 3000;
  int shrink_seconds = 180;
  bool stats = false;
  bool trace = false;
};
Settings settings;

std::uint64_t base_seed() {
  if (settings.seed == "random") return std::random_device{}() * 65536ULL + std::random_device{}();
  return std::stoull(settings.seed);
}

// Runs a sequence kept as text (a regression case); fails with the differences.
void check_sequence(const std::string& text) {
  const auto ops = parse_ops(text);
  REQUIRE_FALSE(ops.empty());
  auto failure = run_sequence(ops);
  if (failure) FAIL("the library and the reference model disagree " << failure->what);
}

// A store whose write transactions see one owner more than there are: the last-owner guard
// (O7, P4) never bites. The model test must notice, as a test that cannot fail is no test.
class OneOwnerTooMany final : public StorageTransactionWrapper {
 public:
  using StorageTransactionWrapper::StorageTransactionWrapper;
  Result<std::int64_t> count_memberships(OrgId org,
                                         const std::optional<std::string>& role) override {
    auto n = StorageTransactionWrapper::count_memberships(org, role);
    if (n && role && *role == "owner") return *n + 1;
    return n;
  }
};

class MiscountsOwners final : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    auto tx = StorageWrapper::begin_write(scope);
    if (!tx) return tx;
    return std::unique_ptr<StorageTransaction>(std::make_unique<OneOwnerTooMany>(std::move(*tx)));
  }
};

}  // namespace

TEST_CASE("random sequences of every operation agree with the reference model", "[model]") {
  const std::uint64_t seed = base_seed();
  const auto start = std::chrono::steady_clock::now();
  Tally tally;
  int done = 0;
  for (; done < settings.rounds; ++done) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (settings.seconds > 0 && elapsed >= settings.seconds) break;
    const std::uint64_t s = seed + static_cast<std::uint64_t>(done);
    const auto ops = generate(s, settings.steps);
    if (settings.trace) std::cout << "seed " << s << ":\n";
    auto failure = run_sequence(ops, {}, &tally, settings.trace ? &std::cout : nullptr);
    if (!failure) continue;
    auto shrunk = shrink(ops, *failure, {}, settings.shrink_runs,
                         std::chrono::seconds(settings.shrink_seconds));
    // Printed whole (Catch would wrap the lines of a FAIL message), then the failure itself.
    std::cout << report(s, settings.steps, ops, *failure, shrunk) << std::flush;
    FAIL("the library and the reference model disagree at seed "
         << s << "; the shortest failing sequence is printed above");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "model: " << done << " sequences of " << settings.steps << " ops on "
            << test::storage_kind() << " agreed with the reference model (seeds " << seed << ".."
            << seed + static_cast<std::uint64_t>(done) - 1 << ", " << seconds << " s)\n";
  if (settings.stats) {
    for (const auto& [answer, count] : tally) std::cout << "  " << answer << ": " << count << "\n";
  }
  CHECK(done > 0);
}

// The classic cases, written by hand: an admin acting on the owner, the last owner leaving
// and demoting themself, a transfer, an invitation accepted twice and by the wrong person, a
// revoked key, an expired invitation.
TEST_CASE("the classic cases agree with the reference model", "[model][O7][O8][P4][I2][I3][P9]") {
  check_sequence(R"(
#1 u1 create_org name=Acme
#2 u1 add_member org=#1 user=u2 role=admin
#3 u2 remove_member org=#1 user=u1
#4 u2 change_role org=#1 user=u1 role=member
#5 u1 leave org=#1
#6 u1 change_role org=#1 user=u1 role=admin
#7 u2 transfer org=#1 user=u2
#8 u1 transfer org=#1 user=u2
#9 u1 leave org=#1
#10 u2 invite org=#1 email=u3@example.com role=member
#11 u4 accept token=#10
#12 u3 accept token=#10
#13 u3 accept token=#10
#14 u2 create_key org=#1 role=viewer
#15 u2 revoke_key org=#1 key=#14
#16 u2 verify_key key=#14
#17 u2 invite org=#1 email=u4@example.com role=viewer expires_min=60
#18 u2 advance_clock minutes=61
#19 u4 accept token=#17
)");
}

// Found by the model (seed 9): a personal organization was created without the default plan
// (PlanSettings::default_plan is "given to new organizations that name none"), so moving it
// to the plan it was already on recorded organization.plan_changed.
TEST_CASE("a personal organization is on the default plan, and moving it there changes nothing",
          "[model][O2][I7][A1]") {
  check_sequence(R"(
#2 u3 ensure_personal
#5 u3 set_plan org=#2 plan=team
)");
}

TEST_CASE("a printed sequence reads back as the same ops", "[model]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto ops = generate(seed, 60);
    std::string text;
    for (const auto& op : ops) text += describe(op) + "\n";
    const auto back = parse_ops(text);
    REQUIRE(back.size() == ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (describe(back[i]) != describe(ops[i]))
        FAIL(describe(ops[i]) << " read back as " << describe(back[i]));
    }
  }
}

TEST_CASE("the model test catches a store that miscounts owners, in a few ops",
          "[model][self-test][O7]") {
  const Decorator broken = [](std::unique_ptr<Storage> s) -> std::unique_ptr<Storage> {
    return std::make_unique<MiscountsOwners>(std::move(s));
  };
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const auto ops = generate(seed, settings.steps);
    auto failure = run_sequence(ops, broken);
    if (!failure) continue;
    auto shrunk = shrink(ops, *failure, broken, 500, std::chrono::seconds(60));
    std::cout << "self-test: the store without the last-owner guard was caught by seed " << seed
              << ", shrunk from " << ops.size() << " to " << shrunk.ops.size() << " ops:\n";
    for (const auto& op : shrunk.ops) std::cout << "  " << describe(op) << "\n";
    INFO(report(seed, settings.steps, ops, *failure, shrunk));
    CHECK(shrunk.ops.size() <= 4);
    return;
  }
  FAIL("100 sequences ran on a store without the last-owner guard and none noticed");
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  using Catch::clara::Opt;
  auto cli =
      session.cli() | Opt(settings.rounds, "n")["--rounds"]("sequences to run (default 100)") |
      Opt(settings.steps, "n")["--steps"]("ops per sequence (default 40)") |
      Opt(settings.seconds, "s")["--seconds"]("stop starting sequences after s seconds") |
      Opt(settings.seed, "x")["--seed"]("seed of the first sequence, or 'random' (default 1)") |
      Opt(settings.shrink_runs, "n")["--shrink-runs"]("most reruns while shrinking") |
      Opt(settings.shrink_seconds, "s")["--shrink-seconds"]("most time spent shrinking") |
      Opt(settings.stats)["--stats"]("print how often each operation answered what") |
      Opt(settings.trace)["--trace"]("print every op with the library's answer");
  session.cli(cli);
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  return session.run();
}
