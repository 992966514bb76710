#include "validate.hpp"

#include <fmt/format.h>

namespace orgkit::validate {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Number of code points in valid UTF-8.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

Error invalid(std::string_view field, std::string message) {
  return Error::invalid(std::string(field), std::move(message));
}

}  // namespace

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<std::string> org_name(std::string_view field, std::string_view name) {
  if (!is_utf8(name)) return fail(invalid(field, "must be valid UTF-8"));
  std::string t = trim(name);
  if (t.empty()) return fail(invalid(field, "must not be empty or only whitespace"));
  if (has_control(t)) return fail(invalid(field, "must not contain control characters"));
  if (utf8_length(t) > max_name_chars) {
    return fail(invalid(field, fmt::format("must be at most {} characters, got {}",
                                           max_name_chars, utf8_length(t))));
  }
  return t;
}

Result<void> slug(std::string_view field, std::string_view s) {
  if (s.size() < min_slug || s.size() > max_slug) {
    return fail(invalid(field, fmt::format("must be {}-{} characters, got {}", min_slug, max_slug,
                                           s.size())));
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '-') {
      if (i == 0 || i + 1 == s.size()) {
        return fail(invalid(field, "must not start or end with a hyphen"));
      }
      if (s[i - 1] == '-') return fail(invalid(field, "must not contain two hyphens in a row"));
    } else if (!is_lower_alnum(c)) {
      return fail(invalid(field, fmt::format("may contain only lowercase letters, digits and "
                                             "single hyphens; found '{}'",
                                             (c >= 0x20 && c < 0x7F) ? std::string(1, c)
                                                                     : std::string("\\x") +
                                                                           fmt::format("{:02x}", static_cast<unsigned char>(c)))));
    }
  }
  return {};
}

std::string slug_from_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (is_lower_alnum(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= max_slug) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() < min_slug) out = out.empty() ? "org" : out + "-org";
  return out;
}

Result<std::string> email(std::string_view field, std::string_view raw) {
  std::string e = trim(raw);
  if (e.empty()) return fail(invalid(field, "must not be empty"));
  if (e.size() > max_email_bytes) {
    return fail(invalid(field, fmt::format("must be at most {} bytes", max_email_bytes)));
  }
  if (!is_utf8(e) || has_control(e)) return fail(invalid(field, "is not a valid email address"));
  const auto at = e.find('@');
  if (at == std::string::npos || e.find('@', at + 1) != std::string::npos) {
    return fail(invalid(field, "must contain exactly one '@'"));
  }
  const std::string_view local(e.data(), at);
  const std::string_view domain(e.data() + at + 1, e.size() - at - 1);
  if (local.empty() || local.size() > 64) {
    return fail(invalid(field, "needs a local part of 1-64 characters before '@'"));
  }
  for (char c : e) {
    if (is_space(c) || c == ',' || c == '<' || c == '>' || c == '"' || c == '(' || c == ')' ||
        c == ';' || c == '\\' || c == '[' || c == ']') {
      return fail(invalid(field, "must not contain spaces or any of , < > \" ( ) ; \\ [ ]"));
    }
  }
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos ||
      domain.front() == '-' || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return fail(invalid(field, "needs a domain like example.com after '@'"));
  }
  return e;
}

Result<std::string> optional_email(std::string_view field, std::string_view raw) {
  if (trim(raw).empty()) return std::string();
  return email(field, raw);
}

Result<std::string> line(std::string_view field, std::string_view s, std::size_t max_chars) {
  if (!is_utf8(s)) return fail(invalid(field, "must be valid UTF-8"));
  std::string t = trim(s);
  if (has_control(t)) return fail(invalid(field, "must be one line without control characters"));
  if (utf8_length(t) > max_chars) {
    return fail(invalid(field, fmt::format("must be at most {} characters", max_chars)));
  }
  return t;
}

Result<void> host_id(std::string_view field, std::string_view id) {
  if (id.empty()) return fail(invalid(field, "must not be empty"));
  if (id.size() > max_id_bytes) {
    return fail(invalid(field, fmt::format("must be at most {} bytes", max_id_bytes)));
  }
  if (!is_utf8(id) || has_control(id)) {
    return fail(invalid(field, "must be valid UTF-8 without control characters"));
  }
  return {};
}

Result<std::string> text(std::string_view field, std::string_view s, std::size_t max_chars) {
  if (!is_utf8(s)) return fail(invalid(field, "must be valid UTF-8"));
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7F) {
      return fail(invalid(field, "must not contain control characters other than line breaks "
                                 "and tabs"));
    }
  }
  std::string t = trim(s);
  if (utf8_length(t) > max_chars) {
    return fail(invalid(field, fmt::format("must be at most {} characters", max_chars)));
  }
  return t;
}

Result<void> metadata(std::string_view field, const std::map<std::string, std::string>& md) {
  if (md.size() > max_metadata_entries) {
    return fail(invalid(field, fmt::format("at most {} entries", max_metadata_entries)));
  }
  for (const auto& [key, value] : md) {
    if (key.empty() || key.size() > 64) {
      return fail(invalid(field, "keys must be 1-64 characters"));
    }
    for (char c : key) {
      const bool ok = is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-';
      if (!ok) return fail(invalid(fmt::format("{}.{}", field, key),
                                   "keys may contain only letters, digits, '_', '.' and '-'"));
    }
    if (auto ok = text(fmt::format("{}.{}", field, key), value); !ok) return fail(ok.error());
  }
  return {};
}

Result<void> role_name(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > 64) return fail(invalid(field, "must be 1-64 characters"));
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '_' && c != '-') {
      return fail(invalid(field, "may contain only lowercase letters, digits, '_' and '-'"));
    }
  }
  return {};
}

Result<void> audit_action(std::string_view field, std::string_view action) {
  if (action.empty() || action.size() > 64) return fail(invalid(field, "must be 1-64 characters"));
  bool word_start = true;
  for (char c : action) {
    if (c == '.') {
      if (word_start) break;  // an empty word: leading, trailing or doubled dot
      word_start = true;
    } else if (is_lower_alnum(c) || c == '_') {
      word_start = false;
    } else {
      word_start = true;
      break;
    }
  }
  if (word_start) {
    return fail(invalid(field, "must be words of lowercase letters, digits and '_' separated by "
                               "single dots, such as 'member.role_changed'"));
  }
  return {};
}

Result<void> permission_name(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > 64) return fail(invalid(field, "must be 1-64 characters"));
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '_' && c != ':' && c != '.' && c != '-') {
      return fail(invalid(field, "may contain only lowercase letters, digits, '_', ':', '.' and '-'"));
    }
  }
  return {};
}

Result<void> page_limit(std::string_view field, int limit) {
  if (limit < 1 || limit > 1000) {
    return fail(invalid(field, fmt::format("must be 1-1000, got {}", limit)));
  }
  return {};
}

std::string email_key(std::string_view email) {
  std::string key = trim(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

}  // namespace orgkit::validate
