// Lists of short strings packed into one BLOB column: an audit event's changes and an
// organization's metadata (schema v6). A row that carries its list in a column of its own is
// one B-tree entry where a child table was one entry per item: one page to write instead of
// several, and one statement instead of one per item (issue 9's write path).
//
// Layout: a version byte (1), then each item as a 4-byte little-endian length and its bytes;
// the length 0xffffffff is a null item (an audit change without a before or after value).
// Decoding checks every length against the blob, so a damaged blob is an error, never a read
// past its end.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/model.hpp>

namespace orgkit::sqlite {

/// field, before, after of each change, in order.
std::string pack_changes(const std::vector<FieldChange>& changes);
/// nullopt if `blob` is not a packed list of changes.
std::optional<std::vector<FieldChange>> unpack_changes(std::string_view blob);

/// key, value of each entry, in key order.
std::string pack_metadata(const std::map<std::string, std::string>& metadata);
/// nullopt if `blob` is not a packed map (an empty blob is an empty map).
std::optional<std::map<std::string, std::string>> unpack_metadata(std::string_view blob);

}  // namespace orgkit::sqlite
