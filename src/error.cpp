#include <orgkit/error.hpp>

namespace orgkit {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::expired: return "expired";
    case ErrorCode::revoked: return "revoked";
    case ErrorCode::already_used: return "already_used";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::not_supported: return "not_supported";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::aborted: return "aborted";
    case ErrorCode::storage: return "storage";
  }
  return "unknown";
}

std::string to_string(const Error& error) {
  std::string out(to_string(error.code));
  if (!error.field.empty()) {
    out += " (";
    out += error.field;
    out += ')';
  }
  out += ": ";
  out += error.message;
  return out;
}

}  // namespace orgkit
