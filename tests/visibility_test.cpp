// Visibility first (R1): every operation on an organization answers an outsider exactly as if
// the organization did not exist, before any other lookup, so nothing about another
// organization (its existence, its custom roles, its invitations or keys) leaks.
#include "support/test_support.hpp"

#include <functional>
#include <regex>

using namespace orgkit;

namespace {

using Call = std::function<Error(Service&, const Actor&, OrgId, const std::string& role)>;

template <class R>
Error error_of(R r) {
  if (r) return Error{ErrorCode::storage, "", "the outsider was allowed"};
  return r.error();
}

// Every Service operation that takes an organization id.
std::vector<std::pair<std::string, Call>> operations() {
  std::vector<std::pair<std::string, Call>> ops;
  auto add = [&](std::string name, Call c) { ops.emplace_back(std::move(name), std::move(c)); };
  const UserId someone("member");
  add("get_organization", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.get_organization(a, o)); });
  add("update_organization", [](Service& k, const Actor& a, OrgId o, const std::string&) {
    OrganizationUpdate u;
    u.name = "Renamed";
    return error_of(k.update_organization(a, o, u));
  });
  add("delete_organization", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.delete_organization(a, o)); });
  add("set_active_organization", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.set_active_organization(a, o)); });
  add("leave_organization", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.leave_organization(a, o)); });
  add("transfer_ownership", [=](Service& k, const Actor& a, OrgId o, const std::string& r) { return error_of(k.transfer_ownership(a, o, someone, r)); });
  add("add_member", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    return error_of(k.add_member(a, o, {UserId("new"), "new@example.com", "", r}));
  });
  add("change_member_role", [=](Service& k, const Actor& a, OrgId o, const std::string& r) { return error_of(k.change_member_role(a, o, someone, r)); });
  add("remove_member", [=](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.remove_member(a, o, someone)); });
  add("list_members", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    MemberQuery q;
    q.role = r;
    return error_of(k.list_members(a, o, q));
  });
  add("get_membership", [=](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.get_membership(a, o, someone)); });
  add("find_member_by_email", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.find_member_by_email(a, o, "member@example.com")); });
  add("list_roster", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.list_roster(a, o)); });
  add("invite", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    InviteRequest q;
    q.email = "x@example.com";
    q.role = r;
    return error_of(k.invite(a, o, q));
  });
  add("create_invite_link", [](Service& k, const Actor& a, OrgId o, const std::string& r) { return error_of(k.create_invite_link(a, o, r, LinkExpiry::one_day)); });
  add("resend_invitation", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.resend_invitation(a, o, InvitationId(1))); });
  add("revoke_invitation", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.revoke_invitation(a, o, InvitationId(1))); });
  add("list_invitations", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.list_invitations(a, o)); });
  add("import_invitations_csv", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    return error_of(k.import_invitations_csv(a, o, "email,role\nx@example.com," + r + "\n"));
  });
  add("create_role", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    CustomRole c;
    c.name = r;
    c.rank = 5;
    return error_of(k.create_role(a, o, c));
  });
  add("update_role", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    CustomRoleUpdate u;
    u.name = "renamed";
    return error_of(k.update_role(a, o, r, u));
  });
  add("delete_role", [](Service& k, const Actor& a, OrgId o, const std::string& r) { return error_of(k.delete_role(a, o, r)); });
  add("list_roles", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.list_roles(a, o)); });
  add("create_api_key", [](Service& k, const Actor& a, OrgId o, const std::string& r) {
    return error_of(k.create_api_key(a, o, NewApiKey{"key", r, std::nullopt}));
  });
  add("list_api_keys", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.list_api_keys(a, o)); });
  add("revoke_api_key", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.revoke_api_key(a, o, ApiKeyId(1))); });
  add("list_audit_events", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.list_audit_events(a, o)); });
  add("list_audit_events (filtered)", [](Service& k, const Actor& a, OrgId o, const std::string&) {
    AuditQuery q;
    q.action = "member.added";
    q.target = "member";
    return error_of(k.list_audit_events(a, o, q));
  });
  add("authorize", [](Service& k, const Actor& a, OrgId o, const std::string&) { return error_of(k.authorize(a, o, "members:read")); });
  return ops;
}

// The answer with the organization's number taken out: that is the caller's own input.
std::string shape(const Error& e, OrgId org) {
  const std::string id = std::to_string(org.value());
  std::string message = std::regex_replace(e.message, std::regex("\\b" + id + "\\b"), "<org>");
  return std::string(to_string(e.code)) + " (" + e.field + "): " + message;
}

}  // namespace

TEST_CASE("outsiders get the same answer for every organization, existing or not", "[R1][O9]") {
  test::Team t;
  // What an outsider must not learn: that the organization, its custom role, its
  // invitations and keys exist.
  CustomRole secret;
  secret.name = "secret-role";
  secret.rank = 30;
  secret.permissions = {"members:read"};
  REQUIRE_OK(t.f.kit->create_role(t.owner, t.org.id, secret));
  InviteRequest inv;
  inv.email = "guest@example.com";
  inv.role = "secret-role";
  REQUIRE_OK(t.f.kit->invite(t.owner, t.org.id, inv));
  REQUIRE_OK(t.f.kit->create_api_key(t.owner, t.org.id, NewApiKey{"k", "member", std::nullopt}));
  const OrgId missing(t.org.id.value() + 1000);

  const Actor same_tenant = test::Fixture::user("stranger");
  const Actor other_tenant = test::Fixture::user("owner", "elsewhere");  // same id, other tenant
  for (const auto& [name, call] : operations()) {
    for (const Actor& outsider : {same_tenant, other_tenant}) {
      INFO(name << " as " << outsider.id.value() << " of tenant " << outsider.tenant.value());
      const Error base = call(*t.f.kit, outsider, missing, "missing-role");
      CHECK(base.code == ErrorCode::not_found);
      CHECK(base.field == "org_id");
      const std::string expected = shape(base, missing);
      for (const char* role : {"secret-role", "missing-role", "member"}) {
        INFO("role " << role);
        CHECK(shape(call(*t.f.kit, outsider, t.org.id, role), t.org.id) == expected);
        CHECK(shape(call(*t.f.kit, outsider, missing, role), missing) == expected);
      }
    }
  }
  // Nothing changed: the member list is as it was.
  auto members = t.f.kit->list_members(t.owner, t.org.id);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 3);
}
