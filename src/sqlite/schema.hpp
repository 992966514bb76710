// The SQLite schema and its migrations, by PRAGMA user_version.
#pragma once

#include <SQLiteCpp/Database.h>

#include <orgkit/error.hpp>
#include <orgkit/sqlite.hpp>

namespace orgkit::sqlite {

/// An audit event's id is (commit number << audit_id_shift) + its place in the transaction
/// (schema v6): ids grow with every event, and one transaction may write 2^24 of them.
inline constexpr int audit_id_shift = 24;

/// Per-connection settings: foreign keys, busy timeout, and for files WAL, synchronous=NORMAL,
/// the page cache and the checkpoint interval.
void configure_connection(SQLite::Database& db, const SqliteOptions& options, bool in_memory);

/// Brings the schema to sqlite_schema_version in one IMMEDIATE transaction. Throws
/// SQLite::Exception on storage errors; returns conflict for a newer schema.
Result<void> migrate(SQLite::Database& db);

/// Creates the schema of an older `version` (1 up to sqlite_schema_version) in an empty
/// database, for tests of the migrations.
void create_schema_at(SQLite::Database& db, int version);

}  // namespace orgkit::sqlite
