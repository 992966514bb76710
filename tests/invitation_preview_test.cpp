// Reading an invitation by its token without accepting it (issue 8, seed 004: "They click
// the link → sign-up form opens with email pre-filled"): what it offers, the distinct errors
// of accepting, and nothing changed.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

struct Preview : test::Team {
  IssuedInvitation invite(const std::string& email, const std::string& role = "member",
                          const Actor* by = nullptr) {
    InviteRequest r;
    r.email = email;
    r.role = role;
    r.department = "engineering";
    r.message = "Welcome aboard";
    auto issued = f.kit->invite(by ? *by : owner, org.id, r);
    REQUIRE_OK(issued);
    return *issued;
  }
  std::size_t audit_count() { return f.actions(owner, org.id).size(); }
};

}  // namespace

TEST_CASE("preview an invitation by its token: what the sign-up form shows",
          "[issue8][I2][seed004]") {
  Preview t;
  const auto issued = t.invite("Dana@Example.com", "member", &t.admin);
  const auto before = t.audit_count();

  auto p = t.f.kit->preview_invitation(issued.token);
  REQUIRE_OK(p);
  CHECK(p->id == issued.invitation.id);
  CHECK(p->kind == InvitationKind::email);
  CHECK(p->email == "Dana@Example.com");
  CHECK(p->org == t.org.id);
  CHECK(p->organization_name == t.org.name);
  CHECK(p->organization_slug == t.org.slug);
  CHECK(p->role == "member");
  CHECK(p->department == "engineering");
  CHECK(p->message == "Welcome aboard");
  CHECK(p->invited_by == t.admin.id);
  CHECK(p->invited_by_kind == PrincipalKind::member);
  CHECK(p->inviter_name == t.admin.display_name);
  CHECK(p->expires_at == issued.invitation.expires_at);

  // It changed nothing: no audit event, still pending, still acceptable, and again readable.
  CHECK(t.audit_count() == before);
  REQUIRE_OK(t.f.kit->preview_invitation(issued.token));
  auto dana = Actor{UserId("dana"), "dana@example.com", "Dana", default_tenant()};
  REQUIRE_OK(t.f.kit->accept_invitation(dana, issued.token));

  SECTION("a link has no address") {
    auto link = t.f.kit->create_invite_link(t.owner, t.org.id, "viewer", LinkExpiry::one_day);
    REQUIRE_OK(link);
    auto lp = t.f.kit->preview_invitation(link->token);
    REQUIRE_OK(lp);
    CHECK(lp->kind == InvitationKind::link);
    CHECK(lp->email.empty());
    CHECK(lp->role == "viewer");
  }
}

TEST_CASE("preview answers each kind of unusable token with its own error",
          "[issue8][I2][I4][I5]") {
  Preview t;
  SECTION("malformed and unknown") {
    REQUIRE_ERROR(t.f.kit->preview_invitation(""), ErrorCode::invalid_argument);
    REQUIRE_ERROR(t.f.kit->preview_invitation("not a token"), ErrorCode::invalid_argument);
    auto issued = t.invite("x@example.com");
    std::string other = issued.token;
    other.back() = other.back() == 'A' ? 'B' : 'A';  // one character off: another token
    REQUIRE_ERROR(t.f.kit->preview_invitation(other), ErrorCode::not_found);
  }
  SECTION("another tenant's token is unknown there") {
    auto issued = t.invite("x@example.com");
    auto r = t.f.kit->preview_invitation(issued.token, TenantId("elsewhere"));
    REQUIRE_ERROR(r, ErrorCode::not_found);
    REQUIRE_ERROR(t.f.kit->preview_invitation(issued.token, TenantId("")),
                  ErrorCode::invalid_argument);
  }
  SECTION("expired") {
    auto issued = t.invite("x@example.com");
    t.f.clock->advance(std::chrono::hours(24 * 31));
    REQUIRE_ERROR(t.f.kit->preview_invitation(issued.token), ErrorCode::expired);
  }
  SECTION("used") {
    auto link = t.f.kit->create_invite_link(t.owner, t.org.id, "viewer", LinkExpiry::one_day);
    REQUIRE_OK(link);
    REQUIRE_OK(t.f.kit->accept_invitation(Fixture::user("first"), link->token));
    REQUIRE_ERROR(t.f.kit->preview_invitation(link->token), ErrorCode::already_used);
  }
  SECTION("revoked") {
    auto issued = t.invite("x@example.com");
    REQUIRE_OK(t.f.kit->revoke_invitation(t.owner, t.org.id, issued.invitation.id));
    REQUIRE_ERROR(t.f.kit->preview_invitation(issued.token), ErrorCode::revoked);
  }
  SECTION("declined") {
    auto issued = t.invite("x@example.com");
    auto x = Actor{UserId("x"), "x@example.com", "X", default_tenant()};
    REQUIRE_OK(t.f.kit->decline_invitation(x, issued.token));
    REQUIRE_ERROR(t.f.kit->preview_invitation(issued.token), ErrorCode::conflict);
  }
  SECTION("its organization was deleted") {
    auto issued = t.invite("x@example.com");
    REQUIRE_OK(t.f.kit->delete_organization(t.owner, t.org.id));
    REQUIRE_ERROR(t.f.kit->preview_invitation(issued.token), ErrorCode::not_found);
  }
  SECTION("its sender lost the authority: revoked, but only accepting closes it") {
    auto issued = t.invite("x@example.com", "admin", &t.admin);
    REQUIRE_OK(t.f.kit->change_member_role(t.owner, t.org.id, t.admin.id, "viewer"));
    auto r = t.f.kit->preview_invitation(issued.token);
    REQUIRE_ERROR(r, ErrorCode::revoked);
    CHECK(r.error().message.find("no longer invite") != std::string::npos);
    auto still = t.f.kit->list_invitations(t.owner, t.org.id);
    REQUIRE_OK(still);
    REQUIRE_FALSE(still->items.empty());
    CHECK(still->items.front().state == InvitationState::pending);
  }
}
