#include "sqlite/connection.hpp"

namespace orgkit::sqlite {

// The one place where SQLite's errors become orgkit's. `unique_field` names the key a unique
// constraint protects in the operation at hand.
Error map_error(const SQLite::Exception& e, std::string_view operation,
                std::string_view unique_field) {
  const int code = e.getErrorCode();
  const int extended = e.getExtendedErrorCode();
  if (extended == SQLITE_BUSY_SNAPSHOT) {
    // A transaction that began before another one's commit tried to write: it lost the race
    // and can be retried whole.
    return Error::aborted(fmt::format(
        "{}: a concurrent change to the same data won; nothing was applied", operation));
  }
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return {ErrorCode::unavailable,
            {},
            fmt::format("{}: the database stayed busy longer than the busy timeout", operation)};
  }
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error::exists(std::string(unique_field), fmt::format("{}: already exists", operation));
  }
  if (extended == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Error::not_found({}, fmt::format("{}: a referenced record does not exist", operation));
  }
  return Error::storage_failure(
      fmt::format("{} failed: {} (sqlite code {})", operation, sqlite3_errstr(extended), extended));
}

}  // namespace orgkit::sqlite
