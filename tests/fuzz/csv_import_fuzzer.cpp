// Fuzz target: bytes -> Service::import_invitations_csv, on a fresh in-memory Service whose
// organization "Acme" has an owner, an admin and a member, on a plan of 8 seats that pending
// invitations count against. The first byte picks who imports (owner, admin, member, host);
// the rest is the file.
//
// Invariants, each a trap when broken:
//   - no exception escapes, nothing crashes, and storage never fails;
//   - an import that is refused as a whole is a typed error and writes nothing: no
//     invitation, no audit event;
//   - an accepted import answers every row once, in file order: invited + refreshed + failed
//     is the number of rows; an invited or refreshed row names its invitation and link, a
//     failed row carries a typed error naming its field;
//   - what is stored matches the answer: the pending invitations listed are exactly the rows
//     reported invited, with one audit event per invited or refreshed row, and seats hold;
//   - the link of the last row for each invitation opens it (preview_invitation), and the
//     links of earlier rows for the same address no longer do (a refresh replaces the token).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace orgkit;
using fuzz::describe;
using fuzz::guarded;

constexpr std::int64_t seats = 8;

struct World {
  std::unique_ptr<Service> kit;
  Actor owner{UserId("owner"), "owner@example.com", "Owner"};
  Actor admin{UserId("admin"), "admin@example.com", "Admin"};
  Actor member{UserId("member"), "member@example.com", "Member"};
  OrgId org;
};

World make_world() {
  ServiceOptions options;
  options.clock = fuzz::fixed_clock();
  options.plans.plans = {{"team", true, seats}};
  options.plans.default_plan = "team";
  options.plans.pending_invitations_use_seats = true;
  options.invitations.max_csv_rows = 64;
  options.check_cache_capacity = 16;
  World w;
  w.kit = fuzz::open_memory_service(std::move(options));
  NewOrganization spec;
  spec.name = "Acme";
  auto org = w.kit->create_organization(w.owner, spec);
  if (!org) fuzz::violated("the fixture's organization is created", describe(org.error()));
  w.org = org->id;
  for (const auto* who : {&w.admin, &w.member}) {
    auto added = w.kit->add_member(w.owner, w.org,
                                   {who->id, who->email, who->display_name, who->id.value()});
    if (!added) fuzz::violated("the fixture's members are added", describe(added.error()));
  }
  return w;
}

std::vector<Invitation> invitations(World& w, std::optional<InvitationState> state) {
  InvitationQuery q;
  q.state = state;
  q.limit = 1000;
  auto page =
      guarded("list_invitations", [&] { return w.kit->list_invitations(w.owner, w.org, q); });
  if (!page) fuzz::violated("list_invitations works", describe(page.error()));
  return page->items;
}

std::vector<std::string> audit_actions(World& w) {
  AuditQuery q;
  q.limit = 1000;
  auto page =
      guarded("list_audit_events", [&] { return w.kit->list_audit_events(w.owner, w.org, q); });
  if (!page) fuzz::violated("list_audit_events works", describe(page.error()));
  std::vector<std::string> out;
  for (const auto& e : page->items) out.push_back(e.action);
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void check_rows(World& w, const CsvImportResult& result) {
  std::size_t invited = 0, refreshed = 0, failed = 0, last_line = 1;
  // Per invitation, the token of the last row that issued it, and the tokens it replaced.
  std::map<std::int64_t, std::string> live;
  std::vector<std::string> replaced;
  std::map<std::int64_t, std::string> email_of;
  for (const auto& row : result.rows) {
    ORGKIT_FUZZ_REQUIRE(row.line > last_line, "rows in file order, after the header");
    last_line = row.line;
    if (row.outcome == CsvRowResult::Outcome::failed) {
      ++failed;
      ORGKIT_FUZZ_REQUIRE(
          row.error.has_value() && !row.invitation && row.accept_url.empty(),
          "a failed row has an error and no invitation, line " + std::to_string(row.line));
      fuzz::require_typed(*row.error, "import row");
      ORGKIT_FUZZ_REQUIRE(
          !fuzz::storage_trouble(row.error->code) && !row.error->field.empty(),
          "a row's error is the row's own, naming a field: " + describe(*row.error));
      continue;
    }
    ++(row.outcome == CsvRowResult::Outcome::invited ? invited : refreshed);
    ORGKIT_FUZZ_REQUIRE(!row.error && row.invitation && row.invitation->valid(),
                        "an invited row names its invitation, line " + std::to_string(row.line));
    const auto at = row.accept_url.find("oki_");
    ORGKIT_FUZZ_REQUIRE(at != std::string::npos,
                        "an invited row carries its link: " + row.accept_url);
    const auto id = row.invitation->value();
    if (auto it = live.find(id); it != live.end()) replaced.push_back(it->second);
    ORGKIT_FUZZ_REQUIRE(row.outcome == CsvRowResult::Outcome::refreshed || !live.count(id),
                        "an invitation is invited once, then refreshed");
    live[id] = row.accept_url.substr(at);
    email_of[id] = row.email;
  }
  ORGKIT_FUZZ_REQUIRE(
      invited == result.invited && refreshed == result.refreshed && failed == result.failed,
      "the totals count the rows");

  const auto pending = invitations(w, InvitationState::pending);
  ORGKIT_FUZZ_REQUIRE(pending.size() == result.invited,
                      "pending invitations listed (" + std::to_string(pending.size()) +
                          ") == rows reported invited (" + std::to_string(result.invited) + ")");
  ORGKIT_FUZZ_REQUIRE(static_cast<std::int64_t>(pending.size()) + 3 <= seats,
                      "members and pending invitations fit the plan's seats");
  ORGKIT_FUZZ_REQUIRE(invitations(w, std::nullopt).size() == result.invited,
                      "an import creates no invitation it does not report");
  std::size_t created = 0, renewed = 0;
  const auto actions = audit_actions(w);
  for (const auto& a : actions) {
    created += a == "invitation.created";
    renewed += a == "invitation.refreshed";
  }
  ORGKIT_FUZZ_REQUIRE(created == result.invited && renewed == result.refreshed &&
                          actions.size() == 3 + result.invited + result.refreshed,
                      "one audit event per invited or refreshed row");

  for (const auto& [id, token] : live) {
    auto seen = guarded("preview_invitation",
                        [&, &token = token] { return w.kit->preview_invitation(token); });
    ORGKIT_FUZZ_REQUIRE(seen.has_value(), "the last link of an imported invitation opens it: " +
                                              (seen ? std::string() : describe(seen.error())));
    ORGKIT_FUZZ_REQUIRE(seen->id.value() == id && lower(seen->email) == lower(email_of[id]),
                        "the link opens its own invitation");
  }
  for (const auto& token : replaced) {
    auto seen = guarded("preview_invitation", [&] { return w.kit->preview_invitation(token); });
    ORGKIT_FUZZ_REQUIRE(!seen && seen.error().code == ErrorCode::not_found,
                        "a replaced link no longer opens anything");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  World w = make_world();
  const Actor host = Actor::host();
  const Actor* importers[] = {&w.owner, &w.admin, &w.member, &host};
  const Actor& actor = *importers[data[0] % 4];
  const std::string_view csv(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto result = guarded("import_invitations_csv",
                        [&] { return w.kit->import_invitations_csv(actor, w.org, csv); });
  if (!result) {
    const Error& e = result.error();
    fuzz::require_typed(e, "import_invitations_csv");
    ORGKIT_FUZZ_REQUIRE(!fuzz::storage_trouble(e.code) && !e.field.empty(),
                        "a refused import names why: " + describe(e));
    ORGKIT_FUZZ_REQUIRE(invitations(w, std::nullopt).empty() && audit_actions(w).size() == 3,
                        "a refused import writes nothing: " + describe(e));
    return 0;
  }
  check_rows(w, *result);
  return 0;
}
