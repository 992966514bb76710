// Invitation tokens (I9) and keys (P9, T1): 256 bits from libsodium's CSPRNG, URL-safe text,
// stored only as a SHA-256 hash, compared in constant time. The raw token exists only in the
// caller's hands.
#pragma once

#include <string>
#include <string_view>

#include <orgkit/error.hpp>

namespace orgkit::tokens {

/// A fresh token and the hash that storage keeps.
struct Token {
  std::string text;  ///< "oki_" + 43 characters of unpadded base64url (32 random bytes).
  std::string hash;  ///< 32 raw bytes: SHA-256 of `text`.
};

/// An API key (P9): "okk_" + 16 hex characters of public prefix + "_" + 43 characters of
/// secret (32 random bytes). The prefix finds the key; the hash of the whole text proves it.
struct ApiKeyText {
  std::string text;
  std::string prefix;
  std::string hash;
};

/// The kinds of key, by their first four characters: an organization's API key (P9) and a
/// tenant administrator's key (T1). The same shape, so one generator and one parser serve
/// both; the kind keeps one from being presented as the other.
inline constexpr std::string_view api_key_kind = "okk_";
inline constexpr std::string_view tenant_key_kind = "otk_";

/// Draws a new key of `kind` (api_key_kind or tenant_key_kind).
Result<ApiKeyText> generate_key(std::string_view kind);

/// The prefix of a well-formed key of `kind`, or an empty view when `text` is malformed.
std::string_view key_prefix(std::string_view kind, std::string_view text);

/// Draws a new API key.
inline Result<ApiKeyText> generate_api_key() { return generate_key(api_key_kind); }

/// The prefix of a well-formed API key, or an empty view when `text` is malformed.
inline std::string_view api_key_prefix(std::string_view text) {
  return key_prefix(api_key_kind, text);
}

/// `bytes` random bytes as lower-case hex (not a secret: e.g. a slug suffix).
Result<std::string> random_hex(std::size_t bytes);

/// Draws a new token. storage error only if libsodium cannot initialise.
Result<Token> generate();

/// Whether `text` has the shape of a token (prefix, length, alphabet). Cheap; run before
/// hashing so malformed input gets its own error.
bool well_formed(std::string_view text);

/// SHA-256 of `text`, raw bytes.
std::string hash(std::string_view text);

/// Constant-time equality of two hashes (sodium_memcmp).
bool same_hash(std::string_view a, std::string_view b);

}  // namespace orgkit::tokens
