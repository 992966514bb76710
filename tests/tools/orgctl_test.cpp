// orgctl end to end (T2, T1): the binary is spawned with real arguments on a temporary
// database; its --json output is parsed, its exit codes and its one-line stderr errors
// checked. What would still pass with a broken orgctl is what these aim at: a JSON mode that
// prints two documents or a table, an error that exits 0, an exit code that is not the
// documented one, a tenant key that crosses tenants, a progress bar in a pipe.
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/test_support.hpp"
#include "tools/process.hpp"

using namespace orgkit;
using json = nlohmann::json;

namespace {

struct Cli {
  test::TempFile db{"orgctl"};

  test::Finished run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--db", db.path()});
    return test::run_program(ORGKIT_ORGCTL, args);
  }
  // Runs with --json, requires exit 0 and exactly one JSON document on stdout.
  json ok(std::vector<std::string> args) const {
    args.push_back("--json");
    auto f = run(args);
    INFO(f.out << f.err);
    REQUIRE(f.exit_code == 0);
    REQUIRE(json::accept(f.out));  // one document (accept fails on trailing content)
    return json::parse(f.out);
  }
  std::string tenant_key(const std::string& tenant) const {
    json k = ok({"tenant-key", "create", "--tenant", tenant});
    return k["key"].get<std::string>();
  }
};

// The one stderr line of a failed command: "orgctl: error: code (field): message".
void check_error_line(const test::Finished& f, const std::string& code, const std::string& field) {
  INFO(f.err);
  CHECK(f.err.rfind("orgctl: error: " + code + " (" + field + "): ", 0) == 0);
  CHECK(f.err.find('\n') == f.err.size() - 1);
}

}  // namespace

TEST_CASE("orgctl: tenant-key create --tenant T --json prints the key once", "[T2][T1]") {
  Cli c;
  json k = c.ok({"tenant-key", "create", "--tenant", "acme"});
  const std::string key = k["key"];
  CHECK(key.rfind("otk_" + k["prefix"].get<std::string>() + "_", 0) == 0);
  CHECK(k["tenant"] == "acme");
  CHECK(k["created_by_kind"] == "host");
  json listed = c.ok({"tenant-key", "list", "--tenant", "acme"});
  REQUIRE(listed["items"].size() == 1);
  CHECK_FALSE(listed["items"][0].contains("key"));  // never shown again
  CHECK(listed.dump().find(key.substr(21)) == std::string::npos);
}

TEST_CASE("orgctl: a tenant administrator creates and inspects through the CLI", "[T2][T1][U3]") {
  Cli c;
  const std::string key = c.tenant_key("acme");
  const std::vector<std::string> as_admin{"--tenant", "acme", "--tenant-key", key};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), as_admin.begin(), as_admin.end());
    return args;
  };
  json org = c.ok(with({"org", "create", "--name", "Road Runner", "--owner", "alice",
                        "--owner-email", "alice@example.com"}));
  const std::string id = org["id"];
  CHECK(org["slug"] == "road-runner");
  CHECK(org["commit_token"].get<std::string>().rfind("ct1.", 0) == 0);
  CHECK(c.ok(with({"org", "get", id}))["name"] == "Road Runner");
  json members = c.ok(with({"member", "add", id, "--user", "bob", "--user-email",
                            "bob@example.com", "--role", "admin"}));
  CHECK(members["role"] == "admin");
  json list = c.ok(with({"member", "list", id}));
  REQUIRE(list["items"].size() == 2);
  CHECK(list["items"][0]["user_id"] == "alice");
  CHECK(c.ok(with({"org", "list"}))["items"].size() == 1);

  json trail = c.ok(with({"audit", "list", id}));
  REQUIRE(trail["items"].size() == 2);
  for (const auto& e : trail["items"]) {
    CHECK(e["actor_kind"] == "tenant_admin");
    CHECK(e["actor"].get<std::string>().rfind("tenant-key-", 0) == 0);
  }
  // Text output is for people: a table with the name, not JSON.
  auto text = c.run(with({"org", "list"}));
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("Road Runner") != std::string::npos);
  CHECK_FALSE(json::accept(text.out));

  // The key opens its own tenant only.
  auto other = c.run({"org", "get", id, "--tenant", "globex", "--tenant-key", key});
  CHECK(other.exit_code == 11);
  check_error_line(other, "not_found", "key");
  auto hidden = c.run({"org", "get", id, "--tenant", "globex", "--system"});
  CHECK(hidden.exit_code == 11);
  check_error_line(hidden, "not_found", "org_id");
}

TEST_CASE("orgctl: errors are one stderr line and a documented exit code", "[T2]") {
  Cli c;
  auto missing = c.run({"org", "get", "999", "--system"});
  CHECK(missing.exit_code == 11);
  CHECK(missing.out.empty());
  check_error_line(missing, "not_found", "org_id");
  auto as_json = c.run({"org", "get", "999", "--system", "--json"});
  CHECK(as_json.exit_code == 11);
  REQUIRE(json::accept(as_json.out));
  CHECK(json::parse(as_json.out)["error"]["code"] == "not_found");

  auto bad = c.run({"org", "create", "--name", "   ", "--as", "alice", "--email", "a@x.test"});
  CHECK(bad.exit_code == 10);
  check_error_line(bad, "invalid_argument", "name");

  json org = c.ok({"org", "create", "--name", "Acme", "--as", "alice", "--email", "a@x.test"});
  auto denied = c.run({"org", "delete", org["id"], "--as", "mallory"});
  CHECK(denied.exit_code == 11);  // not a member: not found, as everywhere
  c.ok({"member", "add", org["id"], "--user", "vic", "--user-email", "v@x.test", "--role",
        "viewer", "--as", "alice"});
  auto forbidden = c.run({"org", "delete", org["id"], "--as", "vic"});
  CHECK(forbidden.exit_code == 13);
  check_error_line(forbidden, "permission_denied", "permission");
  auto last_owner = c.run({"member", "remove", org["id"], "alice", "--system"});
  CHECK(last_owner.exit_code == 14);
  auto pg = c.run({"org", "list", "--system", "--postgres", "host=localhost"});
  CHECK(pg.exit_code == 2);  // --db and --postgres exclude each other
  // No server listens there (the test server has a Unix socket only); the address is never
  // repeated in the error.
  auto pg_only = test::run_program(ORGKIT_ORGCTL, {"org", "list", "--system", "--postgres",
                                                   "host=/nonexistent-orgkit-dir port=5999"});
#ifdef ORGKIT_ORGCTL_WITH_POSTGRES
  CHECK(pg_only.exit_code == 20);
  CHECK(pg_only.err.rfind("orgctl: error: unavailable", 0) == 0);
#else
  CHECK(pg_only.exit_code == 19);
  check_error_line(pg_only, "not_supported", "postgres");
#endif
  CHECK(pg_only.err.find("nonexistent-orgkit-dir") == std::string::npos);
}

TEST_CASE("orgctl: usage errors exit 2 and --help prints the exit code table", "[T2]") {
  Cli c;
  auto none = c.run({"org", "list"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("--as USER") != std::string::npos);
  CHECK(c.run({"org", "list", "--as", "a", "--system"}).exit_code == 2);
  CHECK(c.run({"nonsense"}).exit_code == 2);
  CHECK(c.run({"org"}).exit_code == 2);
  CHECK(c.run({"org", "get", "not-a-number", "--system"}).exit_code == 2);
  CHECK(test::run_program(ORGKIT_ORGCTL, {"org", "list", "--system"}).exit_code == 2);  // no --db
  auto help = test::run_program(ORGKIT_ORGCTL, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Exit codes:") != std::string::npos);
  CHECK(help.out.find("11  not_found") != std::string::npos);
  CHECK(help.out.find("22  storage") != std::string::npos);
}

TEST_CASE("orgctl: check answers with exit 0 or 3, claims and policies", "[T2][P2][P8]") {
  Cli c;
  json org = c.ok({"org", "create", "--name", "Acme", "--as", "alice", "--email", "a@x.test"});
  const std::string id = org["id"];
  c.ok({"member", "add", id, "--user", "bob", "--user-email", "b@x.test", "--role", "member",
        "--as", "alice"});
  CHECK(c.ok({"check", id, "members:invite", "--as", "alice"})["allowed"] == true);
  auto no = c.run({"check", id, "members:invite", "--as", "bob", "--json"});
  CHECK(no.exit_code == 3);
  CHECK(json::parse(no.out)["allowed"] == false);
  auto unknown = c.run({"check", id, "no:such", "--as", "bob"});
  CHECK(unknown.exit_code == 10);  // an error is never a "no"
  CHECK(c.ok({"check", id, "org:delete", "--system"})["allowed"] == true);
  json claims = c.ok({"claims", "--as", "bob"});
  REQUIRE(claims["orgs"].size() == 1);
  CHECK(claims["orgs"][0]["role"] == "member");

  auto good = test::run_program(ORGKIT_ORGCTL, {"policy", "validate",
                                                ORGKIT_POLICY_DIR "/004_mixus.json", "--json"});
  CHECK(good.exit_code == 0);
  CHECK(json::parse(good.out)["valid"] == true);
  test::TempFile broken("policy");
  std::ofstream(broken.path()) << R"({"name": "x", "permissions": ["a"], "roles": [1]})";
  auto bad = test::run_program(ORGKIT_ORGCTL, {"policy", "validate", broken.path()});
  CHECK(bad.exit_code == 10);
  check_error_line(bad, "invalid_argument", "/roles/0");
}

TEST_CASE("orgctl: tenant keys are the host's and a revoked key stops working", "[T2][T1]") {
  Cli c;
  json k = c.ok({"tenant-key", "create", "--tenant", "acme", "--name", "desk"});
  const std::string key = k["key"];
  auto more = c.run({"tenant-key", "create", "--tenant", "acme", "--tenant-key", key});
  CHECK(more.exit_code == 13);
  check_error_line(more, "permission_denied", "actor");
  c.ok({"tenant-key", "revoke", k["id"], "--tenant", "acme"});
  auto revoked = c.run({"org", "list", "--tenant", "acme", "--tenant-key", key});
  CHECK(revoked.exit_code == 16);
  check_error_line(revoked, "revoked", "key");
  json trail = c.ok({"audit", "tenant", "--tenant", "acme"});
  REQUIRE(trail["items"].size() == 2);
  CHECK(trail["items"][0]["action"] == "tenant_key.revoked");
}

TEST_CASE("orgctl: invite import reads a CSV file, with progress only at a terminal",
          "[T2][I6]") {
  Cli c;
  json org = c.ok({"org", "create", "--name", "Acme", "--as", "alice", "--email", "a@x.test"});
  test::TempFile csv("import");
  {
    std::ofstream out(csv.path());
    out << "email,role\n";
    for (int i = 0; i < 300; ++i) out << "p" << i << "@x.test,member\n";
    out << "broken,member\n";
  }
  auto f = c.run({"invite", "import", org["id"], csv.path(), "--as", "alice", "--json"});
  CHECK(f.exit_code == 0);
  CHECK(f.err.empty());  // stderr is a pipe here: no progress
  json r = json::parse(f.out);
  CHECK(r["invited"] == 300);
  CHECK(r["failed"] == 1);
  CHECK(r["rows"][300]["error"]["field"] == "email");
  // At a terminal the same import shows how far it got, on stderr; stdout is unchanged.
  test::TempFile again("import");
  std::ofstream(again.path()) << "email,role\nq1@x.test,member\nq2@x.test,member\n";
  auto tty = test::run_with_terminal_stderr(
      ORGKIT_ORGCTL, {"--db", c.db.path(), "invite", "import", org["id"], again.path(), "--as",
                      "alice", "--json"});
  CHECK(tty.exit_code == 0);
  CHECK(tty.err.find("importing: 2/2 rows") != std::string::npos);
  CHECK(json::parse(tty.out)["invited"] == 2);

  auto missing = c.run({"invite", "import", org["id"], "/nonexistent.csv", "--as", "alice"});
  CHECK(missing.exit_code == 10);
  check_error_line(missing, "invalid_argument", "file");
}
