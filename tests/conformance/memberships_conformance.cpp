// Conformance: memberships (insert, find, update role, delete, list, count, by email).
// Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

std::vector<std::string> users_of(const std::vector<Membership>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.user.value());
  return out;
}

using names = std::vector<std::string>;

}  // namespace

TEST_CASE("insert_membership: find_membership reads every field back",
          "[memberships][insert_membership][find_membership]") {
  auto s = seeded();
  auto spec = member_spec(s.acme, "erin", "admin");
  spec.email = "Erin.Example@Example.com";
  spec.display_name = "Erin E.";
  spec.joined_at = at_ms(t0 + 42);
  spec.department = "Research & Development";
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->insert_membership(tenant_a(), spec));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto got = REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("erin")));
  REQUIRE(got.has_value());
  CHECK(got->org == s.acme);
  CHECK(got->user == UserId("erin"));
  CHECK(got->email == "Erin.Example@Example.com");  // as given, not its key
  CHECK(got->display_name == "Erin E.");
  CHECK(got->role == "admin");
  CHECK(to_unix_ms(got->joined_at) == t0 + 42);
  CHECK(got->department == "Research & Development");
  // Every read of a membership carries it.
  auto listed = REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "", 100));
  bool seen = false;
  for (const auto& m : listed) seen = seen || (m.user == UserId("erin") && m.department == "Research & Development");
  CHECK(seen);
  auto by_email = REQUIRE_SOME(rtx->find_membership_by_email(s.acme, "erin.example@example.com"));
  CHECK(by_email.department == "Research & Development");
}

TEST_CASE("insert_membership: a member already is already_exists (user_id); nothing changes",
          "[memberships][insert_membership]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  auto dup = tx->insert_membership(tenant_a(), member_spec(s.acme, "carol", "admin"));
  REQUIRE_ERROR(dup, ErrorCode::already_exists);
  CHECK(dup.error().field == "user_id");
  CHECK(message_has_no_sql(dup.error()));
  tx.reset();  // a failed unique key may abort a server database's transaction: drop it
  // The same user in another organization is a different membership.
  tx = begin_write(*s.storage, tenant_a(), {s.globex});
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.globex, "carol", "admin")));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("carol"))).role == "member");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.globex, UserId("carol"))).role == "admin");
}

TEST_CASE("insert_membership: an organization that does not exist is not_found",
          "[memberships][insert_membership]") {
  // Not spelled out in storage.hpp ("adds a membership to an organization of tenant"); the
  // old contract test required not_found, the way a foreign key reports it.
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {OrgId(987654)});
  REQUIRE_ERROR(tx->insert_membership(tenant_a(), member_spec(OrgId(987654), "erin", "owner")),
                ErrorCode::not_found);
  tx.reset();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->organizations_of(tenant_a(), UserId("erin"))).empty());
}

TEST_CASE("find_membership: nullopt for a non-member and for a member of another organization",
          "[memberships][find_membership]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("nobody"))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("dave"))).has_value());
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_membership(tenant_a(), OrgId(987654), UserId("bob"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.globex, UserId("dave"))).has_value());
}

TEST_CASE("find_membership: nullopt when named with another tenant",
          "[memberships][find_membership][tenant]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership(tenant_b(), s.acme, UserId("bob"))).has_value());
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.initech, UserId("alice"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_b(), s.initech, UserId("alice"))).has_value());
}

TEST_CASE("update_membership_role: changes that membership only; not_found if there is none",
          "[memberships][update_membership_role]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->update_membership_role(s.acme, UserId("alice"), "admin"));
  REQUIRE_ERROR(tx->update_membership_role(s.acme, UserId("nobody"), "admin"),
                ErrorCode::not_found);
  // dave is a member of globex, not of acme: naming acme finds nothing.
  REQUIRE_ERROR(tx->update_membership_role(s.acme, UserId("dave"), "admin"), ErrorCode::not_found);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("alice"))).role == "admin");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.globex, UserId("alice"))).role == "member");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_b(), s.initech, UserId("alice"))).role == "owner");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.globex, UserId("dave"))).role == "member");
  auto m = REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("alice")));
  CHECK(m.email == "alice@example.com");  // only the role changed
  CHECK(to_unix_ms(m.joined_at) == t0 + 1000);
}

TEST_CASE("update_membership_department: changes that membership only; not_found if there is none",
          "[memberships][update_membership_department]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->update_membership_department(s.acme, UserId("alice"), "sales"));
  REQUIRE_ERROR(tx->update_membership_department(s.acme, UserId("nobody"), "sales"),
                ErrorCode::not_found);
  REQUIRE_ERROR(tx->update_membership_department(s.acme, UserId("dave"), "sales"),
                ErrorCode::not_found);
  commit(tx);
  {
    auto rtx = begin_read(*s.storage);
    auto m = REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("alice")));
    CHECK(m.department == "sales");
    CHECK(m.role == "owner");  // only the department changed
    CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.globex, UserId("alice")))
              .department.empty());
  }  // a single-connection backend needs it back for the next transaction
  // Cleared again.
  auto tx2 = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx2->update_membership_department(s.acme, UserId("alice"), ""));
  commit(tx2);
  auto rtx2 = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx2->find_membership(tenant_a(), s.acme, UserId("alice"))).department.empty());
}

TEST_CASE("delete_membership: removes that membership only; not_found if there is none",
          "[memberships][delete_membership]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->delete_membership(s.acme, UserId("alice")));
  REQUIRE_ERROR(tx->delete_membership(s.acme, UserId("alice")), ErrorCode::not_found);
  REQUIRE_ERROR(tx->delete_membership(s.acme, UserId("dave")), ErrorCode::not_found);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("alice"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.globex, UserId("alice"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_b(), s.initech, UserId("alice"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.globex, UserId("dave"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 2);
}

TEST_CASE("list_memberships: by user id, paged with after_user and limit, filtered by role",
          "[memberships][list_memberships]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  // Inserted out of order: the listing orders by user id, not by insertion.
  for (const char* u : {"gina", "erin", "hank", "frank"}) {
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.acme, u, "member")));
  }
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto all = REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "", 100));
  CHECK(users_of(all) == names{"alice", "bob", "carol", "erin", "frank", "gina", "hank"});
  REQUIRE_FALSE(all.empty());
  CHECK(all[1].role == "admin");
  CHECK(all[1].email == "bob@example.com");
  CHECK(all[1].display_name == "User bob");
  CHECK(all[1].org == s.acme);
  CHECK(to_unix_ms(all[1].joined_at) == t0 + 1000);

  // Paging: each page starts after the last user id of the one before.
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "", 3))) ==
        names{"alice", "bob", "carol"});
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "carol", 3))) ==
        names{"erin", "frank", "gina"});
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "gina", 3))) ==
        names{"hank"});
  CHECK(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "hank", 3)).empty());
  // after_user need not be a member: "c" sorts before "carol".
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "c", 2))) ==
        names{"carol", "erin"});

  // A role filter, alone and with paging.
  const std::optional<std::string> member = std::string("member");
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, member, "", 100))) ==
        names{"carol", "erin", "frank", "gina", "hank"});
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, member, "erin", 2))) ==
        names{"frank", "gina"});
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::string("owner"), "", 100))) ==
        names{"alice"});
  CHECK(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::string("viewer"), "", 100)).empty());
}

TEST_CASE("list_memberships: only the named organization's members",
          "[memberships][list_memberships]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.globex, std::nullopt, "", 100))) ==
        names{"alice", "dave"});
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.initech, std::nullopt, "", 100))) ==
        names{"alice"});
  CHECK(REQUIRE_VALUE(rtx->list_memberships(OrgId(987654), std::nullopt, "", 100)).empty());
  CHECK(users_of(REQUIRE_VALUE(rtx->list_memberships(s.globex, std::string("member"), "", 100))) ==
        names{"alice", "dave"});
}

TEST_CASE("count_memberships: members of the organization, only those with the role if given",
          "[memberships][count_memberships]") {
  auto s = seeded();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 3);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::string("owner"))) == 1);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::string("member"))) == 1);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::string("viewer"))) == 0);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.globex, std::string("member"))) == 2);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.initech, std::nullopt)) == 1);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(OrgId(987654), std::nullopt)) == 0);
}

TEST_CASE("find_membership_by_email: by the trimmed, lower-cased email, in that organization",
          "[memberships][find_membership_by_email]") {
  auto s = seeded();
  auto spec = member_spec(s.acme, "erin", "member");
  spec.email = "  Erin@Example.COM ";
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->insert_membership(tenant_a(), spec));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto erin = REQUIRE_VALUE(rtx->find_membership_by_email(s.acme, email_key(spec.email)));
  REQUIRE(erin.has_value());
  CHECK(erin->user == UserId("erin"));
  CHECK(erin->email == spec.email);  // stored as given
  auto bob = REQUIRE_VALUE(rtx->find_membership_by_email(s.acme, "bob@example.com"));
  REQUIRE(bob.has_value());
  CHECK(bob->user == UserId("bob"));
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_membership_by_email(s.acme, "nobody@example.com")).has_value());
  // dave is a member of globex only.
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership_by_email(s.acme, "dave@example.com")).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_membership_by_email(s.globex, "dave@example.com")).has_value());
}
