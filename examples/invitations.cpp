// invitations: the invitation lifecycle end to end (I1-I9).
//
//   invitations [database-file] [csv-file]
//   (defaults: orgkit-invitations.db in the current folder, and the invitations.csv that
//    the build copies next to this program from examples/)
//
// Invites by email and prints the rendered message, accepts it, generates a 7-day link and
// accepts that, shows the error for an expired link after moving the clock, imports a CSV
// file and prints the invitation history.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <orgkit/orgkit.hpp>

namespace {

template <class T>
T must(orgkit::Result<T> r, const char* what) {
  if (!r) {
    std::cerr << what << " failed: " << r.error() << '\n';
    std::exit(1);
  }
  return std::move(*r);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << '\n';
    std::exit(1);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const char* outcome(orgkit::CsvRowResult::Outcome o) {
  switch (o) {
    case orgkit::CsvRowResult::Outcome::invited: return "invited";
    case orgkit::CsvRowResult::Outcome::refreshed: return "refreshed";
    case orgkit::CsvRowResult::Outcome::failed: return "failed";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string db = argc > 1 ? argv[1] : "orgkit-invitations.db";
  const std::string csv =
      argc > 2 ? std::string(argv[2])
               : (std::filesystem::path(argv[0]).parent_path() / "invitations.csv").string();

  // The example moves time itself, so it uses a ManualClock starting now.
  auto clock = std::make_shared<orgkit::ManualClock>(orgkit::SystemClock().now());
  orgkit::ServiceOptions options;
  options.clock = clock;
  options.notifier = std::make_shared<orgkit::ConsoleNotifier>(std::cout);
  options.invitations.accept_url_base = "https://app.example.com/join?token=";
  options.plans.plans = {{"free", false, 5}, {"pro", true, 50}};
  options.plans.default_plan = "free";
  auto kit = must(orgkit::Service::open_sqlite(db, options), "open database");

  const orgkit::Actor owner{orgkit::UserId("u-olga"), "olga@company.com", "Olga"};
  const orgkit::Actor admin{orgkit::UserId("u-ana"), "ana@company.com", "Ana"};
  orgkit::NewOrganization spec;
  spec.name = "Mixus Team";
  auto org = must(kit->create_organization(owner, spec), "create organization");
  // Free plans cannot invite nor add members (I7); the owner upgrades.
  orgkit::InviteRequest invite;
  invite.email = "priya@company.com";
  invite.role = "member";
  invite.message = "Join us on the data team!";
  if (auto r = kit->invite(owner, org.id, invite); !r) {
    std::cout << "on the free plan: " << r.error() << "\n";
  }
  must(kit->set_plan(owner, org.id, "pro"), "upgrade plan");
  must(kit->add_member(owner, org.id, {admin.id, admin.email, admin.display_name, "admin"}),
       "add admin");
  std::cout << "upgraded " << org.slug << " to pro\n\n--- the message orgkit rendered ---\n";

  auto issued = must(kit->invite(admin, org.id, invite), "invite");
  std::cout << "--- end of message ---\n\n";

  // Priya signs up with the host; the host passes her id and email in.
  const orgkit::Actor priya{orgkit::UserId("u-priya"), "Priya@Company.com", "Priya"};
  auto accepted = must(kit->accept_invitation(priya, issued.token), "accept");
  std::cout << "Priya joined as " << accepted.membership.role
            << (accepted.email_verified ? " (email now verified)" : "") << "\n";

  // A shareable 7-day link, single use.
  auto link = must(kit->create_invite_link(admin, org.id, "viewer",
                                           orgkit::LinkExpiry::seven_days),
                   "create link");
  std::cout << "link: " << link.accept_url << "\n";
  const orgkit::Actor sam{orgkit::UserId("u-sam"), "sam@elsewhere.org", "Sam"};
  must(kit->accept_invitation(sam, link.token), "accept link");
  std::cout << "Sam joined through the link\n";
  if (auto again = kit->accept_invitation(priya, link.token); !again) {
    std::cout << "using it twice: " << again.error() << "\n";
  }

  // A 1-hour link, and two hours later.
  auto short_link = must(kit->create_invite_link(admin, org.id, "member",
                                                 orgkit::LinkExpiry::one_hour),
                         "create short link");
  clock->advance(std::chrono::hours(2));
  const orgkit::Actor lee{orgkit::UserId("u-lee"), "lee@company.com", "Lee"};
  if (auto late = kit->accept_invitation(lee, short_link.token); !late) {
    std::cout << "two hours later: " << late.error() << "\n\n";
  }

  // Bulk invitations from the CSV file shipped beside this example.
  std::cout << "--- importing " << csv << " (messages follow) ---\n";
  auto imported = must(kit->import_invitations_csv(admin, org.id, read_file(csv)), "import");
  std::cout << "--- import results ---\n";
  for (const auto& row : imported.rows) {
    std::cout << "  line " << row.line << ' ' << row.email << ": " << outcome(row.outcome);
    if (row.error) std::cout << " (" << *row.error << ')';
    std::cout << '\n';
  }
  std::cout << imported.invited << " invited, " << imported.refreshed << " refreshed, "
            << imported.failed << " failed\n\n";

  std::cout << "invitation history (newest first):\n";
  for (const auto& inv : must(kit->list_invitations(admin, org.id), "list").items) {
    std::cout << "  #" << inv.id << ' ' << orgkit::to_string(inv.kind) << ' '
              << (inv.email.empty() ? "-" : inv.email) << " as " << inv.role << ": "
              << orgkit::to_string(inv.state) << '\n';
  }

  // The member table (members, then people invited who have not joined yet), 5 rows a page.
  std::cout << "\nmember table:\n";
  orgkit::RosterQuery table;
  table.limit = 5;
  for (;;) {
    auto page = must(kit->list_roster(admin, org.id, table), "member table");
    for (const auto& row : page.items) {
      std::cout << "  " << (row.display_name.empty() ? "-" : row.display_name) << " <"
                << row.email << "> " << row.role << ": " << orgkit::to_string(row.status)
                << '\n';
    }
    if (!page.next_cursor) break;
    table.cursor = *page.next_cursor;
  }
  return 0;
}
