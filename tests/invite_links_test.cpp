// Shareable invite links (I5): fixed expiries, single use, and four distinct errors for
// expired, used, revoked and unknown links.
#include "support/test_support.hpp"

#include "tokens.hpp"

using namespace orgkit;
using test::Fixture;

namespace {
Actor joiner(const std::string& id) { return Fixture::user(id); }
// A well-formed token that no invitation has.
std::string unknown_token() {
  auto t = tokens::generate();
  REQUIRE_OK(t);
  return t->text;
}
}  // namespace

TEST_CASE("links expire after 1 hour, 24 hours, 48 hours or 7 days", "[I5]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  const std::pair<LinkExpiry, std::chrono::hours> cases[] = {
      {LinkExpiry::one_hour, std::chrono::hours(1)},
      {LinkExpiry::one_day, std::chrono::hours(24)},
      {LinkExpiry::two_days, std::chrono::hours(48)},
      {LinkExpiry::seven_days, std::chrono::hours(24 * 7)}};
  for (const auto& [expiry, hours] : cases) {
    auto link = f.kit->create_invite_link(owner, org.id, "member", expiry);
    REQUIRE_OK(link);
    CHECK(link->invitation.kind == InvitationKind::link);
    CHECK(link->invitation.email.empty());
    CHECK(link->invitation.expires_at - f.clock->now() == hours);
    CHECK(link->accept_url.find(link->token) != std::string::npos);
  }
  CHECK(f.notifier->messages().empty());  // links are shared by the admin, not mailed
}

TEST_CASE("a link is single-use, anyone with it may join once", "[I5]") {
  test::Team team;
  auto& [f, owner, admin, member, org] = team;
  auto link = f.kit->create_invite_link(admin, org.id, "viewer", LinkExpiry::seven_days);
  REQUIRE_OK(link);
  auto first = f.kit->accept_invitation(joiner("zoe"), link->token);
  REQUIRE_OK(first);
  CHECK(first->membership.role == "viewer");
  CHECK_FALSE(first->email_verified);  // a link proves nothing about an address

  auto second = f.kit->accept_invitation(joiner("yan"), link->token);
  REQUIRE_ERROR(second, ErrorCode::already_used);
  CHECK(second.error().message.find("already been used") != std::string::npos);

  SECTION("only admins generate links, never above their own role") {
    REQUIRE_ERROR(f.kit->create_invite_link(member, org.id, "viewer", LinkExpiry::one_hour),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(f.kit->create_invite_link(admin, org.id, "owner", LinkExpiry::one_hour),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(f.kit->create_invite_link(admin, org.id, "king", LinkExpiry::one_hour),
                  ErrorCode::not_found);
  }
}

TEST_CASE("expired, used, revoked and unknown links fail with four distinct codes", "[I5]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto expired = f.kit->create_invite_link(owner, org.id, "member", LinkExpiry::one_hour);
  auto used = f.kit->create_invite_link(owner, org.id, "member", LinkExpiry::seven_days);
  auto revoked = f.kit->create_invite_link(owner, org.id, "member", LinkExpiry::seven_days);
  REQUIRE_OK(expired);
  REQUIRE_OK(used);
  REQUIRE_OK(revoked);
  REQUIRE_OK(f.kit->accept_invitation(joiner("first"), used->token));
  REQUIRE_OK(f.kit->revoke_invitation(owner, org.id, revoked->invitation.id));
  f.clock->advance(std::chrono::hours(1));

  auto e1 = f.kit->accept_invitation(joiner("x"), expired->token);
  auto e2 = f.kit->accept_invitation(joiner("x"), used->token);
  auto e3 = f.kit->accept_invitation(joiner("x"), revoked->token);
  auto unknown = unknown_token();
  auto e4 = f.kit->accept_invitation(joiner("x"), unknown);
  REQUIRE_ERROR(e1, ErrorCode::expired);
  REQUIRE_ERROR(e2, ErrorCode::already_used);
  REQUIRE_ERROR(e3, ErrorCode::revoked);
  REQUIRE_ERROR(e4, ErrorCode::not_found);
  for (const auto* e : {&e1, &e2, &e3, &e4}) {
    INFO(e->error().message);
    CHECK(e->error().field == "token");
    CHECK(e->error().message.size() > 20);  // a sentence, not a code
  }
  CHECK(e1.error().message.find("expired") != std::string::npos);
  CHECK(e3.error().message.find("revoked") != std::string::npos);
  // Another tenant's link is as unknown as one that never existed (O9).
  auto other = f.kit->create_invite_link(owner, org.id, "member", LinkExpiry::one_day);
  REQUIRE_OK(other);
  REQUIRE_ERROR(f.kit->accept_invitation(Fixture::user("x", "other-tenant"), other->token),
                ErrorCode::not_found);
  REQUIRE_ERROR(f.kit->accept_invitation(joiner("x"), "https://example.invalid/?token=abc"),
                ErrorCode::invalid_argument);
}

TEST_CASE("a link cannot be declined: one recipient's no does not close it for others", "[I5][I4]") {
  Fixture f;
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto link = f.kit->create_invite_link(owner, org.id, "member", LinkExpiry::one_day);
  REQUIRE_OK(link);
  REQUIRE_ERROR(f.kit->decline_invitation(joiner("stranger"), link->token), ErrorCode::conflict);
  REQUIRE_OK(f.kit->accept_invitation(joiner("colleague"), link->token));
}
