// Service::import_invitations_csv (I6): how long one bulk import of 1,000 and of 10,000 rows
// takes into a fresh organization in a SQLite file.
//
// Run it from the repository root (the "bench" preset is a Release build without tests):
//   cmake --preset bench
//   cmake --build --preset bench
//   ./build/bench/bench/orgkit_csv_import_benchmark
// For stable figures (mean, median and spread of 5 runs of each benchmark) add the flags
//   --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// The time reported is milliseconds per import.
//
// The CSV has the columns email,role,department,message: distinct emails, roles alternating
// member and viewer, a department, and a quoted message containing a comma. Every import goes
// into a new database file with a new organization (the import is one transaction, and a
// second import of the same rows would only refresh invitations), created outside the timed
// region (PauseTiming/ResumeTiming): each iteration times only the import call, including the hand-over of every
// message to the notifier, which discards them. Each iteration's result is checked (every
// row invited) outside the timed region; before the benchmarks run, one full 10,000-row
// import is checked against what the database lists afterwards.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <system_error>

#include <unistd.h>

#include <orgkit/orgkit.hpp>

namespace {

// A notifier that drops every message (counting them, for the correctness check).
class discarding_notifier final : public orgkit::Notifier {
 public:
  orgkit::Result<void> deliver(const orgkit::OutgoingMessage&) override {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  [[nodiscard]] std::size_t delivered() const { return delivered_.load(); }

 private:
  std::atomic<std::size_t> delivered_{0};
};

std::string email_of(int i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "invitee-%05d@example.com", i);
  return buf;
}

std::string message_of(int i) { return "Welcome aboard, invitee " + std::to_string(i) + "!"; }

// email,role,department,message with `rows` data rows.
std::string make_csv(int rows) {
  std::string csv = "email,role,department,message\n";
  csv.reserve(static_cast<std::size_t>(rows) * 80 + 40);
  for (int i = 0; i < rows; ++i) {
    csv += email_of(i);
    csv += i % 2 == 0 ? ",member," : ",viewer,";
    csv += "Department " + std::to_string(i % 20);
    csv += ",\"" + message_of(i) + "\"\n";
  }
  return csv;
}

const orgkit::Actor& owner() {
  static const orgkit::Actor a{orgkit::UserId("bench-owner"), "owner@example.com", "Owner",
                               orgkit::default_tenant()};
  return a;
}

// A new database file holding one organization owned by owner(); the files are removed when
// it goes.
class fresh_org {
 public:
  fresh_org() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("orgkit-csv-bench-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter.fetch_add(1)) + ".db"))
                .string();
    remove_files();
    notifier_ = std::make_shared<discarding_notifier>();
    orgkit::ServiceOptions options;
    options.notifier = notifier_;
    auto kit = orgkit::Service::open_sqlite(path_, std::move(options));
    if (!kit) die("open_sqlite", kit.error());
    kit_ = std::move(*kit);
    orgkit::NewOrganization spec;
    spec.name = "CSV Benchmark";
    auto org = kit_->create_organization(owner(), spec);
    if (!org) die("create_organization", org.error());
    org_ = org->id;
  }
  ~fresh_org() {
    kit_.reset();  // close the connections before removing the files
    remove_files();
  }
  fresh_org(const fresh_org&) = delete;
  fresh_org& operator=(const fresh_org&) = delete;

  [[nodiscard]] orgkit::Service& kit() { return *kit_; }
  [[nodiscard]] orgkit::OrgId org() const { return org_; }
  [[nodiscard]] const discarding_notifier& notifier() const { return *notifier_; }

  [[noreturn]] static void die(const char* what, const orgkit::Error& e) {
    std::fprintf(stderr, "benchmark: %s: %s\n", what, orgkit::to_string(e).c_str());
    std::exit(1);
  }

 private:
  void remove_files() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }

  std::string path_;
  std::shared_ptr<discarding_notifier> notifier_;
  std::unique_ptr<orgkit::Service> kit_;
  orgkit::OrgId org_;
};

// Whether `r` says every one of `rows` rows was invited.
bool all_invited(const orgkit::CsvImportResult& r, int rows) {
  const auto n = static_cast<std::size_t>(rows);
  return r.rows.size() == n && r.invited == n && r.refreshed == 0 && r.failed == 0;
}

// Times only the import; a fresh organization per iteration is made (and dropped) outside it.
void csv_import(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const std::string csv = make_csv(rows);
  for (auto _ : state) {
    state.PauseTiming();
    auto target = std::make_unique<fresh_org>();
    state.ResumeTiming();
    auto result = target->kit().import_invitations_csv(owner(), target->org(), csv);
    state.PauseTiming();
    if (!result || !all_invited(*result, rows) ||
        target->notifier().delivered() != static_cast<std::size_t>(rows)) {
      state.SkipWithError("the import did not invite every row");
      break;
    }
    target.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["rows"] = rows;
}

// Wall-clock time (the import waits on the file as well as the CPU), in milliseconds.
BENCHMARK(csv_import)->Arg(1'000)->Arg(10'000)->UseRealTime()->Unit(benchmark::kMillisecond);

// One 10,000-row import, checked against what the organization lists afterwards.
bool check_full_import() {
  constexpr int rows = 10'000;
  fresh_org target;
  auto result = target.kit().import_invitations_csv(owner(), target.org(), make_csv(rows));
  if (!result) {
    std::fprintf(stderr, "check: import failed: %s\n", orgkit::to_string(result.error()).c_str());
    return false;
  }
  if (!all_invited(*result, rows)) {
    std::fprintf(stderr, "check: %zu rows, %zu invited, %zu refreshed, %zu failed\n",
                 result->rows.size(), result->invited, result->refreshed, result->failed);
    return false;
  }
  for (std::size_t i = 0; i < result->rows.size(); ++i) {
    const auto& row = result->rows[i];
    if (row.line != i + 2 || row.email != email_of(static_cast<int>(i)) || !row.invitation) {
      std::fprintf(stderr, "check: row %zu: line %zu, email %s\n", i, row.line,
                   row.email.c_str());
      return false;
    }
  }
  if (target.notifier().delivered() != rows) {
    std::fprintf(stderr, "check: %zu messages delivered\n", target.notifier().delivered());
    return false;
  }
  std::set<std::string> expected;
  for (int i = 0; i < rows; ++i) expected.insert(email_of(i));
  std::set<std::string> listed;
  orgkit::InvitationQuery q;
  q.state = orgkit::InvitationState::pending;
  q.limit = 1000;
  for (;;) {
    auto page = target.kit().list_invitations(owner(), target.org(), q);
    if (!page) {
      std::fprintf(stderr, "check: list_invitations: %s\n",
                   orgkit::to_string(page.error()).c_str());
      return false;
    }
    for (const auto& inv : page->items) {
      const int i = std::atoi(inv.email.c_str() + 8);  // "invitee-NNNNN@..."
      const char* role = i % 2 == 0 ? "member" : "viewer";
      if (inv.role != role || inv.message != message_of(i) ||
          inv.department != "Department " + std::to_string(i % 20)) {
        std::fprintf(stderr, "check: invitation for %s: role %s, department %s, message %s\n",
                     inv.email.c_str(), inv.role.c_str(), inv.department.c_str(),
                     inv.message.c_str());
        return false;
      }
      listed.insert(inv.email);
    }
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  if (listed != expected) {
    std::fprintf(stderr, "check: %zu distinct pending invitations listed, expected %d\n",
                 listed.size(), rows);
    return false;
  }
  std::fprintf(stderr, "check: a 10,000-row import invited every row\n");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!check_full_import()) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
