// How orgctl answers: exactly one JSON document on stdout with --json (for scripts), else
// text for people (a table for lists, "field: value" lines for one thing); an error is one
// line on stderr; the exit code follows the error code through one table, which is also
// what `orgctl --help` prints, so the documentation cannot drift from the code.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "context.hpp"

namespace orgctl {

namespace {

constexpr orgkit::ErrorCode all_codes[] = {
    orgkit::ErrorCode::invalid_argument, orgkit::ErrorCode::not_found,
    orgkit::ErrorCode::already_exists,   orgkit::ErrorCode::permission_denied,
    orgkit::ErrorCode::conflict,         orgkit::ErrorCode::expired,
    orgkit::ErrorCode::revoked,          orgkit::ErrorCode::already_used,
    orgkit::ErrorCode::limit_exceeded,   orgkit::ErrorCode::not_supported,
    orgkit::ErrorCode::unavailable,      orgkit::ErrorCode::aborted,
    orgkit::ErrorCode::storage,
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string scalar_text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return one_line(v.get<std::string>());
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + scalar_text(e);
    return out;
  }
  if (v.is_object()) return one_line(v.dump());
  return v.dump();
}

// The value at a dotted path ("organization.name") of an object, or null.
json at_path(const json& obj, const std::string& path) {
  const json* cur = &obj;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key = path.substr(start, dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    start = dot + 1;
  }
  return *cur;
}

void print_table(std::ostream& os, const json& items, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> width;
  for (const auto& c : columns) width.push_back(c.size());
  for (const auto& item : items) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      row.push_back(scalar_text(at_path(item, columns[i])));
      width[i] = std::max(width[i], row.back().size());
    }
    rows.push_back(std::move(row));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    os << out << '\n';
  };
  std::vector<std::string> header;
  for (const auto& c : columns) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) {
      return static_cast<char>(ch == '_' || ch == '.' ? ' ' : std::toupper(ch));
    });
    header.push_back(h);
  }
  line(header);
  for (const auto& r : rows) line(r);
  if (rows.empty()) os << "(none)\n";
}

void print_fields(std::ostream& os, const json& obj, const std::string& prefix) {
  for (const auto& [key, value] : obj.items()) {
    if (value.is_object() && !value.empty()) {
      print_fields(os, value, prefix + key + ".");
    } else if (value.is_array() && !value.empty() && value.front().is_object()) {
      os << prefix << key << ":\n";
      for (const auto& entry : value) os << "  - " << scalar_text(entry) << '\n';
    } else {
      os << prefix << key << ": " << scalar_text(value) << '\n';
    }
  }
}

}  // namespace

int exit_code_for(orgkit::ErrorCode code) {
  for (std::size_t i = 0; i < std::size(all_codes); ++i) {
    if (all_codes[i] == code) return 10 + static_cast<int>(i);
  }
  return exit_failure;
}

std::string exit_code_table() {
  std::ostringstream os;
  os << "Exit codes:\n"
     << "  0   ok\n"
     << "  1   failure: something unexpected (the message says what)\n"
     << "  2   usage: the command line is wrong (see --help)\n"
     << "  3   check: the answer is no\n";
  for (auto code : all_codes) {
    os << "  " << exit_code_for(code) << "  " << orgkit::to_string(code) << '\n';
  }
  os << "authorize answers no with the error's code (permission_denied, not_found). A bulk\n"
     << "command (member bulk-role, bulk-remove; invite import) that ran exits 0 even when\n"
     << "rows were refused: each row's answer is in its output.\n";
  return os.str();
}

int print_output(const Output& out, bool as_json) {
  if (as_json) {
    std::cout << out.doc.dump() << '\n';
  } else if (!out.text.empty()) {
    std::cout << out.text << '\n';
  } else if (out.doc.is_object() && out.doc.contains("items") && !out.columns.empty()) {
    print_table(std::cout, out.doc["items"], out.columns);
    if (out.doc.contains("next_cursor") && !out.doc["next_cursor"].is_null()) {
      std::cout << "more: --cursor " << out.doc["next_cursor"].get<std::string>() << '\n';
    }
  } else if (out.doc.is_object()) {
    print_fields(std::cout, out.doc, "");
  } else {
    std::cout << scalar_text(out.doc) << '\n';
  }
  std::cout.flush();
  return out.exit_code;
}

int print_error(const orgkit::Error& e, bool as_json) {
  if (as_json) std::cout << json{{"error", orgkit::tools::as_json(e)}}.dump() << '\n' << std::flush;
  std::cerr << "orgctl: error: " << orgkit::to_string(e.code);
  if (!e.field.empty()) std::cerr << " (" << one_line(e.field) << ")";
  std::cerr << ": " << one_line(e.message) << '\n';
  return exit_code_for(e.code);
}

}  // namespace orgctl
