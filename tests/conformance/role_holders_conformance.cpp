// Conformance: who holds a role (count_role_holders, reassign_role). A role is held by
// members, by API keys that are not revoked and by invitations stored pending, expired or
// not: deleting or renaming a custom role must account for all three, or a key would keep a
// role that no longer exists. Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

// Holders of "billing" in acme (each kind, held and no longer held) and in globex.
struct Holders {
  ApiKeyId live_key, revoked_key, other_role_key, globex_key;
  InvitationId pending, expired, accepted, revoked, globex_invitation;
};

enum Kinds { members = 1, keys = 2, invitations = 4, all = 7 };

Holders make_holders(Storage& storage, OrgId acme, OrgId globex, int kinds) {
  Holders h;
  auto tx = begin_write(storage, tenant_a(), {acme, globex});
  REQUIRE_OK(tx->insert_custom_role(acme, role_spec("billing", {"billing.read"})));
  REQUIRE_OK(tx->insert_custom_role(globex, role_spec("billing", {"billing.read"})));
  if (kinds & members) {
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(acme, "erin", "billing")));
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(acme, "frank", "billing")));
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(globex, "gina", "billing")));
  }
  if (kinds & keys) {
    h.live_key =
        REQUIRE_VALUE(tx->insert_api_key(tenant_a(), key_spec(acme, "k-live", "billing"), "s"));
    h.revoked_key =
        REQUIRE_VALUE(tx->insert_api_key(tenant_a(), key_spec(acme, "k-rev", "billing"), "s"));
    CHECK(REQUIRE_VALUE(tx->revoke_api_key(acme, h.revoked_key, at_ms(t0 + 1))));
    h.other_role_key =
        REQUIRE_VALUE(tx->insert_api_key(tenant_a(), key_spec(acme, "k-mem", "member"), "s"));
    h.globex_key =
        REQUIRE_VALUE(tx->insert_api_key(tenant_a(), key_spec(globex, "k-glx", "billing"), "s"));
  }
  if (kinds & invitations) {
    auto add = [&](OrgId org, const char* email, std::int64_t expires, const char* hash) {
      return REQUIRE_VALUE(tx->insert_invitation(
          tenant_a(), invitation_spec(org, email, "billing", expires), email, hash));
    };
    h.pending = add(acme, "p@example.com", t0 + 86'400'000, "h-p");
    h.expired = add(acme, "e@example.com", 5, "h-e");  // expired, never swept: stored pending
    h.accepted = add(acme, "a@example.com", t0 + 86'400'000, "h-a");
    h.revoked = add(acme, "r@example.com", t0 + 86'400'000, "h-r");
    CHECK(REQUIRE_VALUE(tx->close_invitation(acme, h.accepted, InvitationState::accepted,
                                             UserId("a"), at_ms(t0 + 1))));
    CHECK(REQUIRE_VALUE(tx->close_invitation(acme, h.revoked, InvitationState::revoked,
                                             UserId("alice"), at_ms(t0 + 1))));
    h.globex_invitation = add(globex, "g@example.com", t0 + 86'400'000, "h-g");
  }
  commit(tx);
  return h;
}

std::string key_role(StorageTransaction& tx, OrgId org, ApiKeyId id) {
  return REQUIRE_SOME(tx.find_api_key(tenant_a(), org, id)).role;
}

std::string invitation_role(StorageTransaction& tx, OrgId org, InvitationId id) {
  return REQUIRE_SOME(tx.find_invitation(tenant_a(), org, id)).role;
}

}  // namespace

TEST_CASE("count_role_holders: counts the members holding the role",
          "[role_holders][count_role_holders]") {
  auto s = seeded();
  make_holders(*s.storage, s.acme, s.globex, members);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "billing")) == 2);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "owner")) == 1);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "nobody")) == 0);
}

TEST_CASE("count_role_holders: counts API keys that are not revoked",
          "[role_holders][count_role_holders][api_keys]") {
  auto s = seeded();
  make_holders(*s.storage, s.acme, s.globex, keys);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "billing")) == 1);  // k-live, not k-rev
  // acme's carol (member) plus k-mem.
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "member")) == 2);
}

TEST_CASE("count_role_holders: counts invitations stored pending, expired or not; not closed ones",
          "[role_holders][count_role_holders][invitations]") {
  auto s = seeded();
  make_holders(*s.storage, s.acme, s.globex, invitations);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "billing")) == 2);  // pending and expired
}

TEST_CASE("count_role_holders: all three kinds together, of that organization only",
          "[role_holders][count_role_holders][api_keys][invitations]") {
  auto s = seeded();
  make_holders(*s.storage, s.acme, s.globex, all);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.acme, "billing")) == 2 + 1 + 2);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.globex, "billing")) == 1 + 1 + 1);
  CHECK(REQUIRE_VALUE(rtx->count_role_holders(s.initech, "billing")) == 0);
}

TEST_CASE("reassign_role: moves the members holding the role and returns how many",
          "[role_holders][reassign_role]") {
  auto s = seeded();
  make_holders(*s.storage, s.acme, s.globex, members);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(REQUIRE_VALUE(tx->reassign_role(s.acme, "billing", "member")) == 2);
  CHECK(REQUIRE_VALUE(tx->reassign_role(s.acme, "nobody", "member")) == 0);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("erin"))).role == "member");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("frank"))).role == "member");
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::string("member"))) == 3);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::string("billing"))) == 0);
}

TEST_CASE("reassign_role: moves API keys that are not revoked; revoked ones keep their role",
          "[role_holders][reassign_role][api_keys]") {
  auto s = seeded();
  auto h = make_holders(*s.storage, s.acme, s.globex, keys);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(REQUIRE_VALUE(tx->reassign_role(s.acme, "billing", "viewer")) == 0);  // no members
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(key_role(*rtx, s.acme, h.live_key) == "viewer");
  CHECK(key_role(*rtx, s.acme, h.revoked_key) == "billing");
  CHECK(key_role(*rtx, s.acme, h.other_role_key) == "member");
}

TEST_CASE("reassign_role: moves invitations stored pending, expired or not; tokens still work",
          "[role_holders][reassign_role][invitations]") {
  auto s = seeded();
  auto h = make_holders(*s.storage, s.acme, s.globex, invitations);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(REQUIRE_VALUE(tx->reassign_role(s.acme, "billing", "member")) == 0);  // no members
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(invitation_role(*rtx, s.acme, h.pending) == "member");
  CHECK(invitation_role(*rtx, s.acme, h.expired) == "member");
  CHECK(invitation_role(*rtx, s.acme, h.accepted) == "billing");
  CHECK(invitation_role(*rtx, s.acme, h.revoked) == "billing");
  // Only the role changed: the token, expiry and state are as they were.
  auto stored = REQUIRE_SOME(rtx->find_invitation_by_token("h-e"));
  CHECK(stored.invitation.id == h.expired);
  CHECK(stored.invitation.state == InvitationState::pending);
  CHECK(to_unix_ms(stored.invitation.expires_at) == 5);
  CHECK(stored.invitation.email == "e@example.com");
}

TEST_CASE("reassign_role: leaves other organizations and other roles alone",
          "[role_holders][reassign_role][api_keys][invitations]") {
  auto s = seeded();
  auto h = make_holders(*s.storage, s.acme, s.globex, all);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(REQUIRE_VALUE(tx->reassign_role(s.acme, "billing", "member")) == 2);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.globex, UserId("gina"))).role == "billing");
  CHECK(key_role(*rtx, s.globex, h.globex_key) == "billing");
  CHECK(invitation_role(*rtx, s.globex, h.globex_invitation) == "billing");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("bob"))).role == "admin");
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), s.acme, UserId("alice"))).role == "owner");
  // The custom role itself is not the holders: it stays until deleted.
  CHECK(REQUIRE_VALUE(rtx->find_custom_role(s.acme, "billing")).has_value());
}
