// orgkit/error.hpp: the one error vocabulary of orgkit.
//
// Every fallible public function returns `Result<T>`, which is `tl::expected<T, Error>`.
// No exception crosses the public API: storage failures, bad input and denied actions all
// come back as an `Error` value. An `Error` carries
//   - a `code`, a domain word the caller can switch on (not_found, permission_denied, ...),
//   - a `field`, the input the error is about ("name", "slug", "role", "user_id", ...) or
//     empty when it is about no single input,
//   - a `message` a person can read. Messages never contain SQL or a secret.
//
// Example:
//   auto org = kit.create_organization(actor, spec);
//   if (!org) {
//     std::cerr << org.error().field << ": " << org.error().message << '\n';
//     if (org.error().code == orgkit::ErrorCode::already_exists) { ... }
//   }
#pragma once

#include <orgkit/export.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace orgkit {

/// What went wrong, as a word the caller can act on.
enum class ErrorCode {
  invalid_argument,   ///< Input is malformed (empty, too long, bad characters, ...).
  not_found,          ///< The organization, member, role, ... does not exist, or is not visible:
                      ///< an organization the actor is not a member of is not_found.
  already_exists,     ///< A unique thing (slug, membership, ...) exists already.
  permission_denied,  ///< A member may not do this (policy, rank rule, plan).
  conflict,           ///< The action would break an invariant (e.g. an organization without owner).
  expired,            ///< A time-limited thing (invitation, key) is past its expiry.
  revoked,            ///< A thing (invitation, link, key) was revoked.
  already_used,       ///< A single-use thing (invitation link) was used already.
  limit_exceeded,     ///< A plan or seat limit would be exceeded.
  not_supported,      ///< The storage backend does not implement this operation.
  unavailable,        ///< The storage stayed busy longer than the configured timeout.
  aborted,            ///< A concurrent change to the same organization won; nothing was
                      ///< applied. The Service retries such a use case by itself and returns
                      ///< this only when its retries ran out; trying again later is safe.
  storage,            ///< The storage failed (I/O error, corruption, ...). Not the caller's fault.
};

/// The stable lower-case name of a code, e.g. "permission_denied".
[[nodiscard]] ORGKIT_EXPORT std::string_view to_string(ErrorCode code) noexcept;

/// Makes ErrorCode printable with fmt (fmt >= 9 finds this by argument-dependent lookup).
inline std::string_view format_as(ErrorCode code) noexcept { return to_string(code); }

inline std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << to_string(code); }

/// A failed operation: what kind of failure, which input it is about, and why.
struct Error {
  ErrorCode code = ErrorCode::storage;
  std::string field;    ///< The offending input ("slug", "email", ...), empty if none.
  std::string message;  ///< A sentence for a person, in the product's words.

  // Named factories, so call sites read as the rule they enforce.
  static Error invalid(std::string field, std::string message) {
    return {ErrorCode::invalid_argument, std::move(field), std::move(message)};
  }
  static Error not_found(std::string field, std::string message) {
    return {ErrorCode::not_found, std::move(field), std::move(message)};
  }
  static Error exists(std::string field, std::string message) {
    return {ErrorCode::already_exists, std::move(field), std::move(message)};
  }
  static Error denied(std::string field, std::string message) {
    return {ErrorCode::permission_denied, std::move(field), std::move(message)};
  }
  static Error conflict(std::string field, std::string message) {
    return {ErrorCode::conflict, std::move(field), std::move(message)};
  }
  static Error limit(std::string field, std::string message) {
    return {ErrorCode::limit_exceeded, std::move(field), std::move(message)};
  }
  static Error storage_failure(std::string message) {
    return {ErrorCode::storage, {}, std::move(message)};
  }
  static Error aborted(std::string message) {
    return {ErrorCode::aborted, {}, std::move(message)};
  }
  static Error unsupported(std::string message) {
    return {ErrorCode::not_supported, {}, std::move(message)};
  }
};

/// "permission_denied (role): admins cannot change the role of an owner".
[[nodiscard]] ORGKIT_EXPORT std::string to_string(const Error& error);

inline std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << to_string(error);
}

/// The return type of every fallible orgkit function. Check it before use.
template <class T>
using Result = tl::expected<T, Error>;

/// Shorthand for returning an error from a function that returns Result<T>.
inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace orgkit
