// policies: permission policies as files, custom roles, resource ownership, claims and API
// keys (P2-P9).
//
//   policies [policy-dir]   (default: policy-files/, which the build fills from
//                            examples/policies/ beside this program)
//
// Loads two policy files and shows the same action allowed under one and denied under the
// other, creates a custom role, checks a host resource type owned by a user (P7), prints a
// user's claims, and creates and verifies an API key.
#include <cstdlib>
#include <filesystem>
#include <iostream>
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

// A resource type of the host application: orgkit knows nothing about documents, only who
// owns one and which organization it belongs to.
struct Document {
  std::string title;
  orgkit::OrgId org;
  orgkit::UserId owner;
};

// Opens an in-memory Service under `policy` with an organization run by `owner`, in which
// `admin` is an admin.
struct Setup {
  std::unique_ptr<orgkit::Service> kit;
  orgkit::Organization org;
};

Setup setup(const orgkit::PermissionPolicy& policy, const orgkit::Actor& owner,
            const orgkit::Actor& admin) {
  orgkit::ServiceOptions options;
  options.policy = policy;
  Setup s;
  s.kit = must(orgkit::Service::open_sqlite(":memory:", options), "open");
  orgkit::NewOrganization spec;
  spec.name = "Acme";
  s.org = must(s.kit->create_organization(owner, spec), "create organization");
  must(s.kit->add_member(owner, s.org.id, {admin.id, admin.email, admin.display_name, "admin"}),
       "add admin");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::path(argv[0]).parent_path() / "policy-files";

  const orgkit::Actor owner{orgkit::UserId("u-olga"), "olga@acme.test", "Olga"};
  const orgkit::Actor admin{orgkit::UserId("u-ana"), "ana@acme.test", "Ana"};

  // 1. The same action under two policies: may an admin manage billing?
  //    000 (Mixedbread): admins cannot modify billing. 004 (mixus): admins manage billing.
  for (const char* file : {"000_mixedbread.json", "004_mixus.json"}) {
    auto policy = must(orgkit::PermissionPolicy::load((dir / file).string()), "load policy");
    auto s = setup(policy, owner, admin);
    auto verdict = s.kit->authorize(admin, s.org.id, "billing:manage");
    std::cout << file << " (" << policy.name() << "): admin manages billing? "
              << (verdict ? std::string("allowed") : "denied -> " + orgkit::to_string(verdict.error()))
              << '\n';
  }

  // The rest runs under the standard policy, shipped as a file too.
  auto standard = must(orgkit::PermissionPolicy::load((dir / "standard.json").string()),
                       "load standard policy");
  auto s = setup(standard, owner, admin);
  auto& kit = *s.kit;

  // 2. A custom role, defined by this organization only (P6).
  orgkit::CustomRole lead;
  lead.name = "team-lead";
  lead.rank = 30;
  lead.permissions = {"members:read", "members:invite", "resources:create",
                      "resources:manage_all", "resources:read"};
  must(kit.create_role(admin, s.org.id, lead), "create role");
  const orgkit::Actor lee{orgkit::UserId("u-lee"), "lee@acme.test", "Lee"};
  const orgkit::Actor mo{orgkit::UserId("u-mo"), "mo@acme.test", "Mo"};
  must(kit.add_member(admin, s.org.id, {lee.id, lee.email, lee.display_name, "team-lead"}),
       "add Lee");
  must(kit.add_member(admin, s.org.id, {mo.id, mo.email, mo.display_name, "member"}), "add Mo");
  std::cout << "\nroles of " << s.org.slug << ":\n";
  for (const auto& r : must(kit.list_roles(owner, s.org.id), "list roles")) {
    std::cout << "  " << r.name << " (rank " << r.rank << (r.custom ? ", custom" : "") << ")\n";
  }

  // 3. A host resource type and P7: "manage own" vs "manage all".
  const Document plan{"Q3 plan", s.org.id, mo.id};
  auto manage_own = must(kit.policy().permission("resources:manage_own"), "permission");
  for (const auto* who : {&mo, &lee}) {
    const bool may = must(kit.check(*who, plan.org, manage_own, plan.owner), "check");
    std::cout << who->display_name << " may edit \"" << plan.title << "\" (owned by Mo)? "
              << (may ? "yes" : "no") << '\n';
  }
  const Document notes{"Lee's notes", s.org.id, lee.id};
  const bool mo_on_lee = must(kit.check(mo, notes.org, manage_own, notes.owner), "check");
  std::cout << "Mo may edit \"" << notes.title << "\"? " << (mo_on_lee ? "yes" : "no") << "\n\n";

  // 4. Claims to embed in Lee's access token (P8).
  orgkit::ClaimsOptions claims;
  claims.include_permissions = true;
  const orgkit::Claims lee_claims = must(kit.claims(lee, claims), "claims");
  std::cout << "Lee belongs to " << lee_claims.orgs.size() << " organization(s); claims: "
            << lee_claims.to_json() << "\n\n";

  // 5. An API key for the organization (P9): the secret is shown once, here.
  orgkit::NewApiKey spec;
  spec.name = "CI deploys";
  spec.role = "member";
  auto issued = must(kit.create_api_key(admin, s.org.id, spec), "create key");
  std::cout << "new API key " << issued.key.name << ": " << issued.secret << '\n';
  auto verified = must(kit.verify_api_key(issued.secret), "verify key");
  std::cout << "verified: organization " << verified.key.org << ", role " << verified.key.role
            << ", may create resources: " << (verified.allows("resources:create") ? "yes" : "no")
            << ", may invite: " << (verified.allows("members:invite") ? "yes" : "no") << '\n';
  must(kit.revoke_api_key(owner, s.org.id, issued.key.id), "revoke key");
  auto after = kit.verify_api_key(issued.secret);
  std::cout << "after revoking: " << (after ? "still valid?!" : orgkit::to_string(after.error()))
            << '\n';
  return 0;
}
