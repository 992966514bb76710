// Bulk CSV invitations (I6): header, RFC 4180 quoting, CRLF/LF, BOM, per-row results, one
// bad row never stopping the others, whole-file errors, and the row limit.
#include "support/test_support.hpp"

#include "csv.hpp"

#include <algorithm>

using namespace orgkit;
using test::Fixture;

namespace {

struct Import : test::Team {
  explicit Import(ServiceOptions o = {}) : Team(std::move(o)) {}
  std::size_t pending() {
    InvitationQuery q;
    q.state = InvitationState::pending;
    q.limit = 1000;
    auto page = f.kit->list_invitations(owner, org.id, q);
    REQUIRE_OK(page);
    return page->items.size();
  }
};

}  // namespace

TEST_CASE("csv reader: quoting, line ends, BOM, blank lines", "[I6]") {
  auto recs = csv::parse(
      "\xEF\xBB\xBF"
      "email,role,department,message\r\n"
      "alice@company.com,admin,engineering,\"Welcome to our dev team!\"\r\n"
      "\r\n"
      "bob@company.com,member,marketing,\"Hi, \"\"Bob\"\", welcome\nto the team\"\n"
      "carol@company.com,viewer,sales,plain");
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].fields[0] == "email");  // the BOM is gone
  CHECK(recs[1].fields[3] == "Welcome to our dev team!");
  CHECK(recs[2].line == 4);
  CHECK(recs[2].fields[3] == "Hi, \"Bob\", welcome\nto the team");
  CHECK(recs[3].line == 6);
  CHECK(recs[3].fields.size() == 4);
  for (const auto& r : recs) CHECK_FALSE(r.error.has_value());

  auto bad = csv::parse("a,b\"c,d\nx,\"y\"z\nok,ok\n\"never closed,1\n");
  REQUIRE(bad.size() == 4);
  CHECK(bad[0].error.has_value());
  CHECK(bad[1].error.has_value());
  CHECK_FALSE(bad[2].error.has_value());
  CHECK(bad[3].error.has_value());
  CHECK(csv::parse("").empty());
  CHECK(csv::parse("\n\r\n").empty());
}

TEST_CASE("import: a result per row, one bad row does not stop the others", "[I6]") {
  Import t;
  const std::string text =
      "email,role,department,message\n"
      "alice@company.com,admin,engineering,\"Welcome to our dev team!\"\n"
      "bob@company.com,member,marketing,\"Excited to have you, Bob\"\n"
      "not-an-email,member,x,y\n"
      "carol@company.com,viewer,sales,\"Access to our sales AI tools\"\n"
      "dan@company.com,emperor,x,y\n"
      "eve@company.com,owner,x,y\n"
      "member@example.com,member,x,y\n"
      "ALICE@company.com,member,engineering,again\n"
      "short@company.com,member\n"
      "\n";
  auto result = t.f.kit->import_invitations_csv(t.admin, t.org.id, text);
  REQUIRE_OK(result);
  const auto& rows = result->rows;
  REQUIRE(rows.size() == 9);
  using O = CsvRowResult::Outcome;
  CHECK(rows[0].outcome == O::invited);
  CHECK(rows[0].line == 2);
  CHECK(rows[1].outcome == O::invited);
  CHECK(rows[2].outcome == O::failed);
  CHECK(rows[2].error->field == "email");
  CHECK(rows[3].outcome == O::invited);
  CHECK(rows[4].outcome == O::failed);
  CHECK(rows[4].error->field == "role");
  CHECK(rows[5].outcome == O::failed);  // above the admin's own rank (P4)
  CHECK(rows[5].error->code == ErrorCode::permission_denied);
  CHECK(rows[6].outcome == O::failed);  // already a member (I8)
  CHECK(rows[6].error->code == ErrorCode::already_exists);
  CHECK(rows[7].outcome == O::refreshed);  // same address as row 2, case aside (I8)
  CHECK(rows[7].invitation == rows[0].invitation);
  CHECK(rows[8].outcome == O::failed);
  CHECK(rows[8].line == 10);
  CHECK(result->invited == 3);
  CHECK(result->refreshed == 1);
  CHECK(result->failed == 5);
  CHECK(t.pending() == 3);
  // One message per invitation: the repeated address gets only the refreshed one, whose
  // link works (the first token was replaced).
  const auto sent = t.f.notifier->messages();
  REQUIRE(sent.size() == 3);
  const auto to_alice = std::find_if(sent.begin(), sent.end(), [](const OutgoingMessage& m) {
    return m.to == "ALICE@company.com";
  });
  REQUIRE(to_alice != sent.end());
  const auto token = to_alice->body.substr(to_alice->body.find("oki_"), 47);
  REQUIRE_OK(t.f.kit->accept_invitation(
      Actor{UserId("alice"), "alice@company.com", "", default_tenant()}, token));
}

TEST_CASE("import: a stray quote fails its own line only", "[I6]") {
  Import t;
  auto r = t.f.kit->import_invitations_csv(
      t.admin, t.org.id, "email,role\n\"a@x.test,member\nb@x.test,member\nc@x.test,viewer\n");
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 3);
  CHECK(r->rows[0].outcome == CsvRowResult::Outcome::failed);
  CHECK(r->rows[0].line == 2);
  CHECK(r->rows[1].outcome == CsvRowResult::Outcome::invited);
  CHECK(r->rows[1].line == 3);
  CHECK(r->rows[2].outcome == CsvRowResult::Outcome::invited);
}

TEST_CASE("import: column order is free, department and message are optional", "[I6]") {
  Import t;
  auto result = t.f.kit->import_invitations_csv(t.admin, t.org.id,
                                                "Role , EMAIL\r\nmember,a@x.test\r\nviewer,b@x.test");
  REQUIRE_OK(result);
  CHECK(result->invited == 2);
  CHECK(t.pending() == 2);
}

TEST_CASE("import: whole-file errors write nothing", "[I6][E2]") {
  Import t;
  for (const char* text : {"", "\n\n", "email,department\nalice@x.test,eng\n",
                           "emial,role\nalice@x.test,member\n",
                           "email,role,role\nalice@x.test,member,member\n",
                           "alice@company.com,admin\n"}) {
    INFO(text);
    auto r = t.f.kit->import_invitations_csv(t.admin, t.org.id, text);
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field.rfind("csv", 0) == 0);
  }
  REQUIRE_ERROR(t.f.kit->import_invitations_csv(t.member, t.org.id, "email,role\na@x.test,viewer\n"),
                ErrorCode::permission_denied);
  CHECK(t.pending() == 0);
}

TEST_CASE("import: invalid UTF-8 fails its row only", "[I6][E2]") {
  Import t;
  auto r = t.f.kit->import_invitations_csv(
      t.admin, t.org.id,
      "email,role,message\nok@x.test,member,fine\nbad@x.test,member,\"\xC3\x28\"\n");
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 2);
  CHECK(r->rows[0].outcome == CsvRowResult::Outcome::invited);
  CHECK(r->rows[1].outcome == CsvRowResult::Outcome::failed);
  CHECK(r->rows[1].error->field == "message");
}

TEST_CASE("import: more rows than the limit is refused whole", "[I6]") {
  ServiceOptions o;
  o.invitations.max_csv_rows = 100;
  Import t(o);
  std::string text = "email,role\n";
  for (int i = 0; i < 101; ++i) text += "user" + std::to_string(i) + "@x.test,member\n";
  auto r = t.f.kit->import_invitations_csv(t.admin, t.org.id, text);
  REQUIRE_ERROR(r, ErrorCode::limit_exceeded);
  CHECK(t.pending() == 0);
}

TEST_CASE("import: 100,000 rows in one call, one past the limit refused whole", "[I6]") {
  Import t;
  std::string text = "email,role\n";
  for (int i = 0; i < 100000; ++i) text += "user" + std::to_string(i) + "@x.test,member\n";
  auto r = t.f.kit->import_invitations_csv(t.admin, t.org.id, text);
  REQUIRE_OK(r);
  CHECK(r->rows.size() == 100000);
  CHECK(r->invited == 100000);
  CHECK(r->rows.back().line == 100001);
  CHECK(r->rows.back().email == "user99999@x.test");
  CHECK(t.f.notifier->messages().size() == 100000);

  text += "one-too-many@x.test,member\n";
  auto over = t.f.kit->import_invitations_csv(t.admin, t.org.id, text);
  REQUIRE_ERROR(over, ErrorCode::limit_exceeded);
  CHECK(over.error().message.find("100000") != std::string::npos);
}

TEST_CASE("import: a stray quote after a multi-line field does not resurrect its text",
          "[I6][E2]") {
  Import t;
  auto r = t.f.kit->import_invitations_csv(
      t.admin, t.org.id,
      "email,role,message\n"
      "a@x.test,member,\"hello\nevil@evil.test,admin,pwned\n\",\"oops\n"
      "b@x.test,member,fine\n");
  REQUIRE_OK(r);
  for (const auto& row : r->rows) {
    INFO(row.line << " " << row.email);
    CHECK(row.email != "evil@evil.test");
  }
  CHECK(r->rows.back().email == "b@x.test");
  CHECK(r->rows.back().outcome == CsvRowResult::Outcome::invited);
}

TEST_CASE("import: trailing header comma and blank-looking lines", "[I6]") {
  Import t;
  auto r = t.f.kit->import_invitations_csv(
      t.admin, t.org.id, "email,role,\na@x.test,member,\n   \t \nb@x.test,viewer\n");
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 2);
  CHECK(r->invited == 2);
}

TEST_CASE("import: a refused row does not use up a seat", "[I6][I7]") {
  ServiceOptions o;
  o.plans.plans = {{"pro", true, 4}};
  o.plans.default_plan = "pro";
  o.plans.pending_invitations_use_seats = true;
  Import t(o);  // owner, admin, member: 3 of 4 seats
  auto r = t.f.kit->import_invitations_csv(t.admin, t.org.id,
                                           "email,role\nx@x.test,owner\ny@x.test,member\n");
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 2);
  CHECK(r->rows[0].error->code == ErrorCode::permission_denied);
  CHECK(r->rows[1].outcome == CsvRowResult::Outcome::invited);
}

TEST_CASE("import: each invited row carries its accept link for hosts without a notifier",
          "[I6]") {
  Import t;
  auto r = t.f.kit->import_invitations_csv(t.admin, t.org.id, "email,role\nzoe@x.test,viewer\n");
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 1);
  const auto& url = r->rows[0].accept_url;
  REQUIRE(url.find("oki_") != std::string::npos);
  auto joined = t.f.kit->accept_invitation(Actor{UserId("zoe"), "zoe@x.test", "", default_tenant()},
                                           url.substr(url.find("oki_")));
  REQUIRE_OK(joined);
  CHECK(joined->membership.role == "viewer");
}

TEST_CASE("import: progress is reported in order up to the last row, and a throwing display is ignored",
          "[I6]") {
  Import t;
  std::string text = "email,role\n";
  for (int i = 0; i < 250; ++i) text += "p" + std::to_string(i) + "@x.test,member\n";
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  auto result = t.f.kit->import_invitations_csv(
      t.admin, t.org.id, text,
      [&](std::size_t done, std::size_t total) { seen.emplace_back(done, total); });
  REQUIRE_OK(result);
  CHECK(result->invited == 250);
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.size() <= 126);  // about every 1%, not every row
  CHECK(seen.back() == std::pair<std::size_t, std::size_t>{250, 250});
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i - 1].first < seen[i].first);
  for (const auto& s : seen) CHECK(s.second == 250);

  auto again = t.f.kit->import_invitations_csv(
      t.admin, t.org.id, "email,role\nq@x.test,member\n",
      [](std::size_t, std::size_t) { throw std::runtime_error("display gone"); });
  REQUIRE_OK(again);
  CHECK(again->invited == 1);
}
