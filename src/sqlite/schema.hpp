// The SQLite schema and its migrations, by PRAGMA user_version.
#pragma once

#include <SQLiteCpp/Database.h>

#include <orgkit/error.hpp>

namespace orgkit::sqlite {

/// Per-connection settings: foreign keys, busy timeout, WAL for files, synchronous=NORMAL.
void configure_connection(SQLite::Database& db, int busy_timeout_ms, bool in_memory,
                          int cache_kib);

/// Brings the schema to sqlite_schema_version in one IMMEDIATE transaction. Throws
/// SQLite::Exception on storage errors; returns conflict for a newer schema.
Result<void> migrate(SQLite::Database& db);

}  // namespace orgkit::sqlite
