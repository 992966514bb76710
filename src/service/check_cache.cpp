// CheckCache: see check_cache.hpp.
#include "service/check_cache.hpp"

#include <cstring>
#include <functional>

namespace orgkit::detail {

static_assert(sizeof(PermissionSet) <= 16, "an entry is meant to stay within 64 bytes");

CheckCache::CheckCache(std::size_t capacity) {
  std::size_t sets = 1;
  while (sets * ways < capacity) sets *= 2;
  entries_.resize(sets * ways);
  set_mask_ = sets - 1;
}

CheckCache::~CheckCache() {
  for (auto& e : entries_) delete[] e.key;
}

std::uint64_t CheckCache::hash_of(std::string_view tenant, OrgId org,
                                  std::string_view user) noexcept {
  std::uint64_t h = std::hash<std::string_view>{}(user);
  h ^= std::hash<std::string_view>{}(tenant) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= static_cast<std::uint64_t>(org.value()) * 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool CheckCache::same(const Entry& e, std::uint32_t hash, std::string_view tenant, OrgId org,
                      std::string_view user) noexcept {
  return e.key != nullptr && e.hash == hash && e.org == org.value() &&
         e.tenant_len == tenant.size() && e.user_len == user.size() &&
         std::memcmp(e.key, tenant.data(), tenant.size()) == 0 &&
         std::memcmp(e.key + tenant.size(), user.data(), user.size()) == 0;
}

// Each key may live in either of two sets (two-choice hashing): a full set spills into the
// key's other set instead of evicting, so sets overflow only when both are full. That keeps
// keys from thrashing in a table that is well filled.
std::size_t CheckCache::other_set(std::uint64_t h) const noexcept {
  return ((h >> 20) ^ (h >> 41) ^ (h * 0x9e3779b97f4a7c15ULL >> 7)) & set_mask_;
}

std::optional<CachedAccess> CheckCache::find(std::string_view tenant, OrgId org,
                                             std::string_view user,
                                             const ChangeSignal& signal) noexcept {
  const std::uint64_t h = hash_of(tenant, org, user);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  for (const std::size_t set_index : {h & set_mask_, other_set(h)}) {
    Entry* set = &entries_[set_index * ways];
    for (std::size_t i = 0; i < ways; ++i) {
      Entry& e = set[i];
      if (!same(e, tag, tenant, org, user)) continue;
      if (!signal.unchanged(org, e.version)) return std::nullopt;  // put() will replace it
      e.last_used = ++tick_;
      return CachedAccess{e.member, e.permissions};
    }
  }
  return std::nullopt;
}

void CheckCache::put(std::string_view tenant, OrgId org, std::string_view user,
                     const ChangeSignal::Version& version, const CachedAccess& access) {
  // Ids are at most 255 bytes each (validated before any check reaches storage).
  if (tenant.size() > 255 || user.size() > 255) return;
  const std::uint64_t h = hash_of(tenant, org, user);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  Entry* const sets[2] = {&entries_[(h & set_mask_) * ways], &entries_[other_set(h) * ways]};
  const std::size_t choices = sets[0] == sets[1] ? 1 : 2;
  Entry* slot = nullptr;
  for (std::size_t k = 0; k < choices && slot == nullptr; ++k) {
    for (std::size_t i = 0; i < ways && slot == nullptr; ++i) {
      if (same(sets[k][i], tag, tenant, org, user)) slot = &sets[k][i];  // refresh in place
    }
  }
  for (std::size_t k = 0; k < choices && slot == nullptr; ++k) {
    for (std::size_t i = 0; i < ways && slot == nullptr; ++i) {
      if (sets[k][i].key == nullptr) slot = &sets[k][i];
    }
  }
  if (slot == nullptr) {  // both sets are full: evict the least recently used of them
    slot = &sets[0][0];
    for (std::size_t k = 0; k < choices; ++k) {
      for (std::size_t i = 0; i < ways; ++i) {
        // Unsigned distance from now, so that the tick wrapping around stays correct.
        if (static_cast<std::uint32_t>(tick_ - sets[k][i].last_used) >
            static_cast<std::uint32_t>(tick_ - slot->last_used)) {
          slot = &sets[k][i];
        }
      }
    }
  }
  const std::size_t len = tenant.size() + user.size();
  if (slot->key == nullptr || !same(*slot, tag, tenant, org, user)) {
    if (slot->key != nullptr) {
      key_bytes_ -= slot->tenant_len + slot->user_len;
      --used_;
      delete[] slot->key;
      slot->key = nullptr;
    }
    auto key = std::make_unique<char[]>(len == 0 ? 1 : len);
    std::memcpy(key.get(), tenant.data(), tenant.size());
    std::memcpy(key.get() + tenant.size(), user.data(), user.size());
    slot->key = key.release();
    slot->hash = tag;
    slot->org = org.value();
    slot->tenant_len = static_cast<std::uint8_t>(tenant.size());
    slot->user_len = static_cast<std::uint8_t>(user.size());
    key_bytes_ += len;
    ++used_;
  }
  slot->version = version;
  slot->member = access.member;
  slot->permissions = access.permissions;
  slot->last_used = ++tick_;
}

std::size_t CheckCache::bytes() const {
  return sizeof(*this) + entries_.size() * sizeof(Entry) + key_bytes_;
}

namespace {

// A thread's caches, one per Service it checks with (most recent first is not kept: four
// compares are cheaper than moving entries). A destroyed Service's cache is dropped when its
// slot is reused or the thread ends; ids are never reused, so it is never read again.
struct ThreadCaches {
  static constexpr std::size_t slots = 4;
  std::uint64_t ids[slots] = {};
  std::unique_ptr<CheckCache> caches[slots];
  std::size_t next = 0;
};

}  // namespace

CheckCache& thread_check_cache(std::uint64_t service_id, std::size_t capacity) {
  thread_local ThreadCaches mine;
  for (std::size_t i = 0; i < ThreadCaches::slots; ++i) {
    if (mine.ids[i] == service_id) return *mine.caches[i];
  }
  const std::size_t slot = mine.next;
  mine.next = (mine.next + 1) % ThreadCaches::slots;
  mine.caches[slot] = std::make_unique<CheckCache>(capacity);
  mine.ids[slot] = service_id;
  return *mine.caches[slot];
}

}  // namespace orgkit::detail
