// The PostgreSQL schema and its migrations, by the schema_version table of the store's schema.
#pragma once

#include <string>

#include <orgkit/error.hpp>

#include "postgres/connection.hpp"

namespace orgkit::postgres {

/// Creates the schema if needed and brings it to postgres_schema_version in one transaction
/// that holds pg_advisory_xact_lock on the schema's name, so that servers opening at the
/// same moment migrate once. Throws libpqxx's exceptions on storage errors; returns conflict
/// for a newer schema and storage for a schema that holds another application's tables.
Result<void> migrate(Connection& c, const std::string& schema);

}  // namespace orgkit::postgres
