// The permission check's cache (C1): per thread, per Service, bounded, and never stale.
//
// Each thread keeps its own cache for each Service it checks with (up to four Services at
// once; a fifth replaces the oldest), so a hit shares nothing with other threads: no lock, no
// atomic write, no system call and no allocation. An entry holds what a check needs of one
// (tenant, organization, user): whether they are a member and the permissions their role
// grants, with the organization's version from the storage's ChangeSignal taken *before*
// the answer was read. A hit is used only while the signal says the organization is still at
// that version, so a change committed anywhere (any thread, any process on the same
// database) is seen by every check that starts after its commit returned.
//
// Memory: capacity entries in sets of eight (a set-associative table). Each key may live in
// either of two sets; when both are full, the least recently used entry of the two goes.
// An entry is 64 bytes plus its ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <orgkit/ids.hpp>
#include <orgkit/policy.hpp>
#include <orgkit/storage.hpp>

namespace orgkit::detail {

/// What a check needs to know of one (tenant, organization, user).
struct CachedAccess {
  bool member = false;
  PermissionSet permissions;  ///< What the member's role grants (rules::granted).
};

class CheckCache {
 public:
  static constexpr std::size_t ways = 8;
  /// Room for at least `capacity` entries (rounded up to a power of two sets of eight).
  explicit CheckCache(std::size_t capacity);
  ~CheckCache();
  CheckCache(const CheckCache&) = delete;
  CheckCache& operator=(const CheckCache&) = delete;

  /// The cached answer, if there is one and `signal` says `org` is unchanged since it was
  /// read. Allocates nothing.
  std::optional<CachedAccess> find(std::string_view tenant, OrgId org, std::string_view user,
                                   const ChangeSignal& signal) noexcept;

  /// Keeps `access`, read after `org` was seen settled at `version`.
  void put(std::string_view tenant, OrgId org, std::string_view user,
           const ChangeSignal::Version& version, const CachedAccess& access);

  [[nodiscard]] std::size_t capacity() const { return entries_.size(); }
  /// Entries in use.
  [[nodiscard]] std::size_t size() const { return used_; }
  /// Bytes held: the table plus every entry's ids (the benchmark reports bytes per entry).
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct Entry {
    PermissionSet permissions;
    ChangeSignal::Version version;
    std::int64_t org = 0;
    char* key = nullptr;  // tenant bytes then user bytes; null when the entry is free
    std::uint32_t hash = 0;
    std::uint32_t last_used = 0;
    std::uint8_t tenant_len = 0;
    std::uint8_t user_len = 0;
    bool member = false;
  };
  static std::uint64_t hash_of(std::string_view tenant, OrgId org, std::string_view user) noexcept;
  static bool same(const Entry& e, std::uint32_t hash, std::string_view tenant, OrgId org,
                   std::string_view user) noexcept;
  std::size_t other_set(std::uint64_t h) const noexcept;
  std::vector<Entry> entries_;
  std::size_t set_mask_;
  std::size_t used_ = 0;
  std::size_t key_bytes_ = 0;
  std::uint32_t tick_ = 0;
};

/// This thread's cache for the Service with `service_id`, made with `capacity` on first use.
CheckCache& thread_check_cache(std::uint64_t service_id, std::size_t capacity);

}  // namespace orgkit::detail
