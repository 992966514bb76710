#include "sqlite/packed.hpp"

#include <cstdint>

namespace orgkit::sqlite {

namespace {

constexpr char format_version = 1;
constexpr std::uint32_t null_item = 0xffffffffu;

void put(std::string& out, const std::optional<std::string>& item) {
  const std::uint32_t n = item ? static_cast<std::uint32_t>(item->size()) : null_item;
  for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((n >> shift) & 0xffu);
  if (item) out += *item;
}

// Reads the items of a packed list one at a time.
class Reader {
 public:
  explicit Reader(std::string_view blob) : blob_(blob) {}
  /// Whether the blob starts as a packed list does.
  bool start() {
    if (blob_.empty() || blob_[0] != format_version) return false;
    pos_ = 1;
    return true;
  }
  bool done() const { return pos_ == blob_.size(); }
  /// The next item; false when the blob ends inside it.
  bool next(std::optional<std::string>& item) {
    if (blob_.size() - pos_ < 4) return false;
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(blob_[pos_ + i])) << (8 * i);
    }
    pos_ += 4;
    if (n == null_item) {
      item.reset();
      return true;
    }
    if (blob_.size() - pos_ < n) return false;
    item = std::string(blob_.substr(pos_, n));
    pos_ += n;
    return true;
  }

 private:
  std::string_view blob_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string pack_changes(const std::vector<FieldChange>& changes) {
  std::string out(1, format_version);
  for (const auto& c : changes) {
    put(out, c.field);
    put(out, c.before);
    put(out, c.after);
  }
  return out;
}

std::optional<std::vector<FieldChange>> unpack_changes(std::string_view blob) {
  Reader r(blob);
  if (!r.start()) return std::nullopt;
  std::vector<FieldChange> out;
  while (!r.done()) {
    std::optional<std::string> field, before, after;
    if (!r.next(field) || !field || !r.next(before) || !r.next(after)) return std::nullopt;
    out.push_back({std::move(*field), std::move(before), std::move(after)});
  }
  return out;
}

std::string pack_metadata(const std::map<std::string, std::string>& metadata) {
  std::string out(1, format_version);
  for (const auto& [key, value] : metadata) {
    put(out, key);
    put(out, value);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> unpack_metadata(std::string_view blob) {
  std::map<std::string, std::string> out;
  if (blob.empty()) return out;
  Reader r(blob);
  if (!r.start()) return std::nullopt;
  while (!r.done()) {
    std::optional<std::string> key, value;
    if (!r.next(key) || !key || !r.next(value) || !value) return std::nullopt;
    out.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace orgkit::sqlite
