// orgkit_pg_checker: a process that checks one permission through its cached Service, over
// and over, for the pause tests (postgres_pause_test.cpp). The test stops it, stops its
// LISTEN backend or the whole server, and judges every answer by when it was asked.
//
// Usage: orgkit_pg_checker <conninfo-file> <schema> <org_id> <user> <permission> <seconds>
//
// The connection string is read from a file (a command line is visible to every user of the
// host). It opens its own store with the default options (cache_checks), prints "ready" once
// its listener trusts the channel, then checks every millisecond for <seconds> and prints one
// line per check: "c <start_ns> <end_ns> allow|deny|<error code>", with times on the
// system-wide monotonic clock (CLOCK_MONOTONIC), which the test shares.
#include <time.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <orgkit/orgkit.hpp>
#include <orgkit/postgres.hpp>

namespace {

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: see the top of tests/postgres/checker_worker.cpp\n";
    return 2;
  }
  std::string conninfo;
  std::getline(std::ifstream(argv[1]), conninfo);
  orgkit::PostgresOptions po;
  po.connection = conninfo;
  po.schema = argv[2];
  po.statement_timeout_ms = 1000;
  auto store = orgkit::open_postgres(po);
  if (!store) {
    std::cout << "FAILED open: " << orgkit::to_string(store.error()) << std::endl;
    return 1;
  }
  const orgkit::ChangeSignal* signal = (*store)->change_signal();
  auto kit = orgkit::Service::create(std::move(*store));
  if (!kit || signal == nullptr) {
    std::cout << "FAILED create" << std::endl;
    return 1;
  }
  const orgkit::OrgId org(std::stoll(argv[3]));
  const orgkit::Actor actor{orgkit::UserId(argv[4]), std::string(argv[4]) + "@example.com",
                            argv[4]};
  const std::string permission = argv[5];
  for (int i = 0; i < 5000 && !signal->settled(org); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::cout << (signal->settled(org) ? "ready" : "FAILED never listening") << std::endl;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(std::stoi(argv[6]));
  while (std::chrono::steady_clock::now() < end) {
    const std::int64_t t0 = monotonic_ns();
    auto may = (*kit)->check(actor, org, permission);
    const std::int64_t t1 = monotonic_ns();
    std::cout << "c " << t0 << ' ' << t1 << ' '
              << (may ? (*may ? "allow" : "deny")
                      : std::string(orgkit::to_string(may.error().code)))
              << '\n';
    std::cout.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}
