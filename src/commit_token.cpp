#include <orgkit/commit_token.hpp>

#include <charconv>

namespace orgkit {

namespace {
constexpr std::string_view prefix = "ct1.";
}

std::string CommitToken::to_string() const {
  return std::string(prefix) + std::to_string(sequence_);
}

Result<CommitToken> CommitToken::parse(std::string_view text) {
  std::uint64_t value = 0;
  const bool shaped = text.size() > prefix.size() && text.substr(0, prefix.size()) == prefix &&
                      text.size() <= prefix.size() + 20;
  if (shaped) {
    const char* b = text.data() + prefix.size();
    const char* e = text.data() + text.size();
    const auto [end, ec] = std::from_chars(b, e, value);
    // Digits only: no sign, no leading zero (one spelling per token).
    if (ec == std::errc() && end == e && *b >= '0' && *b <= '9' && !(*b == '0' && e - b > 1)) {
      return CommitToken(value);
    }
  }
  return fail(Error::invalid("commit_token", "is not a commit token returned by orgkit"));
}

}  // namespace orgkit
