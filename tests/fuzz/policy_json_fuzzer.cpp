// Fuzz target: bytes -> PermissionPolicy::from_json (the policy file loader).
//
// Invariants, each a trap when broken:
//   - from_json never throws and never crashes, whatever the bytes;
//   - a refusal is invalid_argument with a message and a field that is a JSON pointer into the
//     document ("/" for the document as a whole): when the text is JSON, the pointer's parent
//     exists in it, and so does the pointer itself unless the value is missing ("is required");
//   - a policy that loads is self-consistent: exactly one owner role, ranked first; every role
//     it names (manages, member rules) resolves; every permission resolves to its own index;
//     to_json() reads back to the same policy, as does PolicyBuilder::from(policy).build();
//   - a Service runs on it: the founder of an organization holds exactly the owner role's
//     permissions, and check() never fails on one of the policy's own names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"

namespace {

using orgkit::ErrorCode;
using orgkit::PermissionPolicy;
using orgkit::fuzz::describe;
using orgkit::fuzz::guarded;

void check_refusal(std::string_view text, const orgkit::Error& e) {
  orgkit::fuzz::require_typed(e, "from_json");
  ORGKIT_FUZZ_REQUIRE(e.code == ErrorCode::invalid_argument, "from_json: " + describe(e));
  ORGKIT_FUZZ_REQUIRE(!e.field.empty() && e.field.front() == '/',
                      "from_json: the field is not a JSON pointer: " + describe(e));
  if (e.field == "/") return;  // the document as a whole (not JSON, too large, not an object)
  using json = nlohmann::json;
  json::json_pointer pointer;
  try {
    pointer = json::json_pointer(e.field);
  } catch (const json::exception& x) {
    orgkit::fuzz::violated("an error's field is a well-formed JSON pointer",
                           describe(e) + " / " + x.what());
  }
  if (!json::accept(text.begin(), text.end())) return;
  const json doc = json::parse(text.begin(), text.end());
  ORGKIT_FUZZ_REQUIRE(doc.contains(pointer.parent_pointer()),
                      "the parent of an error's pointer is in the document: " + describe(e));
  const bool missing = e.message.find("is required") != std::string::npos;
  ORGKIT_FUZZ_REQUIRE(missing || doc.contains(pointer),
                      "an error's pointer names a value of the document: " + describe(e));
}

void check_roles_resolve(const PermissionPolicy& p) {
  int owners = 0;
  for (const auto& role : p.roles()) {
    if (role.owner) ++owners;
    ORGKIT_FUZZ_REQUIRE(p.find_role(role.name) == &role, "find_role finds role " + role.name);
    ORGKIT_FUZZ_REQUIRE(role.rank <= p.owner_role().rank,
                        "no role outranks the owner: " + role.name);
    if (role.manages) {
      for (const auto& name : *role.manages) {
        ORGKIT_FUZZ_REQUIRE(p.find_role(name) != nullptr, "manages names a role: " + name);
      }
    }
  }
  ORGKIT_FUZZ_REQUIRE(owners == 1, "exactly one owner role");
  ORGKIT_FUZZ_REQUIRE(p.owner_role().owner, "owner_role() is the owner role");
  for (std::size_t i = 1; i < p.roles().size(); ++i) {
    ORGKIT_FUZZ_REQUIRE(p.roles()[i - 1].rank >= p.roles()[i].rank, "roles highest rank first");
  }
  const auto& rules = p.member_rules();
  if (rules.role_changes) {
    for (const auto& c : *rules.role_changes) {
      ORGKIT_FUZZ_REQUIRE(p.find_role(c.from) && p.find_role(c.to),
                          "role_changes name roles: " + c.from + " -> " + c.to);
    }
  }
  for (const auto* list : {&rules.removable_roles, &rules.leaving_roles}) {
    if (!*list) continue;
    for (const auto& name : **list) {
      ORGKIT_FUZZ_REQUIRE(p.find_role(name) != nullptr, "member_rules name roles: " + name);
    }
  }
  const auto& names = p.permission_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto resolved = p.permission(names[i]);
    ORGKIT_FUZZ_REQUIRE(resolved && resolved->index == i, "permission() resolves " + names[i]);
  }
  ORGKIT_FUZZ_REQUIRE((p.owner_reserved() & ~p.owner_role().permissions).none(),
                      "owner_reserved is the owner role's");
}

// The same policy: what to_json() writes (names, roles, rules), which is everything kept.
void check_round_trip(const PermissionPolicy& p) {
  const std::string text = guarded("to_json", [&] { return p.to_json(); });
  auto again = guarded("from_json(to_json())", [&] { return PermissionPolicy::from_json(text); });
  ORGKIT_FUZZ_REQUIRE(
      again.has_value(),
      "to_json() reads back: " + (again ? std::string() : describe(again.error())) + "\n" + text);
  const std::string twice = guarded("to_json", [&] { return again->to_json(); });
  ORGKIT_FUZZ_REQUIRE(twice == text, "to_json() round-trips:\n" + text + "\n---\n" + twice);

  auto rebuilt = guarded("PolicyBuilder::from(...).build()",
                         [&] { return orgkit::PolicyBuilder::from(p).build(); });
  ORGKIT_FUZZ_REQUIRE(rebuilt.has_value(),
                      "PolicyBuilder::from(policy) builds: " +
                          (rebuilt ? std::string() : describe(rebuilt.error())));
  ORGKIT_FUZZ_REQUIRE(guarded("to_json", [&] { return rebuilt->to_json(); }) == text,
                      "PolicyBuilder::from(policy) is the same policy");
}

// A Service on the policy: the founder of an organization holds exactly the owner role.
void check_service(const PermissionPolicy& p) {
  orgkit::ServiceOptions options;
  options.policy = p;
  options.clock = orgkit::fuzz::fixed_clock();
  options.check_cache_capacity = 16;
  auto kit = orgkit::fuzz::open_memory_service(std::move(options));
  const orgkit::Actor founder{orgkit::UserId("u-founder"), "founder@example.com", "Founder"};
  orgkit::NewOrganization spec;
  spec.name = "Acme";
  auto org =
      guarded("create_organization", [&] { return kit->create_organization(founder, spec); });
  ORGKIT_FUZZ_REQUIRE(org.has_value(), "create_organization under a loaded policy: " +
                                           (org ? std::string() : describe(org.error())));
  const auto& names = p.permission_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto may = guarded("check", [&] { return kit->check(founder, org->id, names[i]); });
    ORGKIT_FUZZ_REQUIRE(may.has_value(), "check() of a declared permission: " +
                                             (may ? std::string() : describe(may.error())));
    ORGKIT_FUZZ_REQUIRE(*may == p.owner_role().permissions.test(i),
                        "the founder holds the owner role's permissions: " + names[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy =
      guarded("PermissionPolicy::from_json", [&] { return PermissionPolicy::from_json(text); });
  if (!policy) {
    check_refusal(text, policy.error());
    return 0;
  }
  check_roles_resolve(*policy);
  check_round_trip(*policy);
  check_service(*policy);
  return 0;
}
