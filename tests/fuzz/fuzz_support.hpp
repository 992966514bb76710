// What the fuzz targets share: how a broken invariant ends the run, how every call into the
// public API is guarded against an escaping exception, what a typed error must look like, and
// a fresh in-memory Service per input.
//
// A target reports a broken invariant with ORGKIT_FUZZ_REQUIRE: one line on stderr saying
// which invariant and why, then __builtin_trap(), which libFuzzer records as a crash and keeps
// the input for. No Catch2 here: a fuzz target has libFuzzer's main and must stay fast.
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <orgkit/orgkit.hpp>

namespace orgkit::fuzz {

/// Prints the broken invariant and traps (libFuzzer keeps the input as a crash).
[[noreturn]] inline void violated(const char* invariant, const std::string& detail) {
  std::fprintf(stderr, "\n*** orgkit fuzz: invariant broken: %s\n*** %s\n", invariant,
               detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace orgkit::fuzz

/// Traps unless `cond` holds; `detail` (a std::string expression) says what was seen.
#define ORGKIT_FUZZ_REQUIRE(cond, detail)                   \
  do {                                                      \
    if (!(cond)) ::orgkit::fuzz::violated(#cond, (detail)); \
  } while (false)

namespace orgkit::fuzz {

/// Runs `f`, trapping if an exception escapes it: no exception crosses the public API.
template <class F>
auto guarded(const char* call, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const std::exception& e) {
    violated("no exception escapes the public API", std::string(call) + " threw: " + e.what());
  } catch (...) {
    violated("no exception escapes the public API", std::string(call) + " threw a non-exception");
  }
}

/// "not_found (token): ..." for messages.
inline std::string describe(const Error& e) {
  return to_string(e);
}

/// An error is typed: a known code and a message for a person.
inline void require_typed(const Error& e, std::string_view call) {
  ORGKIT_FUZZ_REQUIRE(to_string(e.code) != "unknown",
                      std::string(call) + ": error with an unknown code");
  ORGKIT_FUZZ_REQUIRE(!e.message.empty(),
                      std::string(call) + ": error without a message: " + describe(e));
}

/// Errors a single-threaded in-memory Service must never answer with: they would mean the
/// storage failed or a race was lost where there is no race.
inline bool storage_trouble(ErrorCode code) {
  return code == ErrorCode::storage || code == ErrorCode::unavailable ||
         code == ErrorCode::aborted || code == ErrorCode::not_supported;
}

/// Whether `text` contains `secret` (a token or key must never appear in an error message).
inline bool mentions(std::string_view text, std::string_view secret) {
  return !secret.empty() && text.find(secret) != std::string_view::npos;
}

/// Whether two addresses are the same as invitations compare them (ASCII case aside).
inline bool same_address(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// The clock of every fuzzed Service: a fixed start, moved only by the input.
inline std::shared_ptr<ManualClock> fixed_clock() {
  return std::make_shared<ManualClock>(from_unix_ms(1'700'000'000'000));
}

/// A Service over a fresh in-memory SQLite store; traps if it cannot be made.
inline std::unique_ptr<Service> open_memory_service(ServiceOptions options) {
  auto kit = guarded("Service::open_sqlite",
                     [&] { return Service::open_sqlite(":memory:", std::move(options)); });
  if (!kit) violated("an in-memory Service opens", describe(kit.error()));
  return std::move(*kit);
}

}  // namespace orgkit::fuzz
