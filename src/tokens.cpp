#include "tokens.hpp"

#include <array>
#include <mutex>

#include <sodium.h>

namespace orgkit::tokens {

namespace {

constexpr std::string_view prefix = "oki_";
constexpr std::size_t random_bytes = 32;
// Unpadded base64 of 32 bytes: ceil(32 * 4 / 3) = 43 characters.
constexpr std::size_t encoded_chars = 43;

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;  // thread-safe static init; idempotent
  return ready;
}

}  // namespace

Result<Token> generate() {
  if (!sodium_ready()) return fail(Error::storage_failure("libsodium failed to initialise"));
  std::array<unsigned char, random_bytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(random_bytes, variant)> encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), raw.data(), raw.size(), variant);
  sodium_memzero(raw.data(), raw.size());
  Token t;
  t.text.reserve(prefix.size() + encoded_chars);
  t.text.append(prefix);
  t.text.append(encoded.data());
  t.hash = hash(t.text);
  return t;
}

namespace {

constexpr std::size_t key_kind_chars = 4;  // "okk_", "otk_"
constexpr std::size_t key_public_hex = 16;
constexpr std::size_t key_length = key_kind_chars + key_public_hex + 1 + encoded_chars;

bool is_base64url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<ApiKeyText> generate_key(std::string_view kind) {
  if (kind.size() != key_kind_chars) return fail(Error::storage_failure("unknown kind of key"));
  if (!sodium_ready()) return fail(Error::storage_failure("libsodium failed to initialise"));
  std::array<unsigned char, key_public_hex / 2> pub{};
  randombytes_buf(pub.data(), pub.size());
  std::array<char, key_public_hex + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), pub.data(), pub.size());
  auto secret = generate();
  if (!secret) return fail(secret.error());
  ApiKeyText k;
  k.prefix = hex.data();
  k.text.reserve(key_length);
  k.text.append(kind).append(k.prefix).append("_").append(secret->text.substr(prefix.size()));
  k.hash = hash(k.text);
  return k;
}

Result<std::string> random_hex(std::size_t bytes) {
  if (!sodium_ready()) return fail(Error::storage_failure("libsodium failed to initialise"));
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string_view key_prefix(std::string_view kind, std::string_view text) {
  if (kind.size() != key_kind_chars || text.size() != key_length ||
      text.substr(0, key_kind_chars) != kind || text[key_kind_chars + key_public_hex] != '_') {
    return {};
  }
  const std::string_view pub = text.substr(key_kind_chars, key_public_hex);
  for (char c : pub) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  if (!is_base64url(text.substr(key_kind_chars + key_public_hex + 1))) return {};
  return pub;
}

bool well_formed(std::string_view text) {
  return text.size() == prefix.size() + encoded_chars && text.substr(0, prefix.size()) == prefix &&
         is_base64url(text.substr(prefix.size()));
}

std::string hash(std::string_view text) {
  (void)sodium_ready();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return out;
}

bool same_hash(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace orgkit::tokens
