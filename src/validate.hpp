// Input validation: one function per kind of input, each returning an invalid_argument Error
// that names the field and the reason (E2). The Service validates everything before it
// begins a transaction, so bad input never writes anything.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <orgkit/error.hpp>
#include <orgkit/ids.hpp>

namespace orgkit::validate {

inline constexpr std::size_t max_name_chars = 100;
inline constexpr std::size_t min_slug = 2;
inline constexpr std::size_t max_slug = 48;
inline constexpr std::size_t max_id_bytes = 255;
inline constexpr std::size_t max_email_bytes = 254;
inline constexpr std::size_t max_text_chars = 1000;
inline constexpr std::size_t max_metadata_entries = 50;
inline constexpr std::size_t max_department_chars = 100;

/// Whitespace-trimmed copy (ASCII whitespace).
std::string trim(std::string_view s);

/// The key an email address is matched by: trimmed, ASCII lower-cased. Every backend stores
/// and compares this key, computed here (never by a database's own lower()), so that all of
/// them agree on which addresses are the same.
std::string email_key(std::string_view email);

/// Whether `s` is well-formed UTF-8.
bool is_utf8(std::string_view s);

/// An organization (or personal) name: trimmed, 1-100 characters, valid UTF-8, no control
/// characters. Returns the trimmed name.
Result<std::string> org_name(std::string_view field, std::string_view name);

/// A slug: 2-48 of [a-z0-9] with single inner hyphens.
Result<void> slug(std::string_view field, std::string_view slug);

/// A slug made from a name ("Acme Corp!" -> "acme-corp"); "org" when nothing usable is left.
std::string slug_from_name(std::string_view name);

/// An email address: trimmed, one '@', non-empty local part, a dotted domain, no spaces or
/// control characters, at most 254 bytes. Returns the trimmed address.
Result<std::string> email(std::string_view field, std::string_view email);

/// As email(), but "" is allowed (an optional address left empty).
Result<std::string> optional_email(std::string_view field, std::string_view email);

/// A host id (user or tenant): 1-255 bytes, valid UTF-8, no control characters.
Result<void> host_id(std::string_view field, std::string_view id);

/// Free text such as a description: at most `max_chars` characters, valid UTF-8, no control
/// characters other than line breaks and tabs. Returns it trimmed.
Result<std::string> text(std::string_view field, std::string_view text,
                         std::size_t max_chars = max_text_chars);

/// A single line such as a display name: at most `max_chars` characters, valid UTF-8, no
/// control characters at all (it may end up in an email subject). Returns it trimmed.
Result<std::string> line(std::string_view field, std::string_view text, std::size_t max_chars);

/// Metadata: at most 50 entries; keys 1-64 chars of [A-Za-z0-9_.-]; values are text.
Result<void> metadata(std::string_view field, const std::map<std::string, std::string>& md);

/// A role name: 1-64 of [a-z0-9_-].
Result<void> role_name(std::string_view field, std::string_view name);

/// A permission name: 1-64 of [a-z0-9_:.-].
Result<void> permission_name(std::string_view field, std::string_view name);

/// An audit action name such as "member.role_changed": 1-64 characters, words of
/// [a-z0-9_] separated by single dots.
Result<void> audit_action(std::string_view field, std::string_view action);

/// A listing limit: 1-1000.
Result<void> page_limit(std::string_view field, int limit);

}  // namespace orgkit::validate
