#include "csv.hpp"

namespace orgkit::csv {

std::vector<Record> parse(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Record> out;
  std::size_t i = 0;
  std::size_t line = 1;
  const std::size_t n = text.size();

  auto at_line_end = [&](std::size_t k) { return k < n && (text[k] == '\n' || text[k] == '\r'); };
  // Consumes one line ending at k (CRLF, LF or a lone CR); returns the position after it.
  auto skip_line_end = [&](std::size_t k) {
    if (k < n && text[k] == '\r') ++k;
    if (k < n && text[k] == '\n') ++k;
    ++line;
    return k;
  };

  auto line_end_from = [&](std::size_t k) {
    while (k < n && !at_line_end(k)) ++k;
    return k;
  };

  while (i < n) {
    // A blank line, or one of only spaces and tabs, is no record.
    std::size_t k = i;
    while (k < n && (text[k] == ' ' || text[k] == '\t')) ++k;
    if (k == n || at_line_end(k)) {
      i = k < n ? skip_line_end(k) : k;
      continue;
    }
    Record rec;
    rec.line = line;
    std::string field;
    bool done = false;
    while (!done) {
      field.clear();
      if (i < n && text[i] == '"') {
        // Where the line of this opening quote ends, and its number: an unclosed quote
        // resumes reading after that line, never inside an earlier, properly closed field.
        const std::size_t quote_line_end = line_end_from(i);
        const std::size_t quote_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n' || (c == '\r' && !(i + 1 < n && text[i + 1] == '\n'))) ++line;
          field += c;
          ++i;
        }
        if (!closed) {
          // Report it on its own line and go on with the next line, so one stray quote
          // cannot swallow the rest of the file.
          rec.error = "a quoted field is never closed";
          rec.fields.push_back(field);
          line = quote_line;
          i = quote_line_end;
          if (i < n) i = skip_line_end(i);
          done = true;
          break;
        }
        if (i < n && text[i] != ',' && !at_line_end(i)) {
          rec.error = "unexpected text after a closing quote";
        }
      } else {
        while (i < n && text[i] != ',' && !at_line_end(i)) {
          if (text[i] == '"' && !rec.error) rec.error = "a quote inside an unquoted field";
          field += text[i];
          ++i;
        }
      }
      // Skip whatever is left of a malformed field up to its end.
      while (rec.error && i < n && text[i] != ',' && !at_line_end(i)) ++i;
      rec.fields.push_back(field);
      if (i < n && text[i] == ',') {
        ++i;
      } else {
        done = true;
        if (i < n) i = skip_line_end(i);
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace orgkit::csv
