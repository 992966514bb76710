// orgctl --postgres end to end (T2, issue 10): the same commands as on SQLite, against the
// test server that tests/postgres/server.sh starts, on a schema of their own. Two separate
// orgctl processes see each other's changes, which is what a PostgreSQL store is for.
#include <nlohmann/json.hpp>

#include "support/postgres_support.hpp"
#include "support/test_support.hpp"
#include "tools/process.hpp"

using namespace orgkit;
using json = nlohmann::json;

namespace {

struct PgCli {
  std::string conninfo = test::postgres_conninfo();
  std::string schema = test::fresh_schema_name();
  ~PgCli() { test::drop_schema(schema); }

  test::Finished run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--postgres", conninfo, "--pg-schema", schema});
    return test::run_program(ORGKIT_ORGCTL, args);
  }
  json ok(std::vector<std::string> args) const {
    args.push_back("--json");
    auto f = run(args);
    INFO(f.out << f.err);
    REQUIRE(f.exit_code == 0);
    REQUIRE(json::accept(f.out));
    return json::parse(f.out);
  }
};

}  // namespace

TEST_CASE("orgctl --postgres: create and inspect on a PostgreSQL store", "[T2][postgres]") {
  PgCli c;
  json org = c.ok({"org", "create", "--name", "Road Runner", "--owner", "alice",
                   "--owner-email", "alice@example.com", "--system"});
  const std::string id = org["id"];
  CHECK(org["slug"] == "road-runner");
  // Another process, the same store.
  CHECK(c.ok({"org", "get", id, "--system"})["name"] == "Road Runner");
  c.ok({"member", "add", id, "--user", "bob", "--user-email", "bob@example.com", "--role",
        "admin", "--as", "alice", "--email", "alice@example.com"});
  json list = c.ok({"member", "list", id, "--as", "bob", "--email", "bob@example.com"});
  REQUIRE(list["items"].size() == 2);
  auto check = c.run({"check", id, "members:invite", "--as", "bob", "--email", "bob@example.com"});
  CHECK(check.exit_code == 0);
  // The connection string is never repeated in an error, even a refused one.
  auto bad = test::run_program(
      ORGKIT_ORGCTL, {"--postgres", "host=/nonexistent-dir-orgkit dbname=x password=s3cr3t-pw",
                      "org", "list", "--system"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("s3cr3t-pw") == std::string::npos);
  CHECK(bad.err.find("nonexistent-dir-orgkit") == std::string::npos);
}
