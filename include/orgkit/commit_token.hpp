// orgkit/commit_token.hpp: where a change stands in the order of all changes.
//
// Every mutation of a Service returns the CommitToken of the transaction that applied it. A
// token is monotonic: a transaction that commits after another gets a greater token, so a
// host can store a token (in a session, a response header, a queue message) and later ask
// for a read or check "at least as fresh as" it, on any process of the same deployment.
//
// Tokens compare with the usual operators and round-trip through text: to_string() gives
// "ct1.42", and parse() accepts exactly that form. A default-constructed token is zero,
// older than every commit. Tokens of different databases are not comparable in meaning.
#pragma once

#include <orgkit/export.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include <orgkit/error.hpp>

namespace orgkit {

class ORGKIT_EXPORT CommitToken {
 public:
  constexpr CommitToken() = default;
  constexpr explicit CommitToken(std::uint64_t sequence) : sequence_(sequence) {}

  /// The position of the commit in the store's order (0: before every commit).
  [[nodiscard]] constexpr std::uint64_t sequence() const { return sequence_; }

  /// "ct1.<sequence>": versioned, so that a later format can be told apart.
  [[nodiscard]] std::string to_string() const;

  /// The token whose to_string() is `text`. invalid_argument (field "commit_token") for
  /// anything else.
  [[nodiscard]] static Result<CommitToken> parse(std::string_view text);

  friend constexpr bool operator==(CommitToken a, CommitToken b) {
    return a.sequence_ == b.sequence_;
  }
  friend constexpr bool operator!=(CommitToken a, CommitToken b) {
    return a.sequence_ != b.sequence_;
  }
  friend constexpr bool operator<(CommitToken a, CommitToken b) {
    return a.sequence_ < b.sequence_;
  }
  friend constexpr bool operator<=(CommitToken a, CommitToken b) {
    return a.sequence_ <= b.sequence_;
  }
  friend constexpr bool operator>(CommitToken a, CommitToken b) {
    return a.sequence_ > b.sequence_;
  }
  friend constexpr bool operator>=(CommitToken a, CommitToken b) {
    return a.sequence_ >= b.sequence_;
  }

 private:
  std::uint64_t sequence_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, CommitToken t) {
  return os << t.to_string();
}

/// The result of a mutation: what it returns, plus the token of the commit that applied it.
/// It derives from T, so `result->role` reads as before.
template <class T>
struct Committed : T {
  CommitToken commit_token;
};

/// A mutation that returns nothing but its commit token.
template <>
struct Committed<void> {
  CommitToken commit_token;
};

}  // namespace orgkit
