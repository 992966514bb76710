// A small RFC 4180 reader for bulk invitations (I6): comma-separated fields, optional double
// quotes around a field (inside them commas, line breaks and "" for a quote), CRLF, LF or a
// lone CR as line ends, a UTF-8 byte-order mark skipped, lines of only blanks skipped. Written here rather than taken from a library
// because the import needs per-record errors with line numbers and must keep going after a
// bad record; no Debian-packaged C++ CSV library offers both.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orgkit::csv {

struct Record {
  std::size_t line = 0;  ///< 1-based line on which the record starts.
  std::vector<std::string> fields;
  std::optional<std::string> error;  ///< Why the record is malformed; fields are then partial.
};

/// Every non-blank record of `text`, in order. Blank lines are skipped (their lines still
/// count). A malformed record (a quote inside an unquoted field, text after a closing quote,
/// a quote never closed) carries an error; reading resumes at the next line.
std::vector<Record> parse(std::string_view text);

}  // namespace orgkit::csv
