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

bool well_formed(std::string_view text) {
  if (text.size() != prefix.size() + encoded_chars || text.substr(0, prefix.size()) != prefix) {
    return false;
  }
  for (char c : text.substr(prefix.size())) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
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
