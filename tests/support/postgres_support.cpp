// A fresh PostgreSQL store per test (postgres_support.hpp). The schema is dropped through a
// connection of its own, after the store's pool has closed, so that no pooled connection
// holds a lock on the tables being dropped.
#include "support/postgres_support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include <unistd.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <catch2/catch.hpp>

#include <orgkit/storage_wrapper.hpp>

namespace orgkit::test {

namespace {

// Drops its schema when destroyed: a base of SchemaOwnedStorage listed before StorageWrapper,
// so that it is destroyed after the wrapped store (bases go in reverse order).
struct SchemaOwner {
  std::string schema;
  ~SchemaOwner() { drop_schema(schema); }
};

class SchemaOwnedStorage final : private SchemaOwner, public StorageWrapper {
 public:
  SchemaOwnedStorage(std::string schema, std::unique_ptr<Storage> target)
      : SchemaOwner{std::move(schema)}, StorageWrapper(std::move(target)) {}
};

}  // namespace

std::map<std::string, std::string> postgres_info() {
  const char* env = std::getenv("ORGKIT_PG_INFO");
  std::string path = env != nullptr ? env : "";
#ifdef ORGKIT_PG_INFO_DEFAULT
  if (path.empty()) path = ORGKIT_PG_INFO_DEFAULT;
#endif
  std::map<std::string, std::string> info;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) info[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return info;
}

std::string postgres_conninfo() {
  auto info = postgres_info();
  if (info["conninfo"].empty()) {
    FAIL("no PostgreSQL test server: run the postgres/server_start test first (ctest runs it "
         "as a fixture), or set ORGKIT_PG_INFO");
  }
  return info["conninfo"];
}

std::string fresh_schema_name() {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return "orgkit_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + suffix;
}

void drop_schema(const std::string& schema) noexcept {
  try {
    const auto info = postgres_info();
    const auto it = info.find("conninfo");
    if (it == info.end() || schema.empty()) return;
    pqxx::connection c(it->second);
    pqxx::nontransaction n(c);
    n.exec("SET client_min_messages = warning");
    n.exec("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  } catch (...) {
    // A test server that is gone takes its schemas with it.
  }
}

Result<std::unique_ptr<Storage>> open_postgres_store(PostgresOptions options) {
  if (options.connection.empty()) options.connection = postgres_conninfo();
  if (options.schema.empty() || options.schema == PostgresOptions{}.schema) {
    options.schema = fresh_schema_name();
  }
  auto storage = open_postgres(options);
  if (!storage) {
    drop_schema(options.schema);
    return fail(storage.error());
  }
  return std::unique_ptr<Storage>(
      std::make_unique<SchemaOwnedStorage>(options.schema, std::move(*storage)));
}

}  // namespace orgkit::test
