// The backends the orgkit_conformance runner can select. A new backend (PostgreSQL, say)
// adds a register function like these and one call in main.cpp.
#pragma once

namespace orgkit::conformance {

/// "sqlite-memory" (":memory:", one connection) and "sqlite-file" (a new temporary file per
/// test case, with its connection pool). See sqlite_backends.cpp.
void register_sqlite_backends();

/// "postgres": a fresh schema per test case on the test server (postgres_backends.cpp). Only
/// with ORGKIT_WITH_POSTGRES.
void register_postgres_backends();

/// Six deliberately broken doubles over "sqlite-memory", each breaking one rule the suite
/// must catch. See broken_backends.cpp.
void register_broken_backends();

}  // namespace orgkit::conformance
