// Conformance: listing and counting invitations (list_invitations, count_pending_invitations):
// state as seen at `now`, newest first, paged with `before`. Checklist in conformance.hpp.
#include "conformance/conformance.hpp"

using namespace orgkit;
using namespace orgkit::conformance;

namespace {

constexpr std::int64_t now_ms = t0 + 10'000;
constexpr std::int64_t far_ms = t0 + 86'400'000;

// acme's invitations, in insertion (id) order, and one of globex's.
struct Listing {
  InvitationId far_pending;  // pending, expires long after now
  InvitationId accepted;
  InvitationId expires_now;  // pending, expires_at == now: expired at now
  InvitationId declined;
  InvitationId expires_next;  // pending, expires 1 ms after now: still pending at now
  InvitationId revoked;
  InvitationId long_expired;  // pending, expired long ago, never swept
  InvitationId link;          // a pending link
  InvitationId globex;        // globex's, pending
};

Listing make_listing(Storage& storage, OrgId acme, OrgId globex) {
  Listing l;
  auto tx = begin_write(storage, tenant_a(), {acme, globex});
  auto add = [&](const Invitation& inv, const std::string& hash) {
    return REQUIRE_VALUE(tx->insert_invitation(tenant_a(), inv, email_key(inv.email), hash));
  };
  auto close = [&](InvitationId id, InvitationState to) {
    CHECK(REQUIRE_VALUE(tx->close_invitation(acme, id, to, UserId("alice"), at_ms(t0 + 1))));
  };
  l.far_pending = add(invitation_spec(acme, "a@example.com", "member", far_ms), "h1");
  l.accepted = add(invitation_spec(acme, "b@example.com", "member", far_ms), "h2");
  close(l.accepted, InvitationState::accepted);
  l.expires_now = add(invitation_spec(acme, "c@example.com", "member", now_ms), "h3");
  l.declined = add(invitation_spec(acme, "d@example.com", "member", far_ms), "h4");
  close(l.declined, InvitationState::declined);
  l.expires_next = add(invitation_spec(acme, "e@example.com", "member", now_ms + 1), "h5");
  l.revoked = add(invitation_spec(acme, "f@example.com", "member", far_ms), "h6");
  close(l.revoked, InvitationState::revoked);
  l.long_expired = add(invitation_spec(acme, "g@example.com", "member", 5), "h7");
  l.link = add(link_spec(acme, "member", far_ms), "h8");
  l.globex = add(invitation_spec(globex, "a@example.com", "member", far_ms), "h9");
  commit(tx);
  return l;
}

std::vector<std::int64_t> ids_of(const std::vector<Invitation>& invs) {
  std::vector<std::int64_t> out;
  for (const auto& i : invs) out.push_back(i.id.value());
  return out;
}

std::vector<std::int64_t> ids(std::initializer_list<InvitationId> list) {
  std::vector<std::int64_t> out;
  for (auto id : list) out.push_back(id.value());
  return out;
}

}  // namespace

TEST_CASE("list_invitations: every invitation of the organization, newest first, paged",
          "[invitations][list_invitations]") {
  auto s = seeded();
  const auto l = make_listing(*s.storage, s.acme, s.globex);
  auto rtx = begin_read(*s.storage);
  const auto now = at_ms(now_ms);
  auto all = REQUIRE_VALUE(rtx->list_invitations(s.acme, std::nullopt, now, std::nullopt, 100));
  CHECK(ids_of(all) == ids({l.link, l.long_expired, l.revoked, l.expires_next, l.declined,
                            l.expires_now, l.accepted, l.far_pending}));
  // The newest `limit`, then the ones below `before`.
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.acme, std::nullopt, now, std::nullopt, 3))) ==
        ids({l.link, l.long_expired, l.revoked}));
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.acme, std::nullopt, now, l.revoked, 3))) ==
        ids({l.expires_next, l.declined, l.expires_now}));
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.acme, std::nullopt, now, l.expires_now, 3))) ==
        ids({l.accepted, l.far_pending}));
  CHECK(REQUIRE_VALUE(rtx->list_invitations(s.acme, std::nullopt, now, l.far_pending, 3)).empty());
  // States come back as stored: an expired invitation reads as pending (the reader derives
  // "expired" from expires_at), a closed one with who closed it.
  for (const auto& inv : all) {
    INFO("invitation " << inv.id);
    CHECK(inv.org == s.acme);
    if (inv.id == l.long_expired || inv.id == l.expires_now)
      CHECK(inv.state == InvitationState::pending);
    if (inv.id == l.accepted) CHECK(inv.state == InvitationState::accepted);
    if (inv.id == l.revoked) CHECK(inv.closed_by == std::optional<UserId>(UserId("alice")));
  }
}

TEST_CASE("list_invitations: a state filter as seen at now; expired is pending with expiry <= now",
          "[invitations][list_invitations]") {
  auto s = seeded();
  const auto l = make_listing(*s.storage, s.acme, s.globex);
  auto rtx = begin_read(*s.storage);
  const auto now = at_ms(now_ms);
  auto listed = [&](InvitationState state) {
    return ids_of(REQUIRE_VALUE(rtx->list_invitations(s.acme, state, now, std::nullopt, 100)));
  };
  CHECK(listed(InvitationState::pending) == ids({l.link, l.expires_next, l.far_pending}));
  CHECK(listed(InvitationState::expired) == ids({l.long_expired, l.expires_now}));
  CHECK(listed(InvitationState::accepted) == ids({l.accepted}));
  CHECK(listed(InvitationState::declined) == ids({l.declined}));
  CHECK(listed(InvitationState::revoked) == ids({l.revoked}));
  // Filter and paging together.
  CHECK(ids_of(REQUIRE_VALUE(
            rtx->list_invitations(s.acme, InvitationState::pending, now, std::nullopt, 2))) ==
        ids({l.link, l.expires_next}));
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.acme, InvitationState::pending, now,
                                                   l.expires_next, 2))) == ids({l.far_pending}));
  // One millisecond later expires_next has expired too.
  const auto later = at_ms(now_ms + 1);
  CHECK(ids_of(REQUIRE_VALUE(
            rtx->list_invitations(s.acme, InvitationState::expired, later, std::nullopt, 100))) ==
        ids({l.long_expired, l.expires_next, l.expires_now}));
}

TEST_CASE("list_invitations: only the named organization's invitations",
          "[invitations][list_invitations]") {
  auto s = seeded();
  const auto l = make_listing(*s.storage, s.acme, s.globex);
  auto rtx = begin_read(*s.storage);
  const auto now = at_ms(now_ms);
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.globex, std::nullopt, now, std::nullopt,
                                                   100))) == ids({l.globex}));
  CHECK(ids_of(REQUIRE_VALUE(rtx->list_invitations(s.globex, InvitationState::pending, now,
                                                   std::nullopt, 100))) == ids({l.globex}));
  CHECK(REQUIRE_VALUE(rtx->list_invitations(s.initech, std::nullopt, now, std::nullopt, 100))
            .empty());
  CHECK(REQUIRE_VALUE(
            rtx->list_invitations(s.globex, InvitationState::accepted, now, std::nullopt, 100))
            .empty());
}

TEST_CASE("count_pending_invitations: pending and unexpired at now, of that organization only",
          "[invitations][count_pending_invitations]") {
  auto s = seeded();
  const auto l = make_listing(*s.storage, s.acme, s.globex);
  (void)l;
  auto rtx = begin_read(*s.storage);
  // far_pending, expires_next and the link; not expires_now (expiry == now) nor the closed.
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.acme, at_ms(now_ms))) == 3);
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.acme, at_ms(now_ms + 1))) == 2);
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.acme, at_ms(far_ms))) == 0);
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.acme, at_ms(0))) == 5);
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.globex, at_ms(now_ms))) == 1);
  CHECK(REQUIRE_VALUE(rtx->count_pending_invitations(s.initech, at_ms(now_ms))) == 0);
}
