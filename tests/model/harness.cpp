#include "model/harness.hpp"

#include <catch2/catch.hpp>

#include <ostream>

#include "model/library_runner.hpp"
#include "model/reference_model.hpp"
#include "support/test_support.hpp"
#ifdef ORGKIT_WITH_POSTGRES
#include "support/postgres_support.hpp"
#endif

namespace orgkit::model {

namespace {

// The Service the model describes: the standard policy, the model's plans (I7) and its
// per-user limit (R4), a clock only the ops move.
ServiceOptions options(std::shared_ptr<ManualClock> clock) {
  ServiceOptions o;
  o.clock = std::move(clock);
  for (const auto& p : plans()) {
    o.plans.plans.push_back(
        Plan{p.name, p.invitations,
             p.max_members ? std::optional<std::int64_t>(*p.max_members) : std::nullopt});
  }
  o.plans.default_plan = "team";
  o.max_organizations_per_user = max_organizations_per_user;
  o.check_cache_capacity = 4096;  // a Service per run: the default's 4 MiB per run adds up
  return o;
}

// A fresh store of the kind under test, with everything that must outlive the Service.
struct World {
  std::unique_ptr<test::TempFile> file;
  std::shared_ptr<test::ScopeViolations> scope = std::make_shared<test::ScopeViolations>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(from_unix_ms(start_ms));
  std::unique_ptr<Service> kit;
};

std::unique_ptr<World> open_world(const Decorator& decorate) {
  auto world = std::make_unique<World>();
  Result<std::unique_ptr<Storage>> store = fail(Error{});
  if (test::storage_kind() == "postgres") {
#ifdef ORGKIT_WITH_POSTGRES
    store = test::open_postgres_store();
#else
    FAIL("ORGKIT_TEST_STORAGE=postgres, but orgkit was built without ORGKIT_WITH_POSTGRES");
#endif
  } else {
    SqliteOptions sqlite;
    if (test::storage_kind() == "file") {
      world->file = std::make_unique<test::TempFile>("orgkit-model");
      sqlite.path = world->file->path();
    }
    store = open_sqlite(sqlite);
  }
  if (!store) FAIL("open " << test::storage_kind() << " storage: " << to_string(store.error()));
  std::unique_ptr<Storage> under_test = std::move(*store);
  if (decorate) under_test = decorate(std::move(under_test));
  // S1 as every suite checks it: no write outside the scope a use case declares.
  auto checked = std::make_unique<test::ScopeCheckingStorage>(std::move(under_test), world->scope);
  auto kit = Service::create(std::move(checked), options(world->clock));
  if (!kit) FAIL("Service::create: " << to_string(kit.error()));
  world->kit = std::move(*kit);
  return world;
}

std::string lines(const std::vector<std::string>& items, std::size_t most = 12) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < most; ++i) out += "    " + items[i] + "\n";
  if (items.size() > most) out += "    ... and " + std::to_string(items.size() - most) + " more\n";
  return out;
}

}  // namespace

std::optional<Failure> run_sequence(const std::vector<Op>& ops, const Decorator& decorate,
                                    Tally* tally, std::ostream* trace) {
  auto world = open_world(decorate);
  ReferenceModel model;
  LibraryRunner library(*world->kit, *world->clock);
  Snapshot before;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const Outcome expected = model.apply(op);
    const Outcome actual = library.apply(op);
    if (trace != nullptr) *trace << "  " << describe(op) << "  -> " << describe(actual) << "\n";
    if (tally != nullptr) {
      ++(*tally)[std::string(to_string(op.kind)) + " " +
                 (expected.error ? std::string(orgkit::to_string(*expected.error)) : "ok")];
      for (const auto& row : expected.rows) {
        ++(*tally)[std::string(to_string(op.kind)) + " row " +
                   (row ? std::string(orgkit::to_string(*row)) : "ok")];
      }
    }
    std::vector<std::string> found;
    if (expected != actual) {
      found.push_back("answer: model '" + describe(expected) + "', library '" + describe(actual) +
                      "'");
    }
    // The organizations this step changed (or named) get every probe that reads the store.
    Snapshot now = model.snapshot({});
    std::set<int> focus{op.org};
    for (const auto& [handle, row] : now.orgs) {
      auto was = before.orgs.find(handle);
      if (was == before.orgs.end() || !(was->second == row)) focus.insert(handle);
    }
    for (const auto& [handle, row] : before.orgs) {
      if (now.orgs.count(handle) == 0) focus.insert(handle);
    }
    const auto probes = probes_for(model.org_handles(), focus);
    now.probes = model.answers(probes);
    Snapshot seen = library.snapshot(probes);
    focus.insert(0);
    for (int org : focus) {  // I4: the member table of what changed, as everyone reads it
      for (int actor = 0; actor < cast_size; ++actor) {
        now.rosters[{org, actor}] = model.roster(org, actor);
        seen.rosters[{org, actor}] = library.roster(org, actor);
      }
    }
    for (auto& d : differences(now, seen, probes)) {
      found.push_back(std::move(d));
    }
    before = std::move(now);
    for (auto& v : library.take_violations()) found.push_back(std::move(v));
    for (auto& v : world->scope->list()) found.push_back("write scope broken (S1): " + v);
    if (!found.empty()) return Failure{i, "after " + describe(op) + "\n" + lines(found)};
  }
  return std::nullopt;
}

ShrinkResult shrink(const std::vector<Op>& ops, const Failure& failure, const Decorator& decorate,
                    int max_runs, std::chrono::seconds max_time) {
  const auto start = std::chrono::steady_clock::now();
  ShrinkResult best{
      {ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(failure.step) + 1}, failure, 0, 0};
  auto spent = [&] {
    return best.runs >= max_runs || std::chrono::steady_clock::now() - start >= max_time;
  };
  // Keeps `candidate` if it still fails, cut after the op that now fails.
  auto still_fails = [&](const std::vector<Op>& candidate) {
    ++best.runs;
    auto f = run_sequence(candidate, decorate);
    if (!f) return false;
    best.ops.assign(candidate.begin(),
                    candidate.begin() + static_cast<std::ptrdiff_t>(f->step) + 1);
    best.failure = *f;
    return true;
  };
  std::size_t n = 2;
  while (best.ops.size() >= 2 && !spent()) {
    const std::size_t size = best.ops.size();
    const std::size_t chunk = (size + n - 1) / n;
    bool reduced = false;
    for (std::size_t begin = 0; begin < size && !spent(); begin += chunk) {
      std::vector<Op> candidate;
      for (std::size_t i = 0; i < size; ++i) {
        if (i < begin || i >= begin + chunk) candidate.push_back(best.ops[i]);
      }
      if (!candidate.empty() && still_fails(candidate)) {
        n = std::max<std::size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (n >= size) break;  // single ops tried: nothing more can go
    n = std::min(n * 2, size);
  }
  best.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return best;
}

std::string report(std::uint64_t seed, int steps, const std::vector<Op>& original,
                   const Failure& first, const ShrinkResult& shrunk) {
  std::string out = "The library and the reference model disagree.\n";
  out += "seed " + std::to_string(seed) + ", " + std::to_string(original.size()) +
         " ops; first disagreement " + first.what;
  out += "Shortest failing sequence found (" + std::to_string(shrunk.ops.size()) + " ops, " +
         std::to_string(shrunk.runs) + " runs in " + std::to_string(shrunk.seconds).substr(0, 5) +
         " s of shrinking):\n";
  for (const auto& op : shrunk.ops) out += "  " + describe(op) + "\n";
  out += "It fails " + shrunk.failure.what;
  out += "Rerun: ORGKIT_TEST_STORAGE=" + test::storage_kind() + " orgkit_model_test --seed " +
         std::to_string(seed) + " --rounds 1 --steps " + std::to_string(steps) + "\n";
  out +=
      "Keep it: paste the lines into a check_sequence(R\"(...)\") case in "
      "tests/model/model_test.cpp, tagged with the rule ids.\n";
  return out;
}

}  // namespace orgkit::model
