// orgkit-rest-example through a real HTTP client (httplib::Client), started on 127.0.0.1 on a
// free port (T2, T1, R1): every route of seed 003 and the account route, 401 without a valid
// key of the path's tenant, 404 for another tenant's organization, 400 naming the field of a
// bad body, 413 past 1 MiB, pagination by cursor, the delete cascade, and every path of
// openapi.yaml served. Each server is stopped by its fixture's destructor (also when a
// REQUIRE fails) and by its own --idle-timeout should this process die first.
#include <fstream>
#include <regex>
#include <set>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"
#include "tools/process.hpp"

using namespace orgkit;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string api = "/api/v1/admin/organizations";
constexpr std::size_t rest_max_body = 1u << 20;  // the example's documented limit

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

struct Server {
  explicit Server(std::vector<std::string> extra = {"--demo-user-header"}) {
    {
      // The host issues the keys through the library, on the same file the server opens.
      auto kit = Service::open_sqlite(db.path());
      REQUIRE(kit.has_value());
      acme_key = (*kit)->create_tenant_key(Actor::host(TenantId("acme")), {"test", {}})->secret;
      globex_key =
          (*kit)->create_tenant_key(Actor::host(TenantId("globex")), {"test", {}})->secret;
    }
    std::vector<std::string> args{"--db", db.path(), "--listen", "127.0.0.1:0",
                                  "--idle-timeout", "60"};
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<test::Running>(ORGKIT_REST_EXAMPLE, args);
    const std::string line = process->read_line(15s);
    INFO(line);
    const auto colon = line.rfind(':');
    REQUIRE(colon != std::string::npos);
    port = std::stoi(line.substr(colon + 1));
    REQUIRE(port > 0);
  }
  ~Server() { process->stop(); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5s);
    c.set_read_timeout(15s);
    c.set_write_timeout(15s);
    return c;
  }
  static httplib::Headers bearer(const std::string& key) {
    return {{"Authorization", "Bearer " + key}};
  }

  test::TempFile db{"orgkit-rest"};
  std::string acme_key, globex_key;
  std::unique_ptr<test::Running> process;
  int port = 0;
};

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body);
  return r->body.empty() ? json() : json::parse(r->body);
}

// POSTs a new organization of `tenant` owned by `owner`; returns its JSON.
json create_org(Server& s, const std::string& tenant, const std::string& key,
                const std::string& name, const std::string& owner = "alice") {
  auto cli = s.client();
  json req{{"name", name}, {"owner", {{"user_id", owner}, {"email", owner + "@example.com"}}}};
  auto r = cli.Post("/t/" + tenant + api, Server::bearer(key), req.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 201);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("REST: every route of seed 003 works with the tenant's key", "[T2][T1]") {
  Server s;
  auto cli = s.client();
  const auto auth = Server::bearer(s.acme_key);
  json org = create_org(s, "acme", s.acme_key, "Road Runner");
  const std::string base = "/t/acme" + api + "/" + org["id"].get<std::string>();
  CHECK(org["slug"] == "road-runner");
  CHECK(org["tenant"] == "acme");

  auto got = cli.Get(base, auth);
  CHECK(got->status == 200);
  CHECK(body_of(got)["name"] == "Road Runner");
  auto put = cli.Put(base, auth, R"({"name": "Road Runner Inc", "description": "Beep"})",
                     "application/json");
  CHECK(put->status == 200);
  CHECK(body_of(put)["name"] == "Road Runner Inc");
  CHECK(body_of(cli.Get(base, auth))["description"] == "Beep");

  // The owner is there from the start: an organization never exists without one.
  auto members = body_of(cli.Get(base + "/members", auth));
  REQUIRE(members["items"].size() == 1);
  CHECK(members["items"][0]["user_id"] == "alice");
  CHECK(members["items"][0]["role"] == "owner");
  auto added = cli.Post(base + "/members", auth,
                        R"({"user_id": "bob", "email": "bob@example.com", "role": "admin"})",
                        "application/json");
  CHECK(added->status == 201);
  CHECK(body_of(added)["role"] == "admin");
  CHECK(cli.Post(base + "/members", auth,
                 R"({"user_id": "bob", "email": "bob@example.com", "role": "admin"})",
                 "application/json")
            ->status == 409);

  std::set<std::string> role_names;
  const json roles = body_of(cli.Get(base + "/roles", auth));
  for (const auto& r : roles["items"]) role_names.insert(r["name"]);
  CHECK(role_names == std::set<std::string>{"owner", "admin", "member", "viewer"});

  auto invited = cli.Post(base + "/invitations", auth,
                          R"({"email": "carol@example.com", "role": "member"})", "application/json");
  REQUIRE(invited->status == 201);
  const json inv = body_of(invited);
  CHECK(inv["state"] == "pending");
  CHECK(inv["accept_url"].get<std::string>().find("oki_") != std::string::npos);
  const std::string inv_path = base + "/invitations/" + inv["id"].get<std::string>();
  CHECK(cli.Delete(inv_path, auth)->status == 204);
  auto again = cli.Delete(inv_path, auth);
  CHECK(again->status == 410);  // revoked already
  CHECK(body_of(again)["code"] == "revoked");

  CHECK(cli.Delete(base + "/members/bob", auth)->status == 204);
  auto last_owner = cli.Delete(base + "/members/alice", auth);
  CHECK(last_owner->status == 409);  // the last owner stays
  CHECK(body_of(last_owner)["code"] == "conflict");
  CHECK(cli.Delete(base, auth)->status == 204);
  CHECK(cli.Get(base, auth)->status == 404);
}

TEST_CASE("REST: lists page with a cursor, each organization once, and q filters as text",
          "[T2][T1]") {
  Server s;
  auto cli = s.client();
  const auto auth = Server::bearer(s.acme_key);
  std::set<std::string> made;
  for (const char* name : {"Alpha", "Beta", "Gamma", "Delta", "100% Pure"}) {
    made.insert(create_org(s, "acme", s.acme_key, name)["id"].get<std::string>());
  }
  create_org(s, "globex", s.globex_key, "Globex Alpha");  // never in acme's list
  std::set<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {  // bounded
    auto r = cli.Get("/t/acme" + api + "?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                     auth);
    REQUIRE(r->status == 200);
    const json body = json::parse(r->body);
    CHECK(body["items"].size() <= 2);
    for (const auto& o : body["items"]) CHECK(seen.insert(o["id"].get<std::string>()).second);
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  CHECK(seen == made);
  auto alpha = body_of(cli.Get("/t/acme" + api + "?q=ALPHA", auth));
  REQUIRE(alpha["items"].size() == 1);
  CHECK(alpha["items"][0]["name"] == "Alpha");
  auto percent = body_of(cli.Get("/t/acme" + api + "?q=%25", auth));  // "%": no wildcard
  REQUIRE(percent["items"].size() == 1);
  CHECK(percent["items"][0]["name"] == "100% Pure");
  CHECK(body_of(cli.Get("/t/acme" + api + "?q=a&match=prefix", auth))["items"].size() == 1);
  auto bad = cli.Get("/t/acme" + api + "?limit=0", auth);
  CHECK(bad->status == 400);
  CHECK(body_of(bad)["field"] == "limit");
  CHECK(body_of(cli.Get("/t/acme" + api + "?cursor=nonsense", auth))["field"] == "cursor");
}

TEST_CASE("REST: no key, a wrong key or another tenant's key is 401 on every route",
          "[T2][T1]") {
  Server s;
  json org = create_org(s, "acme", s.acme_key, "Acme");
  const std::string base = "/t/acme" + api + "/" + org["id"].get<std::string>();
  auto cli = s.client();
  std::string wrong = s.acme_key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  const std::vector<httplib::Headers> refused = {
      {}, Server::bearer(wrong), Server::bearer(s.globex_key), Server::bearer("otk_short"),
      {{"Authorization", "Basic " + s.acme_key}}};
  for (const auto& headers : refused) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/t/acme" + api}, {"POST", "/t/acme" + api}, {"GET", base},
             {"PUT", base}, {"DELETE", base}, {"GET", base + "/members"},
             {"POST", base + "/members"}, {"DELETE", base + "/members/alice"},
             {"GET", base + "/roles"}, {"POST", base + "/invitations"},
             {"DELETE", base + "/invitations/1"}}) {
      INFO(method << " " << path);
      httplib::Result r = method == "GET"      ? cli.Get(path, headers)
                          : method == "POST"   ? cli.Post(path, headers, "{}", "application/json")
                          : method == "PUT"    ? cli.Put(path, headers, "{}", "application/json")
                                               : cli.Delete(path, headers);
      REQUIRE(r);
      CHECK(r->status == 401);
      CHECK(r->get_header_value("WWW-Authenticate") == "Bearer");
      CHECK(json::parse(r->body)["code"] == "unauthenticated");
    }
  }
  CHECK(cli.Get(base, Server::bearer(s.acme_key))->status == 200);  // untouched
}

TEST_CASE("REST: another tenant's organization is 404, exactly as an unused id", "[T2][R1]") {
  Server s;
  json org = create_org(s, "acme", s.acme_key, "Acme");
  const std::string id = org["id"].get<std::string>();
  auto cli = s.client();
  const auto globex = Server::bearer(s.globex_key);
  for (const std::string& which : {id, std::to_string(std::stoll(id) + 1000), std::string("x1")}) {
    const std::string base = "/t/globex" + api + "/" + which;
    auto keep = [](httplib::Result r) {
      REQUIRE(r);
      return std::pair<int, std::string>{r->status, r->body};
    };
    const std::vector<std::pair<int, std::string>> answers = {
        keep(cli.Get(base, globex)),
        keep(cli.Put(base, globex, R"({"name": "Taken"})", "application/json")),
        keep(cli.Put(base, globex, "{not json", "application/json")),  // 404 before the body
        keep(cli.Get(base + "/members", globex)),
        keep(cli.Post(base + "/members", globex,
                      R"({"user_id": "eve", "email": "e@x.test", "role": "owner"})",
                      "application/json")),
        keep(cli.Delete(base + "/members/alice", globex)),
        keep(cli.Get(base + "/roles", globex)),
        keep(cli.Post(base + "/invitations", globex, R"({"email": "e@x.test", "role": "admin"})",
                      "application/json")),
        keep(cli.Delete(base + "/invitations/1", globex)),
        keep(cli.Delete(base, globex))};
    for (const auto& [status, body] : answers) {
      INFO(which << ": " << body);
      CHECK(status == 404);
      CHECK(json::parse(body)["code"] == "not_found");
      CHECK(json::parse(body)["field"] == "org_id");
    }
  }
  auto still = body_of(s.client().Get("/t/acme" + api + "/" + id, Server::bearer(s.acme_key)));
  CHECK(still["name"] == "Acme");
}

TEST_CASE("REST: a bad body is 400 naming the field, and over 1 MiB is 413 writing nothing",
          "[T2][E2]") {
  Server s;
  auto cli = s.client();
  const auto auth = Server::bearer(s.acme_key);
  auto expect = [&](const std::string& body, const std::string& field) {
    auto r = cli.Post("/t/acme" + api, auth, body, "application/json");
    REQUIRE(r);
    INFO(body << " -> " << r->body);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["code"] == "invalid_argument");
    CHECK(json::parse(r->body)["field"] == field);
  };
  expect("{bad", "body");
  expect("[1, 2]", "body");
  expect(R"({"name": 5, "owner": {"user_id": "a", "email": "a@x.test"}})", "name");
  expect(R"({"name": "No owner"})", "owner");
  expect(R"({"name": "X", "owner": {"user_id": "a"}})", "owner.email");
  expect(R"({"name": "X", "owner": {"user_id": "a", "email": "a@x.test", "rol": 1}})",
         "owner.rol");
  expect(R"({"nmae": "X", "owner": {"user_id": "a", "email": "a@x.test"}})", "nmae");
  expect(R"({"name": "", "owner": {"user_id": "a", "email": "a@x.test"}})", "name");
  expect(R"({"name": "X", "owner": {"user_id": "a", "email": "not-an-email"}})", "owner.email");

  std::string huge = R"({"name": "Huge", "owner": {"user_id": "a", "email": "a@x.test"},
                        "description": ")";
  huge += std::string(rest_max_body + 1 - huge.size() - 2, 'x') + "\"}";
  REQUIRE(huge.size() == rest_max_body + 1);
  auto big = cli.Post("/t/acme" + api, auth, huge, "application/json");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(json::parse(big->body)["field"] == "body");
  auto after = s.client().Get("/t/acme" + api, auth);
  REQUIRE(after);
  CHECK(json::parse(after->body)["items"].empty());  // nothing was created
}

TEST_CASE("REST: delete takes members and invitations, and keeps the audit trail",
          "[T2][T1][O5][A1]") {
  Server s;
  auto cli = s.client();
  const auto auth = Server::bearer(s.acme_key);
  json org = create_org(s, "acme", s.acme_key, "Doomed");
  const std::string base = "/t/acme" + api + "/" + org["id"].get<std::string>();
  REQUIRE(cli.Post(base + "/members", auth,
                   R"({"user_id": "bob", "email": "bob@example.com", "role": "member"})",
                   "application/json")->status == 201);
  auto invited = cli.Post(base + "/invitations", auth,
                          R"({"email": "carol@example.com", "role": "member"})", "application/json");
  REQUIRE(invited->status == 201);
  const std::string token = json::parse(invited->body)["token"];
  REQUIRE(cli.Delete(base, auth)->status == 204);
  CHECK(cli.Get(base + "/members", auth)->status == 404);

  auto kit = Service::open_sqlite(s.db.path());  // what the library sees in the same file
  REQUIRE_OK(kit);
  const OrgId id(std::stoll(org["id"].get<std::string>()));
  const Actor bob{UserId("bob"), "bob@example.com", "", TenantId("acme")};
  auto bobs = (*kit)->my_organizations(bob);
  REQUIRE_OK(bobs);
  CHECK(bobs->empty());
  REQUIRE_ERROR((*kit)->preview_invitation(token, TenantId("acme")), ErrorCode::not_found);
  auto store = open_sqlite(SqliteOptions{s.db.path()});
  REQUIRE_OK(store);
  auto tx = (*store)->begin_read();
  REQUIRE_OK(tx);
  auto trail = (*tx)->list_audit_events(TenantId("acme"), id, {}, 100);
  REQUIRE_OK(trail);
  REQUIRE(trail->size() == 4);  // created, member added, invited, deleted
  CHECK(trail->front().action == "organization.deleted");
  CHECK(trail->front().actor_kind == PrincipalKind::tenant_admin);
  CHECK(trail->front().actor.value().rfind("tenant-key-", 0) == 0);
}

TEST_CASE("REST: account/organizations lists the caller's memberships with their role",
          "[T2][O3]") {
  Server s;
  auto cli = s.client();
  json a = create_org(s, "acme", s.acme_key, "Mine", "alice");
  json b = create_org(s, "acme", s.acme_key, "Theirs", "bob");
  REQUIRE(cli.Post("/t/acme" + api + "/" + b["id"].get<std::string>() + "/members",
                   Server::bearer(s.acme_key),
                   R"({"user_id": "alice", "email": "alice@example.com", "role": "viewer"})",
                   "application/json")->status == 201);
  create_org(s, "globex", s.globex_key, "Elsewhere", "alice");  // alice in another tenant
  auto mine = cli.Get("/t/acme/api/v1/account/organizations",
                      {{"X-Demo-User", "alice"}, {"X-Demo-Email", "alice@example.com"}});
  const json body = body_of(mine);
  REQUIRE(body["items"].size() == 2);
  CHECK(body["items"][0]["organization"]["name"] == "Mine");
  CHECK(body["items"][0]["role"] == "owner");
  CHECK(body["items"][1]["organization"]["name"] == "Theirs");
  CHECK(body["items"][1]["role"] == "viewer");
  CHECK(cli.Get("/t/acme/api/v1/account/organizations")->status == 401);

  Server strict(std::vector<std::string>{});  // without --demo-user-header: nobody
  auto refused = strict.client().Get("/t/acme/api/v1/account/organizations",
                                     {{"X-Demo-User", "alice"}});
  REQUIRE(refused);
  CHECK(refused->status == 401);
}

TEST_CASE("REST: every path and method of openapi.yaml is served, and no other", "[T2]") {
  std::ifstream in(ORGKIT_OPENAPI);
  REQUIRE(in);
  std::vector<std::pair<std::string, std::string>> documented;  // method, path
  const std::regex path_line(R"(^  (/\S+):\s*$)");
  const std::regex method_line(R"(^    (get|post|put|delete|patch):\s*$)");
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("paths:", 0) == 0) in_paths = true;
    if (!in_paths) continue;
    if (std::regex_match(line, m, path_line)) path = m[1];
    if (std::regex_match(line, m, method_line)) documented.emplace_back(m[1], path);
  }
  CHECK(documented.size() == 12);  // seed 003's eleven rows and the account route

  Server s;
  json org = create_org(s, "acme", s.acme_key, "Documented");
  auto cli = s.client();
  for (const auto& [method, doc_path] : documented) {
    std::string p = replace_all(doc_path, "{tenantSlug}", "acme");
    p = replace_all(p, "{orgId}", org["id"].get<std::string>());
    p = replace_all(p, "{userId}", "nobody");
    p = replace_all(p, "{id}", "999");
    INFO(method << " " << p);
    httplib::Headers h = Server::bearer(s.acme_key);
    h.emplace("X-Demo-User", "alice");
    httplib::Result r = method == "get"    ? cli.Get(p, h)
                        : method == "post" ? cli.Post(p, h, "{}", "application/json")
                        : method == "put"  ? cli.Put(p, h, "{}", "application/json")
                                           : cli.Delete(p, h);
    REQUIRE(r);
    // Served: whatever the answer, it is not "no such endpoint".
    CHECK_FALSE((r->status == 404 && json::parse(r->body)["field"] == "path"));
  }
  auto unknown = cli.Get("/t/acme/api/v1/admin/unknown", Server::bearer(s.acme_key));
  CHECK(unknown->status == 404);
  CHECK(json::parse(unknown->body)["field"] == "path");
}

TEST_CASE("REST: the server stops by itself and listens on loopback only", "[T2]") {
  test::TempFile db{"orgkit-rest"};
  test::Running server(ORGKIT_REST_EXAMPLE, {"--db", db.path(), "--listen", "127.0.0.1:0",
                                             "--max-requests", "2", "--idle-timeout", "60"});
  const std::string line = server.read_line(15s);
  REQUIRE(line.rfind(':') != std::string::npos);
  httplib::Client cli("127.0.0.1", std::stoi(line.substr(line.rfind(':') + 1)));
  cli.set_read_timeout(10s);
  CHECK(cli.Get("/t/acme" + api)->status == 401);
  CHECK(cli.Get("/t/acme" + api)->status == 401);
  CHECK(server.wait(10000ms) == 0);  // ended by itself after two requests

  Server running;  // SIGTERM ends it cleanly
  CHECK(running.process->stop() == 0);

  auto remote = test::run_program(ORGKIT_REST_EXAMPLE,
                                  {"--db", db.path(), "--listen", "0.0.0.0:0"}, 20s);
  CHECK(remote.exit_code == 2);
  CHECK(remote.err.find("loopback") != std::string::npos);
}
