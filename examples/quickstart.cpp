// quickstart: orgkit end to end on a SQLite file.
//
//   quickstart [database-file]        (default: orgkit-quickstart.db)
//
// Opens (or creates) the database, creates an organization, adds members, shows an allowed
// and a denied action with the error message, transfers ownership, has a member leave and
// prints the audit trail. A small event sink prints each change after its commit, with the
// commit token, as a host's webhook would receive it. Running it again adds another
// organization (acme-2, acme-3, ...).
#include <cstdlib>
#include <memory>
#include <iostream>
#include <string>

#include <orgkit/orgkit.hpp>

namespace {

// Prints the error and exits: the example's way of "handling" a failure it does not expect.
template <class T>
T must(orgkit::Result<T> r, const char* what) {
  if (!r) {
    std::cerr << what << " failed: " << r.error() << '\n';
    std::exit(1);
  }
  return std::move(*r);
}

// A host's hook: after each commit, one event per change (orgkit/events.hpp).
class PrintingSink final : public orgkit::EventSink {
 public:
  orgkit::Result<void> on_event(const orgkit::ChangeEvent& e) override {
    std::cout << "    event: " << e.action << " on " << e.target << " at " << e.commit_token
              << '\n';
    return {};
  }
};

std::string describe(const orgkit::FieldChange& c) {
  return c.field + ": " + c.before.value_or("-") + " -> " + c.after.value_or("-");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "orgkit-quickstart.db";
  orgkit::ServiceOptions options;
  options.sinks.push_back(std::make_shared<PrintingSink>());
  auto kit = must(orgkit::Service::open_sqlite(path, std::move(options)), "open database");
  std::cout << "orgkit " << orgkit::version_string << " on " << path << "\n\n";

  // The host authenticates its users; orgkit gets their ids and verified emails.
  const orgkit::Actor alice{orgkit::UserId("u-alice"), "alice@acme.test", "Alice"};
  const orgkit::Actor bob{orgkit::UserId("u-bob"), "bob@acme.test", "Bob"};
  const orgkit::Actor carol{orgkit::UserId("u-carol"), "carol@acme.test", "Carol"};

  orgkit::NewOrganization spec;
  spec.name = "Acme";
  spec.legal_name = "Acme Corporation";
  const auto acme = must(kit->create_organization(alice, spec), "create organization");
  std::cout << "created '" << acme.name << "' (slug " << acme.slug << ", id " << acme.id
            << "); Alice is its owner\n";

  must(kit->add_member(alice, acme.id, {bob.id, bob.email, bob.display_name, "admin"}),
       "add Bob");
  must(kit->add_member(alice, acme.id, {carol.id, carol.email, carol.display_name, "member"}),
       "add Carol");
  std::cout << "added Bob as admin and Carol as member\n\n";

  // An allowed action: Bob (admin) may invite members.
  if (kit->authorize(bob, acme.id, "members:invite")) {
    std::cout << "allowed: Bob may invite members\n";
  }
  // A denied action: Carol (member) may not, and the error says why.
  if (auto denied = kit->authorize(carol, acme.id, "members:invite"); !denied) {
    std::cout << "denied:  Carol may not invite members -> " << denied.error() << '\n';
  }
  // The rank rule (P4): an admin cannot demote the owner.
  if (auto demote = kit->change_member_role(bob, acme.id, alice.id, "member"); !demote) {
    std::cout << "denied:  Bob demoting Alice -> " << demote.error() << "\n";
  }
  // The last owner cannot simply leave (O7).
  if (auto leave = kit->leave_organization(alice, acme.id); !leave) {
    std::cout << "refused: Alice leaving -> " << leave.error() << "\n\n";
  }

  // Every mutation returns its commit token: a host may keep it to ask later for reads at
  // least as fresh as this change.
  const auto transferred = must(kit->transfer_ownership(alice, acme.id, bob.id), "transfer");
  std::cout << "Alice transferred ownership to Bob (Alice is now an admin), commit "
            << transferred.commit_token << '\n';
  must(kit->leave_organization(carol, acme.id), "Carol leaves");
  std::cout << "Carol left\n\n";

  std::cout << "members:\n";
  for (const auto& m : must(kit->list_members(bob, acme.id), "list members").items) {
    std::cout << "  " << m.display_name << " <" << m.email << "> " << m.role << '\n';
  }

  std::cout << "\naudit trail (newest first):\n";
  for (const auto& e : must(kit->list_audit_events(bob, acme.id), "read audit trail").items) {
    std::cout << "  #" << e.id << ' ' << e.action << " by " << e.actor << " on " << e.target;
    for (const auto& c : e.changes) std::cout << " [" << describe(c) << ']';
    std::cout << '\n';
  }

  // The trail narrowed to one kind of change (any of action, target, since, until).
  orgkit::AuditQuery additions;
  additions.action = "member.added";
  std::cout << "\nmembers added:\n";
  for (const auto& e : must(kit->list_audit_events(bob, acme.id, additions), "filter").items) {
    std::cout << "  " << e.target << " by " << e.actor << '\n';
  }
  return 0;
}
