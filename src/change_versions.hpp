// The version counters behind a backend's ChangeSignal (orgkit/storage.hpp; C1, C2), shared
// by the backends: the SQLite store keeps them in a file every process maps, the PostgreSQL
// store in each process, advanced by its own commits and by the notifications of others.
//
// One database-wide pair and `version_slots` pairs that organizations hash into. Each pair is
// (begun, ended): a commit that may change an organization advances `begun` of its slot (or
// of the database-wide pair, for a commit that names no organization) before it becomes
// visible and `ended` after. A pair is settled when begun == ended. Readers compare plain
// atomic loads: no system call, no lock, no allocation.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include <orgkit/ids.hpp>
#include <orgkit/storage.hpp>

namespace orgkit::detail {

struct VersionPair {
  std::atomic<std::uint64_t> begun;
  std::atomic<std::uint64_t> ended;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "version counters must be lock-free to be shared between processes");

inline constexpr std::uint32_t version_slots = 4096;

/// The database-wide pair and the organizations' slots. Zero-filled memory is a valid,
/// settled table (the SQLite store maps it from a new file).
struct VersionTable {
  VersionPair all;
  VersionPair slot[version_slots];

  static std::uint32_t slot_of(OrgId org) noexcept {
    // splitmix64's finalizer: consecutive ids spread over the slots.
    auto x = static_cast<std::uint64_t>(org.value());
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<std::uint32_t>(x & (version_slots - 1));
  }

  /// `org`'s settled version, or nothing while a commit that may change it is in flight.
  std::optional<ChangeSignal::Version> settled(OrgId org) const noexcept {
    const VersionPair& one = slot[slot_of(org)];
    // `ended` first: if `begun` is still equal afterwards, no commit was in flight in between.
    const auto all_ended = all.ended.load(std::memory_order_acquire);
    const auto one_ended = one.ended.load(std::memory_order_acquire);
    if (all.begun.load(std::memory_order_acquire) != all_ended) return std::nullopt;
    if (one.begun.load(std::memory_order_acquire) != one_ended) return std::nullopt;
    return ChangeSignal::Version{all_ended, one_ended};
  }

  /// Whether no commit that may change `org` has begun since it was settled at `v`.
  bool unchanged(OrgId org, const ChangeSignal::Version& v) const noexcept {
    return all.begun.load(std::memory_order_acquire) == v.all &&
           slot[slot_of(org)].begun.load(std::memory_order_acquire) == v.org;
  }

  /// Calls f(pair) once for each pair a commit of `orgs` touches (the database-wide one for
  /// none). Allocates nothing: a slot shared by two organizations of `orgs` is touched once.
  template <class Orgs, class F>
  void for_each_pair(const Orgs& orgs, F&& f) noexcept {
    if (orgs.empty()) {
      f(all);
      return;
    }
    for (std::size_t i = 0; i < orgs.size(); ++i) {
      const std::uint32_t s = slot_of(orgs[i]);
      bool seen = false;
      for (std::size_t k = 0; k < i && !seen; ++k) seen = slot_of(orgs[k]) == s;
      if (!seen) f(slot[s]);
    }
  }
};

}  // namespace orgkit::detail
