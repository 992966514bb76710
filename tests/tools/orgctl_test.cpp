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
  // The consistency options (C2): the store itself, or at least a commit.
  CHECK(c.ok({"check", id, "members:invite", "--as", "alice", "--fully-consistent"})["allowed"] ==
        true);
  const std::string token = org["commit_token"];
  CHECK(c.ok({"check", id, "members:invite", "--as", "alice", "--at-least", token})["allowed"] ==
        true);
  CHECK(c.run({"check", id, "members:invite", "--as", "bob", "--fully-consistent"}).exit_code == 3);
  CHECK(c.run({"check", id, "members:invite", "--as", "alice", "--fully-consistent",
               "--at-least", token})
            .exit_code == 2);  // one or the other
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

namespace {

// An organization of alice's (owner) with bob (admin), carol and dave (members) and vic
// (viewer); returns its id.
std::string team(const Cli& c) {
  json org = c.ok({"org", "create", "--name", "Acme", "--as", "alice", "--email", "a@x.test"});
  const std::string id = org["id"];
  for (const auto& [user, role] : std::vector<std::pair<std::string, std::string>>{
           {"bob", "admin"}, {"carol", "member"}, {"dave", "member"}, {"vic", "viewer"}}) {
    c.ok({"member", "add", id, "--user", user, "--user-email", user + "@x.test", "--role", role,
          "--as", "alice"});
  }
  return id;
}

std::string role_of(const Cli& c, const std::string& org, const std::string& user) {
  return c.ok({"member", "get", org, user, "--system"})["role"];
}

// A usage error: exit 2, nothing on stdout, one "orgctl: usage:" line.
void check_usage(const test::Finished& f) {
  INFO(f.out << f.err);
  CHECK(f.exit_code == 2);
  CHECK(f.out.empty());
  CHECK(f.err.rfind("orgctl: usage: ", 0) == 0);
}

}  // namespace

TEST_CASE("orgctl: member roster lists members, then pending invitees, across pages",
          "[T2][I4]") {
  Cli c;
  const std::string id = team(c);
  json inv = c.ok({"invite", "create", id, "--to", "erin@x.test", "--role", "member", "--as",
                   "alice"});
  c.ok({"link", "create", id, "--role", "member", "--expiry", "24h", "--as", "alice"});
  json revoked = c.ok({"invite", "create", id, "--to", "gone@x.test", "--role", "viewer",
                       "--as", "alice"});
  c.ok({"invite", "revoke", id, revoked["id"], "--as", "alice"});

  json all = c.ok({"member", "roster", id, "--as", "alice"});
  REQUIRE(all["items"].size() == 6);  // five members and erin; no link, no revoked invitation
  CHECK(all["next_cursor"].is_null());
  for (int i = 0; i < 5; ++i) CHECK(all["items"][i]["status"] == "active");
  CHECK(all["items"][0]["user_id"] == "alice");
  CHECK(all["items"][0]["invitation_id"].is_null());
  const json& erin = all["items"][5];
  CHECK(erin["status"] == "pending");
  CHECK(erin["email"] == "erin@x.test");
  CHECK(erin["role"] == "member");
  CHECK(erin["user_id"].is_null());
  CHECK(erin["invitation_id"] == inv["id"]);
  CHECK(erin["expires_at"] == inv["expires_at"]);

  // One cursor pages across both parts; every row exactly once, the pending row included.
  std::vector<std::string> walked;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    std::vector<std::string> args{"member", "roster", id, "--limit", "4", "--as", "alice"};
    if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
    json page = c.ok(args);
    CHECK(page["items"].size() <= 4);
    for (const auto& row : page["items"]) walked.push_back(row["email"]);
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"];
  }
  CHECK(walked == std::vector<std::string>{"a@x.test", "bob@x.test", "carol@x.test",
                                           "dave@x.test", "vic@x.test", "erin@x.test"});

  // Who may not invite sees the members alone.
  json as_carol = c.ok({"member", "roster", id, "--as", "carol"});
  CHECK(as_carol["items"].size() == 5);
  CHECK(as_carol.dump().find("pending") == std::string::npos);

  // For people: a table with the status column.
  auto text = c.run({"member", "roster", id, "--as", "alice"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.rfind("STATUS", 0) == 0);
  CHECK(text.out.find("pending") != std::string::npos);
  CHECK(text.out.find("erin@x.test") != std::string::npos);
  CHECK_FALSE(json::accept(text.out));

  auto hidden = c.run({"member", "roster", id, "--as", "mallory"});
  CHECK(hidden.exit_code == 11);
  check_error_line(hidden, "not_found", "org_id");
  auto limit = c.run({"member", "roster", id, "--limit", "0", "--as", "alice"});
  CHECK(limit.exit_code == 10);
  check_error_line(limit, "invalid_argument", "limit");
  auto junk = c.run({"member", "roster", id, "--cursor", "nonsense", "--as", "alice"});
  CHECK(junk.exit_code == 10);
  check_error_line(junk, "invalid_argument", "cursor");
  check_usage(c.run({"member", "roster", id, "--limit", "many", "--as", "alice"}));
}

TEST_CASE("orgctl: member bulk-role answers row by row, refused rows visible", "[T2][P4]") {
  Cli c;
  const std::string id = team(c);
  // bob (admin) may demote carol, may not make dave an owner; the call itself succeeds.
  auto f = c.run({"member", "bulk-role", id, "carol=viewer", "dave=owner", "--as", "bob",
                  "--json"});
  CHECK(f.exit_code == 0);
  CHECK(f.err.empty());
  REQUIRE(json::accept(f.out));
  json r = json::parse(f.out);
  CHECK(r["applied"] == 1);
  CHECK(r["failed"] == 1);
  CHECK(r["commit_token"].get<std::string>().rfind("ct1.", 0) == 0);
  REQUIRE(r["rows"].size() == 2);
  CHECK(r["rows"][0]["user_id"] == "carol");
  CHECK(r["rows"][0]["applied"] == true);
  CHECK(r["rows"][0]["error"].is_null());
  CHECK(r["rows"][1]["user_id"] == "dave");
  CHECK(r["rows"][1]["applied"] == false);
  CHECK(r["rows"][1]["error"]["code"] == "permission_denied");
  CHECK(role_of(c, id, "carol") == "viewer");
  CHECK(role_of(c, id, "dave") == "member");  // the refused row changed nothing

  // Each row sees the rows before it: once bob (a second owner) is demoted, alice is the
  // last owner and demoting her is refused at her row.
  c.ok({"member", "role", id, "bob", "owner", "--as", "alice"});
  json last = c.ok({"member", "bulk-role", id, "bob=admin", "alice=admin", "--as", "alice"});
  CHECK(last["applied"] == 1);
  CHECK(last["rows"][0]["applied"] == true);
  CHECK(last["rows"][1]["error"]["code"] == "conflict");
  CHECK(role_of(c, id, "alice") == "owner");
  CHECK(role_of(c, id, "bob") == "admin");

  // For people: the totals and each row, refused ones with their error.
  auto text = c.run({"member", "bulk-role", id, "vic=member", "alice=viewer", "--as", "bob"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("1 applied, 1 refused") != std::string::npos);
  CHECK(text.out.find("  vic: applied") != std::string::npos);
  CHECK(text.out.find("  alice: refused: permission_denied") != std::string::npos);

  // A user id may hold '=': the role is after the last one.
  c.ok({"member", "add", id, "--user", "k=v", "--user-email", "kv@x.test", "--role", "member",
        "--as", "alice"});
  CHECK(c.ok({"member", "bulk-role", id, "k=v=viewer", "--as", "alice"})["applied"] == 1);
  CHECK(role_of(c, id, "k=v") == "viewer");

  // The call itself refused: the whole call's error, nothing changed.
  auto viewer = c.run({"member", "bulk-role", id, "carol=member", "--as", "vic"});
  CHECK(viewer.exit_code == 13);
  CHECK(viewer.out.empty());
  check_error_line(viewer, "permission_denied", "permission");
  CHECK(role_of(c, id, "carol") == "viewer");
  auto hidden = c.run({"member", "bulk-role", id, "carol=member", "--as", "mallory"});
  CHECK(hidden.exit_code == 11);
  check_error_line(hidden, "not_found", "org_id");

  // Malformed pairs are usage errors, found before anything runs.
  for (const char* bad : {"carol", "=admin", "carol=", "="}) {
    INFO(bad);
    check_usage(c.run({"member", "bulk-role", id, "dave=viewer", bad, "--as", "alice"}));
  }
  check_usage(c.run({"member", "bulk-role", id, "--as", "alice"}));
  CHECK(role_of(c, id, "dave") == "member");
}

TEST_CASE("orgctl: member bulk-remove answers row by row and keeps the last owner",
          "[T2][P4][O7]") {
  Cli c;
  const std::string id = team(c);
  json r = c.ok({"member", "bulk-remove", id, "carol", "nobody", "alice", "--as", "alice"});
  CHECK(r["applied"] == 1);
  CHECK(r["failed"] == 2);
  REQUIRE(r["rows"].size() == 3);
  CHECK(r["rows"][0]["applied"] == true);
  CHECK(r["rows"][1]["user_id"] == "nobody");
  CHECK(r["rows"][1]["error"]["code"] == "not_found");
  CHECK(r["rows"][2]["user_id"] == "alice");  // naming oneself is leaving: not the last owner
  CHECK(r["rows"][2]["error"]["code"] == "conflict");
  CHECK(role_of(c, id, "alice") == "owner");
  auto gone = c.run({"member", "get", id, "carol", "--system"});
  CHECK(gone.exit_code == 11);

  // An admin removes who they outrank, not an owner.
  auto text = c.run({"member", "bulk-remove", id, "dave", "alice", "--as", "bob"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("1 applied, 1 refused") != std::string::npos);
  CHECK(text.out.find("  alice: refused: permission_denied") != std::string::npos);
  CHECK(role_of(c, id, "alice") == "owner");

  auto viewer = c.run({"member", "bulk-remove", id, "bob", "--as", "vic", "--json"});
  CHECK(viewer.exit_code == 13);
  check_error_line(viewer, "permission_denied", "permission");
  REQUIRE(json::accept(viewer.out));
  CHECK(json::parse(viewer.out)["error"]["code"] == "permission_denied");
  CHECK(role_of(c, id, "bob") == "admin");
  // Too many rows: the whole call is refused, nothing removed.
  std::vector<std::string> many{"member", "bulk-remove", id, "bob"};
  for (int i = 0; i < 1000; ++i) many.push_back("u" + std::to_string(i));
  many.insert(many.end(), {"--as", "alice"});
  auto too_many = c.run(many);
  CHECK(too_many.exit_code == 18);
  check_error_line(too_many, "limit_exceeded", "users");
  CHECK(role_of(c, id, "bob") == "admin");
  check_usage(c.run({"member", "bulk-remove", id, "--as", "alice"}));
}

TEST_CASE("orgctl: org personal creates the user's own organization once", "[T2][O2]") {
  Cli c;
  json first = c.ok({"org", "personal", "--as", "bob", "--email", "bob@x.test"});
  CHECK(first["personal"] == true);
  CHECK(first["name"] == "bob");
  CHECK(first["created_by"] == "bob");
  json again = c.ok({"org", "personal", "--as", "bob", "--email", "bob@x.test"});
  CHECK(again["id"] == first["id"]);
  json mine = c.ok({"org", "list", "--as", "bob"});
  REQUIRE(mine["items"].size() == 1);
  CHECK(mine["items"][0]["role"] == "owner");
  // It never has a second member.
  auto add = c.run({"member", "add", first["id"], "--user", "eve", "--user-email", "e@x.test",
                    "--role", "member", "--as", "bob"});
  CHECK(add.exit_code == 14);
  CHECK(add.err.rfind("orgctl: error: conflict", 0) == 0);

  auto no_email = c.run({"org", "personal", "--as", "carol"});
  CHECK(no_email.exit_code == 10);
  check_error_line(no_email, "invalid_argument", "actor.email");
  check_usage(c.run({"org", "personal", "--system"}));
  check_usage(c.run({"org", "personal"}));
}

TEST_CASE("orgctl: org use and org active remember the user's current organization",
          "[T2][O6]") {
  Cli c;
  json a = c.ok({"org", "create", "--name", "First", "--as", "alice", "--email", "a@x.test"});
  json b = c.ok({"org", "create", "--name", "Second", "--as", "alice", "--email", "a@x.test"});
  c.ok({"member", "add", b["id"], "--user", "bob", "--user-email", "b@x.test", "--role",
        "member", "--as", "alice"});
  CHECK(c.ok({"org", "active", "--as", "bob"})["org_id"].is_null());
  auto none = c.run({"org", "active", "--as", "bob"});
  CHECK(none.exit_code == 0);
  CHECK(none.out == "no active organization\n");

  json used = c.ok({"org", "use", b["id"], "--as", "alice"});
  CHECK(used["ok"] == true);
  CHECK(c.ok({"org", "active", "--as", "alice"})["org_id"] == b["id"]);
  json mine = c.ok({"org", "list", "--as", "alice"});
  REQUIRE(mine["items"].size() == 2);
  CHECK(mine["items"][0]["organization"]["id"] == b["id"]);  // the active one first
  CHECK(mine["items"][0]["active"] == true);
  c.ok({"org", "use", a["id"], "--as", "alice"});
  CHECK(c.ok({"org", "active", "--as", "alice"})["org_id"] == a["id"]);
  auto text = c.run({"org", "active", "--as", "alice"});
  CHECK(text.out == "active organization: " + a["id"].get<std::string>() + "\n");

  // Leaving clears it.
  c.ok({"org", "use", b["id"], "--as", "bob"});
  CHECK(c.ok({"org", "active", "--as", "bob"})["org_id"] == b["id"]);
  c.ok({"org", "leave", b["id"], "--as", "bob"});
  CHECK(c.ok({"org", "active", "--as", "bob"})["org_id"].is_null());

  auto outsider = c.run({"org", "use", a["id"], "--as", "mallory"});
  CHECK(outsider.exit_code == 11);
  check_error_line(outsider, "not_found", "org_id");
  CHECK(c.ok({"org", "active", "--as", "mallory"})["org_id"].is_null());
  check_usage(c.run({"org", "use", a["id"], "--system"}));
  check_usage(c.run({"org", "active", "--system"}));
  check_usage(c.run({"org", "use", "--as", "alice"}));
}

TEST_CASE("orgctl: org leave, never by the last owner", "[T2][O7]") {
  Cli c;
  const std::string id = team(c);
  auto left = c.run({"org", "leave", id, "--as", "carol"});
  CHECK(left.exit_code == 0);
  CHECK(left.out == "left\n");
  CHECK(c.run({"member", "get", id, "carol", "--system"}).exit_code == 11);
  CHECK(c.ok({"org", "list", "--as", "carol"})["items"].empty());
  json audit = c.ok({"audit", "list", id, "--action", "member.left", "--as", "alice"});
  REQUIRE(audit["items"].size() == 1);
  CHECK(audit["items"][0]["target"] == "carol");

  auto last = c.run({"org", "leave", id, "--as", "alice", "--json"});
  CHECK(last.exit_code == 14);
  check_error_line(last, "conflict", "user_id");
  CHECK(json::parse(last.out)["error"]["code"] == "conflict");
  CHECK(role_of(c, id, "alice") == "owner");
  // With a second owner the first may go.
  c.ok({"member", "role", id, "bob", "owner", "--as", "alice"});
  CHECK(c.ok({"org", "leave", id, "--as", "alice"})["ok"] == true);
  CHECK(c.run({"member", "get", id, "alice", "--system"}).exit_code == 11);

  auto outsider = c.run({"org", "leave", id, "--as", "mallory"});
  CHECK(outsider.exit_code == 11);
  check_error_line(outsider, "not_found", "org_id");
  check_usage(c.run({"org", "leave", id, "--system"}));
  check_usage(c.run({"org", "leave", "--as", "bob"}));
}

TEST_CASE("orgctl: authorize exits 0 when allowed, else with the error saying why",
          "[T2][E1]") {
  Cli c;
  const std::string id = team(c);
  json yes = c.ok({"authorize", id, "members:invite", "--as", "alice"});
  CHECK(yes["allowed"] == true);
  auto text = c.run({"authorize", id, "members:invite", "--as", "bob"});
  CHECK(text.exit_code == 0);
  CHECK(text.out == "allowed\n");
  CHECK(c.ok({"authorize", id, "org:delete", "--system"})["allowed"] == true);

  // Where check says no (exit 3), authorize fails with the reason.
  CHECK(c.run({"check", id, "members:invite", "--as", "carol"}).exit_code == 3);
  auto denied = c.run({"authorize", id, "members:invite", "--as", "carol"});
  CHECK(denied.exit_code == 13);
  CHECK(denied.out.empty());
  check_error_line(denied, "permission_denied", "permission");
  auto as_json = c.run({"authorize", id, "members:invite", "--as", "carol", "--json"});
  CHECK(as_json.exit_code == 13);
  REQUIRE(json::accept(as_json.out));
  json doc = json::parse(as_json.out);
  CHECK(doc["error"]["code"] == "permission_denied");
  CHECK_FALSE(doc.contains("allowed"));

  auto outsider = c.run({"authorize", id, "members:read", "--as", "mallory"});
  CHECK(outsider.exit_code == 11);
  check_error_line(outsider, "not_found", "org_id");
  auto unknown = c.run({"authorize", id, "no:such", "--as", "alice"});
  CHECK(unknown.exit_code == 10);
  check_error_line(unknown, "invalid_argument", "permission");
  auto other_tenant = c.run({"authorize", id, "members:read", "--system", "--tenant", "globex"});
  CHECK(other_tenant.exit_code == 11);
  check_usage(c.run({"authorize", id, "--as", "alice"}));
  check_usage(c.run({"authorize", id, "members:read"}));
}

TEST_CASE("orgctl: the help names every command and keeps one exit code table", "[T2]") {
  auto help = test::run_program(ORGKIT_ORGCTL, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("authorize") != std::string::npos);
  const auto table = help.out.find("Exit codes:");
  CHECK(table != std::string::npos);
  CHECK(help.out.find("Exit codes:", table + 1) == std::string::npos);
  CHECK(help.out.find("rows were refused") != std::string::npos);  // the bulk exit rule
  auto member = test::run_program(ORGKIT_ORGCTL, {"member", "--help"});
  CHECK(member.exit_code == 0);
  for (const char* sub : {"roster", "bulk-role", "bulk-remove"}) {
    INFO(sub);
    CHECK(member.out.find(sub) != std::string::npos);
  }
  auto org = test::run_program(ORGKIT_ORGCTL, {"org", "--help"});
  CHECK(org.exit_code == 0);
  for (const char* sub : {"personal", "use", "active", "leave"}) {
    INFO(sub);
    CHECK(org.out.find("\n  " + std::string(sub) + " ") != std::string::npos);
  }
  auto bulk = test::run_program(ORGKIT_ORGCTL, {"member", "bulk-role", "--help"});
  CHECK(bulk.exit_code == 0);
  CHECK(bulk.out.find("USER=ROLE") != std::string::npos);
  CHECK(bulk.out.find("Exit 0 once the call ran") != std::string::npos);
  CHECK(bulk.out.find("13  permission_denied") != std::string::npos);  // and the one table
  auto az = test::run_program(ORGKIT_ORGCTL, {"authorize", "--help"});
  CHECK(az.exit_code == 0);
  CHECK(az.out.find("13 permission_denied") != std::string::npos);
}
