// Conformance: single invitations (insert, find by id and by token, find the pending email
// invitation, reissue, close). Listing and counting: invitation_lists_conformance.cpp.
// Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

InvitationId insert(StorageTransaction& tx, const TenantId& tenant, const Invitation& inv,
                    const std::string& hash) {
  return REQUIRE_VALUE(tx.insert_invitation(tenant, inv, email_key(inv.email), hash));
}

// One invitation of acme per terminal state, and one pending: ids by state.
struct Closed {
  InvitationId pending, accepted, declined, revoked;
};

Closed invitations_in_every_state(Storage& storage, OrgId org) {
  Closed c;
  auto tx = begin_write(storage, tenant_a(), {org});
  c.pending = insert(*tx, tenant_a(), invitation_spec(org, "p@example.com", "member"), "h-p");
  c.accepted = insert(*tx, tenant_a(), invitation_spec(org, "a@example.com", "member"), "h-a");
  c.declined = insert(*tx, tenant_a(), invitation_spec(org, "d@example.com", "member"), "h-d");
  c.revoked = insert(*tx, tenant_a(), invitation_spec(org, "r@example.com", "member"), "h-r");
  CHECK(REQUIRE_VALUE(tx->close_invitation(org, c.accepted, InvitationState::accepted,
                                           UserId("erin"), at_ms(t0 + 100))));
  CHECK(REQUIRE_VALUE(tx->close_invitation(org, c.declined, InvitationState::declined,
                                           UserId("frank"), at_ms(t0 + 200))));
  CHECK(REQUIRE_VALUE(tx->close_invitation(org, c.revoked, InvitationState::revoked,
                                           UserId("alice"), at_ms(t0 + 300))));
  commit(tx);
  return c;
}

}  // namespace

TEST_CASE("insert_invitation: find_invitation reads every field back; it is pending",
          "[invitations][insert_invitation][find_invitation]") {
  auto s = seeded();
  auto spec = invitation_spec(s.acme, "Erin@Example.com", "admin", t0 + 5000);
  spec.id = InvitationId(4242);            // ignored
  spec.state = InvitationState::accepted;  // ignored: a new invitation is pending
  spec.closed_by = UserId("mallory");      // a pending invitation was closed by nobody
  spec.closed_at = at_ms(t0);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id = insert(*tx, tenant_a(), spec, "hash-1");
  const auto link = insert(*tx, tenant_a(), link_spec(s.acme, "member"), "hash-2");
  commit(tx);
  CHECK(id.valid());
  CHECK(id != link);

  auto rtx = begin_read(*s.storage);
  auto got = REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, id));
  CHECK(got.id == id);
  CHECK(got.org == s.acme);
  CHECK(got.kind == InvitationKind::email);
  CHECK(got.email == "Erin@Example.com");
  CHECK(got.role == "admin");
  CHECK(got.department == "Sales");
  CHECK(got.message == "Welcome");
  CHECK(got.state == InvitationState::pending);
  CHECK(got.invited_by == UserId("alice"));
  CHECK(to_unix_ms(got.created_at) == t0);
  CHECK(to_unix_ms(got.expires_at) == t0 + 5000);
  CHECK_FALSE(got.closed_by.has_value());
  CHECK_FALSE(got.closed_at.has_value());
  auto l = REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, link));
  CHECK(l.kind == InvitationKind::link);
  CHECK(l.email.empty());
}

TEST_CASE("insert_invitation: a taken token hash is already_exists (token), in any organization",
          "[invitations][insert_invitation]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto first =
      insert(*tx, tenant_a(), invitation_spec(s.acme, "x@example.com", "member"), "dup");
  commit(tx);
  // find_invitation_by_token has no tenant: a hash is unique across the whole store.
  for (auto [tenant, org] : {std::pair{tenant_a(), s.acme}, std::pair{tenant_a(), s.globex},
                             std::pair{tenant_b(), s.initech}}) {
    tx = begin_write(*s.storage, tenant, {org});
    auto twin = tx->insert_invitation(tenant, invitation_spec(org, "y@example.com", "member"),
                                      "y@example.com", "dup");
    REQUIRE_ERROR(twin, ErrorCode::already_exists);
    CHECK(twin.error().field == "token");
    CHECK(message_has_no_sql(twin.error()));
    tx.reset();  // a failed unique key may abort a server database's transaction
  }
  auto rtx = begin_read(*s.storage);
  auto stored = REQUIRE_SOME(rtx->find_invitation_by_token("dup"));
  CHECK(stored.invitation.id == first);
  CHECK(stored.invitation.email == "x@example.com");
}

TEST_CASE("find_invitation: nullopt for an unknown id and for another organization's",
          "[invitations][find_invitation]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id = insert(*tx, tenant_a(), invitation_spec(s.acme, "x@example.com", "member"), "h");
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation(tenant_a(), s.globex, id)).has_value());
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_invitation(tenant_a(), s.acme, InvitationId(987654))).has_value());
  CHECK(REQUIRE_VALUE(rtx->find_invitation(tenant_a(), s.acme, id)).has_value());
}

TEST_CASE("find_invitation: nullopt when named with another tenant",
          "[invitations][find_invitation][tenant]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto id = insert(*tx, tenant_a(), invitation_spec(s.acme, "x@example.com", "member"), "h");
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation(tenant_b(), s.acme, id)).has_value());
}

TEST_CASE("find_invitation_by_token: the invitation with its tenant and raw hash bytes",
          "[invitations][find_invitation_by_token]") {
  auto s = seeded();
  // A hash is raw bytes: NUL and high bytes must survive the round trip.
  const std::string hash("h\0\xff\x01z", 5);
  auto tx = begin_write(*s.storage, tenant_b(), {s.initech});
  const auto id =
      insert(*tx, tenant_b(), invitation_spec(s.initech, "x@example.com", "admin"), hash);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto stored = REQUIRE_SOME(rtx->find_invitation_by_token(hash));
  CHECK(stored.invitation.id == id);
  CHECK(stored.invitation.org == s.initech);
  CHECK(stored.invitation.role == "admin");
  CHECK(stored.tenant == tenant_b());
  CHECK(stored.token_hash == hash);
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_invitation_by_token(std::string("h\0\xff\x01", 4))).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation_by_token("unknown")).has_value());
}

TEST_CASE("find_pending_email_invitation: the stored-pending one for the key, expired or not",
          "[invitations][find_pending_email_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  // Expired long ago, never swept: still stored pending, so still found (the Service renews it).
  const auto old =
      insert(*tx, tenant_a(), invitation_spec(s.acme, "Old@Example.com ", "member", 5), "h-old");
  insert(*tx, tenant_a(), link_spec(s.acme, "member"), "h-link");
  insert(*tx, tenant_a(), invitation_spec(s.globex, "g@example.com", "member"), "h-g");
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_pending_email_invitation(s.acme, "p@example.com")).id == c.pending);
  CHECK(REQUIRE_SOME(rtx->find_pending_email_invitation(s.acme, "old@example.com")).id == old);
  for (const char* closed : {"a@example.com", "d@example.com", "r@example.com"}) {
    INFO(closed);
    CHECK_FALSE(REQUIRE_VALUE(rtx->find_pending_email_invitation(s.acme, closed)).has_value());
  }
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_pending_email_invitation(s.acme, "nobody@example.com")).has_value());
  // Links have no email; their empty key matches nothing.
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_pending_email_invitation(s.acme, "")).has_value());
  // globex's invitation is not acme's, and the other way round.
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_pending_email_invitation(s.acme, "g@example.com")).has_value());
  CHECK_FALSE(
      REQUIRE_VALUE(rtx->find_pending_email_invitation(s.globex, "p@example.com")).has_value());
}

TEST_CASE("reissue_invitation: a new token and new contents; email, kind and id stay",
          "[invitations][reissue_invitation]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  // Expired but stored pending: reissuing is how the Service renews it.
  const auto id =
      insert(*tx, tenant_a(), invitation_spec(s.acme, "x@example.com", "member", 5), "old");
  commit(tx);
  Invitation next = invitation_spec(s.acme, "ignored@example.com", "admin", t0 + 99'000);
  next.department = "Ops";
  next.message = "Again";
  next.invited_by = UserId("bob");
  next.created_at = at_ms(t0 + 50);
  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_OK(tx->reissue_invitation(s.acme, id, next, "new"));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation_by_token("old")).has_value());
  auto stored = REQUIRE_SOME(rtx->find_invitation_by_token("new"));
  const Invitation& got = stored.invitation;
  CHECK(got.id == id);
  CHECK(got.email == "x@example.com");
  CHECK(got.kind == InvitationKind::email);
  CHECK(got.state == InvitationState::pending);
  CHECK(got.role == "admin");
  CHECK(got.department == "Ops");
  CHECK(got.message == "Again");
  CHECK(got.invited_by == UserId("bob"));
  CHECK(to_unix_ms(got.created_at) == t0 + 50);
  CHECK(to_unix_ms(got.expires_at) == t0 + 99'000);
  CHECK(stored.tenant == tenant_a());
}

TEST_CASE("reissue_invitation: not_found unless pending, or in another organization; no change",
          "[invitations][reissue_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  const auto next = invitation_spec(s.acme, "x@example.com", "admin");
  for (auto [id, hash] : {std::pair{c.accepted, "n-a"}, std::pair{c.declined, "n-d"},
                          std::pair{c.revoked, "n-r"}, std::pair{InvitationId(987654), "n-x"}}) {
    INFO("invitation " << id);
    REQUIRE_ERROR(tx->reissue_invitation(s.acme, id, next, hash), ErrorCode::not_found);
  }
  REQUIRE_ERROR(tx->reissue_invitation(s.globex, c.pending, next, "n-p"), ErrorCode::not_found);
  commit(tx);
  auto rtx = begin_read(*s.storage);
  for (const char* hash : {"h-p", "h-a", "h-d", "h-r"}) {
    auto stored = REQUIRE_SOME(rtx->find_invitation_by_token(hash));
    CHECK(stored.invitation.role == "member");
  }
  for (const char* hash : {"n-a", "n-d", "n-r", "n-x", "n-p"}) {
    CHECK_FALSE(REQUIRE_VALUE(rtx->find_invitation_by_token(hash)).has_value());
  }
}

TEST_CASE("reissue_invitation: a new hash that is taken is already_exists (token)",
          "[invitations][reissue_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  auto taken =
      tx->reissue_invitation(s.acme, c.pending, invitation_spec(s.acme, "", "admin"), "h-a");
  REQUIRE_ERROR(taken, ErrorCode::already_exists);
  CHECK(taken.error().field == "token");
  tx.reset();
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_SOME(rtx->find_invitation_by_token("h-p")).invitation.id == c.pending);
  CHECK(REQUIRE_SOME(rtx->find_invitation_by_token("h-a")).invitation.id == c.accepted);
}

TEST_CASE("close_invitation: moves a pending invitation to its end state, recording who and when",
          "[invitations][close_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  // Expired but stored pending: it can still be closed (revoked, say).
  const auto expired =
      insert(*tx, tenant_a(), invitation_spec(s.acme, "e@example.com", "member", 5), "h-e");
  CHECK(REQUIRE_VALUE(tx->close_invitation(s.acme, expired, InvitationState::revoked, UserId("bob"),
                                           at_ms(t0 + 400))));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  struct Want {
    InvitationId id;
    InvitationState state;
    const char* by;
    std::int64_t at;
  };
  for (const auto& w : {Want{c.accepted, InvitationState::accepted, "erin", t0 + 100},
                        Want{c.declined, InvitationState::declined, "frank", t0 + 200},
                        Want{c.revoked, InvitationState::revoked, "alice", t0 + 300},
                        Want{expired, InvitationState::revoked, "bob", t0 + 400}}) {
    INFO("invitation " << w.id);
    auto got = REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, w.id));
    CHECK(got.state == w.state);
    CHECK(got.closed_by == std::optional<UserId>(UserId(w.by)));
    CHECK(got.closed_at == std::optional<Timestamp>(at_ms(w.at)));
    CHECK(got.role == "member");  // nothing else changes
  }
  CHECK(REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, c.pending)).state ==
        InvitationState::pending);
}

TEST_CASE("close_invitation: false and no change when the invitation is no longer pending",
          "[invitations][close_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  // The conditional write that keeps a token single-use: a second accept must lose.
  for (auto id : {c.accepted, c.declined, c.revoked}) {
    for (auto to :
         {InvitationState::accepted, InvitationState::declined, InvitationState::revoked}) {
      INFO("invitation " << id << " to " << to_string(to));
      CHECK_FALSE(
          REQUIRE_VALUE(tx->close_invitation(s.acme, id, to, UserId("mallory"), at_ms(t0 + 999))));
    }
  }
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto accepted = REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, c.accepted));
  CHECK(accepted.state == InvitationState::accepted);
  CHECK(accepted.closed_by == std::optional<UserId>(UserId("erin")));
  CHECK(accepted.closed_at == std::optional<Timestamp>(at_ms(t0 + 100)));
  CHECK(REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, c.declined)).state ==
        InvitationState::declined);
  CHECK(REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, c.revoked)).closed_by ==
        std::optional<UserId>(UserId("alice")));
}

TEST_CASE("close_invitation: false for an unknown id or another organization's, no change",
          "[invitations][close_invitation]") {
  auto s = seeded();
  auto c = invitations_in_every_state(*s.storage, s.acme);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme, s.globex});
  CHECK_FALSE(REQUIRE_VALUE(tx->close_invitation(s.globex, c.pending, InvitationState::accepted,
                                                 UserId("mallory"), at_ms(t0 + 999))));
  CHECK_FALSE(
      REQUIRE_VALUE(tx->close_invitation(s.acme, InvitationId(987654), InvitationState::accepted,
                                         UserId("mallory"), at_ms(t0 + 999))));
  commit(tx);
  auto rtx = begin_read(*s.storage);
  auto pending = REQUIRE_SOME(rtx->find_invitation(tenant_a(), s.acme, c.pending));
  CHECK(pending.state == InvitationState::pending);
  CHECK_FALSE(pending.closed_by.has_value());
}
