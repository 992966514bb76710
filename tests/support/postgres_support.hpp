// The PostgreSQL server the tests run against, and a fresh store per test on it.
//
// tests/postgres/server.sh (a ctest fixture, FIXTURES_SETUP orgkit_postgres) starts a
// throwaway cluster on a Unix socket in a temporary directory and writes what the tests need
// into an info file, one `key=value` a line: `conninfo` (the superuser's connection string to
// the test database), `password_conninfo` (a role that must give a password), `socket_dir`,
// `pgdata`, `bindir` and `run_as`. The tests read the file named by $ORGKIT_PG_INFO, or the
// one the build baked in (ORGKIT_PG_INFO_DEFAULT).
//
// Each store lives in a schema of its own with a random name, dropped when the store is
// destroyed, so test cases never see each other's rows and leave nothing behind.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <orgkit/postgres.hpp>
#include <orgkit/storage.hpp>

namespace orgkit::test {

/// The server's info file, parsed; empty if there is none (the fixture did not run).
std::map<std::string, std::string> postgres_info();

/// The test database's superuser connection string; fails the test if there is no server.
std::string postgres_conninfo();

/// A schema name no other test uses: "orgkit_t_<pid>_<counter>_<random>".
std::string fresh_schema_name();

/// Drops `schema` (CASCADE) on the test server; errors are ignored (a test that failed to
/// create it). Never throws.
void drop_schema(const std::string& schema) noexcept;

/// Opens a PostgreSQL store on a fresh schema with `options` (connection and schema filled
/// in when empty), wrapped so that destroying it also drops the schema.
Result<std::unique_ptr<Storage>> open_postgres_store(PostgresOptions options = {});

/// A PostgreSQL cluster for one test alone (tests/postgres/server.sh), for tests that stop,
/// freeze or restart the server: the shared fixture's server serves other tests meanwhile.
/// While it lives, postgres_info() and postgres_conninfo() read its info file. It is stopped
/// by its destructor whatever happens, and by the script's watchdog if this process dies.
class OwnServer {
 public:
  explicit OwnServer(const std::string& label);
  ~OwnServer();
  OwnServer(const OwnServer&) = delete;
  OwnServer& operator=(const OwnServer&) = delete;
  /// pg_ctl stop -m fast, and start again on the same directory and socket.
  void pause();
  void resume();
  /// The postmaster's process id (from postmaster.pid), or -1.
  [[nodiscard]] int postmaster_pid() const;
  /// The postmaster and every process it started (its backends and helpers).
  [[nodiscard]] std::vector<int> server_processes() const;

 private:
  std::string info_;
};

}  // namespace orgkit::test
