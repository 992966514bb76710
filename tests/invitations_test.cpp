// Email invitations: I1-I4, I8, I9, with O2 and A1. Time moves on the ManualClock.
#include "support/test_support.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "tokens.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

struct Invitations : test::Team {
  static InviteRequest to(const std::string& email, const std::string& role = "member") {
    InviteRequest r;
    r.email = email;
    r.role = role;
    return r;
  }
  static Actor invitee(const std::string& id, const std::string& email) {
    return Actor{UserId(id), email, id, default_tenant()};
  }
  std::vector<Invitation> list(std::optional<InvitationState> state = std::nullopt) {
    InvitationQuery q;
    q.state = state;
    q.limit = 1000;
    auto page = f.kit->list_invitations(owner, org.id, q);
    REQUIRE_OK(page);
    return page->items;
  }
};

}  // namespace

TEST_CASE("invite by email, the notifier gets the rendered message", "[I1]") {
  Invitations t;
  InviteRequest r = Invitations::to("dana@example.com", "admin");
  r.message = "Welcome to the dev team!";
  r.department = "engineering";
  auto issued = t.f.kit->invite(t.admin, t.org.id, r);
  REQUIRE_OK(issued);
  CHECK(issued->invitation.state == InvitationState::pending);
  CHECK(issued->invitation.role == "admin");
  CHECK(issued->invitation.department == "engineering");
  CHECK_FALSE(issued->refreshed);
  CHECK(issued->accept_url.find(issued->token) != std::string::npos);

  const auto sent = t.f.notifier->messages();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].to == "dana@example.com");
  CHECK(sent[0].kind == OutgoingMessage::Kind::invitation);
  CHECK(sent[0].subject == "User admin invited you to join Acme");
  CHECK(sent[0].body.find("Welcome to the dev team!") != std::string::npos);
  CHECK(sent[0].body.find(issued->accept_url) != std::string::npos);
  CHECK(sent[0].body.find(" as admin") != std::string::npos);

  SECTION("only roles with the invite permission invite") {
    auto denied = t.f.kit->invite(t.member, t.org.id, Invitations::to("x@example.com"));
    REQUIRE_ERROR(denied, ErrorCode::permission_denied);
  }
  SECTION("never to a role above one's own (P4, PITFALLS 5)") {
    auto denied = t.f.kit->invite(t.admin, t.org.id, Invitations::to("x@example.com", "owner"));
    REQUIRE_ERROR(denied, ErrorCode::permission_denied);
    CHECK(denied.error().field == "role");
  }
  SECTION("bad input names the field and writes nothing") {
    auto bad_email = t.f.kit->invite(t.admin, t.org.id, Invitations::to("not-an-email"));
    REQUIRE_ERROR(bad_email, ErrorCode::invalid_argument);
    CHECK(bad_email.error().field == "email");
    auto bad_role = t.f.kit->invite(t.admin, t.org.id, Invitations::to("x@example.com", "czar"));
    REQUIRE_ERROR(bad_role, ErrorCode::not_found);
    CHECK(bad_role.error().field == "role");
    InviteRequest long_dept = Invitations::to("x@example.com");
    long_dept.department = std::string(101, 'd');
    REQUIRE_ERROR(t.f.kit->invite(t.admin, t.org.id, long_dept), ErrorCode::invalid_argument);
    InviteRequest short_expiry = Invitations::to("x@example.com");
    short_expiry.expires_in = std::chrono::seconds(5);
    auto e = t.f.kit->invite(t.admin, t.org.id, short_expiry);
    REQUIRE_ERROR(e, ErrorCode::invalid_argument);
    CHECK(e.error().field == "expires_in");
    CHECK(t.list().size() == 1);
    CHECK(t.f.notifier->messages().size() == 1);
  }
}

TEST_CASE("personal organizations never invite", "[I1][O2][I7]") {
  Invitations t;
  auto personal = t.f.kit->ensure_personal_organization(t.owner);
  REQUIRE_OK(personal);
  auto r = t.f.kit->invite(t.owner, personal->id, Invitations::to("x@example.com"));
  REQUIRE_ERROR(r, ErrorCode::conflict);
  REQUIRE_ERROR(t.f.kit->create_invite_link(t.owner, personal->id, "member",
                                            LinkExpiry::one_day),
                ErrorCode::conflict);
}

TEST_CASE("accept: email must match case-insensitively, accepting verifies it", "[I2]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("Dana@Example.com", "admin"));
  REQUIRE_OK(issued);

  SECTION("another user's email is refused and nothing changes") {
    auto wrong = t.f.kit->accept_invitation(Invitations::invitee("eve", "eve@example.com"),
                                            issued->token);
    REQUIRE_ERROR(wrong, ErrorCode::permission_denied);
    CHECK(wrong.error().field == "email");
    CHECK(wrong.error().message.find("dana") == std::string::npos);  // no address leaked
    CHECK(t.list(InvitationState::pending).size() == 1);
    REQUIRE_ERROR(t.f.kit->get_membership(t.owner, t.org.id, UserId("eve")), ErrorCode::not_found);
  }
  SECTION("the matching user joins with the invited role") {
    auto dana = Invitations::invitee("dana", "  dana@EXAMPLE.com ");
    auto accepted = t.f.kit->accept_invitation(dana, issued->token);
    REQUIRE_OK(accepted);
    CHECK(accepted->email_verified);
    CHECK(accepted->membership.role == "admin");
    CHECK(accepted->invitation.state == InvitationState::accepted);
    CHECK(t.f.kit->get_membership(t.owner, t.org.id, dana.id)->role == "admin");
    CHECK(t.list(InvitationState::accepted).size() == 1);
    CHECK(t.f.actions(t.owner, t.org.id).front() == "invitation.accepted");
  }
  SECTION("bad input") {
    REQUIRE_ERROR(t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                             "not-a-token"),
                  ErrorCode::invalid_argument);
    REQUIRE_ERROR(t.f.kit->accept_invitation(Invitations::invitee("dana", "nope"), issued->token),
                  ErrorCode::invalid_argument);
    REQUIRE_ERROR(t.f.kit->accept_invitation(Invitations::invitee("", "dana@example.com"),
                                             issued->token),
                  ErrorCode::invalid_argument);
  }
}

TEST_CASE("accept refuses members, deleted organizations and roles that are gone", "[I2]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("member@example.com"));
  // member@example.com is already a member (their email): inviting them is refused (I8).
  REQUIRE_ERROR(issued, ErrorCode::already_exists);

  auto dana_inv = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(dana_inv);
  // The member accepts an invitation meant for their other address? No: their email differs.
  // A user who is already a member, with the invited address:
  auto twin = Invitations::invitee("member", "dana@example.com");
  REQUIRE_ERROR(t.f.kit->accept_invitation(twin, dana_inv->token), ErrorCode::already_exists);

  REQUIRE_OK(t.f.kit->delete_organization(t.owner, t.org.id));
  auto gone = t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                         dana_inv->token);
  REQUIRE_ERROR(gone, ErrorCode::not_found);
}

TEST_CASE("an invited role that no longer exists cannot be accepted", "[I2]") {
  test::TempFile file;
  auto open = [&](const PermissionPolicy& policy) {
    ServiceOptions o;
    o.policy = policy;
    auto kit = Service::open_sqlite(file.path(), o);
    REQUIRE_OK(kit);
    return std::move(*kit);
  };
  auto owner = Fixture::user("owner");
  std::string token;
  {
    auto kit = open(PermissionPolicy::standard());
    NewOrganization spec;
    spec.name = "Acme";
    auto org = kit->create_organization(owner, spec);
    REQUIRE_OK(org);
    auto inv = kit->invite(owner, org->id, Invitations::to("dana@example.com", "viewer"));
    REQUIRE_OK(inv);
    token = inv->token;
  }
  auto b = test::standard_builder([](RoleSpec& spec) { return spec.name != "viewer"; });
  auto narrower = b.build();
  REQUIRE_OK(narrower);
  auto kit = open(*narrower);
  auto r = kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"), token);
  REQUIRE_ERROR(r, ErrorCode::conflict);
  CHECK(r.error().field == "role");
}

TEST_CASE("decline closes the invitation", "[I4]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  auto dana = Invitations::invitee("dana", "dana@example.com");
  REQUIRE_ERROR(t.f.kit->decline_invitation(Invitations::invitee("eve", "eve@example.com"),
                                            issued->token),
                ErrorCode::permission_denied);
  auto declined = t.f.kit->decline_invitation(dana, issued->token);
  REQUIRE_OK(declined);
  CHECK(declined->state == InvitationState::declined);
  auto again = t.f.kit->accept_invitation(dana, issued->token);
  REQUIRE_ERROR(again, ErrorCode::conflict);
  CHECK(t.list(InvitationState::declined).size() == 1);
  REQUIRE_ERROR(t.f.kit->decline_invitation(dana, "oki_short"), ErrorCode::invalid_argument);
}

TEST_CASE("email invitations expire after 30 days by default", "[I3]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  CHECK(issued->invitation.expires_at - t.f.clock->now() == std::chrono::hours(24 * 30));

  t.f.clock->advance(std::chrono::hours(24 * 30) - std::chrono::minutes(1));
  CHECK(t.list(InvitationState::pending).size() == 1);
  t.f.clock->advance(std::chrono::minutes(1));
  CHECK(t.list(InvitationState::pending).empty());
  auto expired = t.list(InvitationState::expired);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].state == InvitationState::expired);
  CHECK(t.list().front().state == InvitationState::expired);  // nothing swept it

  auto late = t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                         issued->token);
  REQUIRE_ERROR(late, ErrorCode::expired);
  CHECK(late.error().message.find("expired") != std::string::npos);

  // An expired invitation never blocks inviting the address again (PITFALLS 9).
  auto again = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(again);
  CHECK(again->refreshed);
  CHECK(again->invitation.id == issued->invitation.id);
  REQUIRE_OK(t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                        again->token));
}

TEST_CASE("expiry is configurable per call and per library instance", "[I3]") {
  ServiceOptions o;
  o.invitations.email_expiry = std::chrono::hours(24 * 7);
  Fixture f(o);
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto week = f.kit->invite(owner, org.id, Invitations::to("a@example.com"));
  REQUIRE_OK(week);
  CHECK(week->invitation.expires_at - f.clock->now() == std::chrono::hours(24 * 7));
  InviteRequest r = Invitations::to("b@example.com");
  r.expires_in = std::chrono::hours(2);
  auto two_hours = f.kit->invite(owner, org.id, r);
  REQUIRE_OK(two_hours);
  CHECK(two_hours->invitation.expires_at - f.clock->now() == std::chrono::hours(2));

  ServiceOptions bad;
  bad.invitations.email_expiry = std::chrono::seconds(0);
  auto storage = open_sqlite(SqliteOptions{});
  REQUIRE_OK(storage);
  auto refused = Service::create(std::move(*storage), bad);
  REQUIRE_ERROR(refused, ErrorCode::invalid_argument);
  CHECK(refused.error().field == "invitations.email_expiry");
}

TEST_CASE("resend: new token and expiry, the old token stops working", "[I4]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  t.f.clock->advance(std::chrono::hours(24 * 10));
  auto resent = t.f.kit->resend_invitation(t.admin, t.org.id, issued->invitation.id);
  REQUIRE_OK(resent);
  CHECK(resent->token != issued->token);
  CHECK(resent->invitation.expires_at - t.f.clock->now() == std::chrono::hours(24 * 30));
  const auto sent = t.f.notifier->messages();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].kind == OutgoingMessage::Kind::resend);
  CHECK(sent[1].body.find(resent->token) != std::string::npos);

  auto dana = Invitations::invitee("dana", "dana@example.com");
  REQUIRE_ERROR(t.f.kit->accept_invitation(dana, issued->token), ErrorCode::not_found);
  REQUIRE_OK(t.f.kit->accept_invitation(dana, resent->token));

  SECTION("only pending invitations; only inviters") {
    REQUIRE_ERROR(t.f.kit->resend_invitation(t.admin, t.org.id, issued->invitation.id),
                  ErrorCode::conflict);
    REQUIRE_ERROR(t.f.kit->resend_invitation(t.member, t.org.id, issued->invitation.id),
                  ErrorCode::permission_denied);
    REQUIRE_ERROR(t.f.kit->resend_invitation(t.admin, t.org.id, InvitationId(999)),
                  ErrorCode::not_found);
  }
}

TEST_CASE("revoke: a revoked invitation cannot be accepted", "[I4]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.owner, t.org.id, Invitations::to("dana@example.com", "owner"));
  REQUIRE_OK(issued);
  // An admin cannot touch an invitation to a role above their own (P4).
  REQUIRE_ERROR(t.f.kit->revoke_invitation(t.admin, t.org.id, issued->invitation.id),
                ErrorCode::permission_denied);
  REQUIRE_ERROR(t.f.kit->revoke_invitation(t.member, t.org.id, issued->invitation.id),
                ErrorCode::permission_denied);
  auto revoked = t.f.kit->revoke_invitation(t.owner, t.org.id, issued->invitation.id);
  REQUIRE_OK(revoked);
  CHECK(revoked->state == InvitationState::revoked);
  auto r = t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                      issued->token);
  REQUIRE_ERROR(r, ErrorCode::revoked);
  REQUIRE_ERROR(t.f.kit->revoke_invitation(t.owner, t.org.id, issued->invitation.id),
                ErrorCode::revoked);
}

TEST_CASE("history keeps every state, pending list shows expiry, paging", "[I4][A1]") {
  Invitations t;
  auto dana = Invitations::invitee("dana", "dana@example.com");
  auto a = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  auto b = t.f.kit->invite(t.admin, t.org.id, Invitations::to("erin@example.com"));
  auto c = t.f.kit->invite(t.admin, t.org.id, Invitations::to("finn@example.com"));
  InviteRequest short_lived = Invitations::to("gus@example.com");
  short_lived.expires_in = std::chrono::hours(1);
  auto d = t.f.kit->invite(t.admin, t.org.id, short_lived);
  auto e = t.f.kit->invite(t.admin, t.org.id, Invitations::to("hal@example.com"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  REQUIRE(d);
  REQUIRE(e);
  REQUIRE_OK(t.f.kit->accept_invitation(dana, a->token));
  REQUIRE_OK(t.f.kit->decline_invitation(Invitations::invitee("erin", "erin@example.com"),
                                         b->token));
  REQUIRE_OK(t.f.kit->revoke_invitation(t.admin, t.org.id, c->invitation.id));
  t.f.clock->advance(std::chrono::hours(2));

  auto all = t.list();
  REQUIRE(all.size() == 5);
  CHECK(all[0].state == InvitationState::pending);  // hal, newest first
  CHECK(all[1].state == InvitationState::expired);  // gus
  CHECK(all[2].state == InvitationState::revoked);
  CHECK(all[3].state == InvitationState::declined);
  CHECK(all[4].state == InvitationState::accepted);
  CHECK(all[4].closed_by == std::optional<UserId>(dana.id));
  auto pending = t.list(InvitationState::pending);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].expires_at > t.f.clock->now());

  InvitationQuery q;
  q.limit = 2;
  std::size_t seen = 0;
  for (;;) {
    auto page = t.f.kit->list_invitations(t.admin, t.org.id, q);
    REQUIRE_OK(page);
    seen += page->items.size();
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  CHECK(seen == 5);

  REQUIRE_ERROR(t.f.kit->list_invitations(t.member, t.org.id), ErrorCode::permission_denied);
  InvitationQuery bad;
  bad.cursor = "x";
  REQUIRE_ERROR(t.f.kit->list_invitations(t.admin, t.org.id, bad), ErrorCode::invalid_argument);

  auto actions = t.f.actions(t.owner, t.org.id);
  for (const char* action : {"invitation.created", "invitation.accepted", "invitation.declined",
                             "invitation.revoked"}) {
    INFO(action);
    CHECK(std::find(actions.begin(), actions.end(), action) != actions.end());
  }
}

TEST_CASE("a second invitation to the same email refreshes the first", "[I8]") {
  Invitations t;
  auto first = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(first);
  t.f.clock->advance(std::chrono::hours(1));
  auto second = t.f.kit->invite(t.admin, t.org.id, Invitations::to("DANA@example.com", "admin"));
  REQUIRE_OK(second);
  CHECK(second->refreshed);
  CHECK(second->invitation.id == first->invitation.id);
  CHECK(second->invitation.role == "admin");
  CHECK(t.list().size() == 1);
  auto dana = Invitations::invitee("dana", "dana@example.com");
  REQUIRE_ERROR(t.f.kit->accept_invitation(dana, first->token), ErrorCode::not_found);
  auto accepted = t.f.kit->accept_invitation(dana, second->token);
  REQUIRE_OK(accepted);
  CHECK(accepted->membership.role == "admin");
  // Now a member: inviting the address again is an error, not a new invitation.
  auto again = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_ERROR(again, ErrorCode::already_exists);
  CHECK(again.error().field == "email");
}

TEST_CASE("tokens: 256 random bits, stored only as a hash", "[I9]") {
  auto a = tokens::generate();
  auto b = tokens::generate();
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  CHECK(a->text != b->text);
  CHECK(a->text.size() == 47);  // "oki_" + 43 base64url characters = 32 bytes
  CHECK(tokens::well_formed(a->text));
  CHECK_FALSE(tokens::well_formed(a->text.substr(1)));
  CHECK_FALSE(tokens::well_formed("oki_" + std::string(43, '*')));
  CHECK(a->hash.size() == 32);
  CHECK(tokens::same_hash(a->hash, tokens::hash(a->text)));
  CHECK_FALSE(tokens::same_hash(a->hash, b->hash));

  // No raw token reaches the database or the audit trail.
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  REQUIRE_OK(t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                        issued->token));
  AuditQuery q;
  q.limit = 1000;
  auto events = t.f.kit->list_audit_events(t.owner, t.org.id, q);
  REQUIRE_OK(events);
  for (const auto& e : events->items) {
    CHECK(e.target.find(issued->token) == std::string::npos);
    for (const auto& c : e.changes) {
      CHECK(c.before.value_or("").find(issued->token) == std::string::npos);
      CHECK(c.after.value_or("").find(issued->token) == std::string::npos);
    }
  }
  if (t.f.file) {
    std::ifstream in(t.f.file->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream wal(t.f.file->path() + "-wal", std::ios::binary);
    bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
    CHECK(bytes.find(issued->token) == std::string::npos);
    CHECK(bytes.find(issued->token.substr(4, 20)) == std::string::npos);
  }
}

TEST_CASE("two threads accepting one token: exactly one wins", "[I9][E3]") {
  Invitations t;
  auto link = t.f.kit->create_invite_link(t.admin, t.org.id, "member", LinkExpiry::one_day);
  REQUIRE_OK(link);
  std::vector<Result<AcceptedInvitation>> results;
  results.reserve(8);
  for (int i = 0; i < 8; ++i) results.emplace_back(fail(Error{}));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      const std::string id = "racer-" + std::to_string(i);
      results[static_cast<std::size_t>(i)] =
          t.f.kit->accept_invitation(Invitations::invitee(id, id + "@example.com"), link->token);
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  int wins = 0;
  for (const auto& r : results) {
    if (r) {
      ++wins;
    } else {
      CHECK(r.error().code == ErrorCode::already_used);
    }
  }
  CHECK(wins == 1);
  auto members = t.f.kit->list_members(t.owner, t.org.id);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 4);  // owner, admin, member, one racer
}

TEST_CASE("a delivery failure keeps the invitation and says so", "[I1]") {
  Invitations t;
  t.f.notifier->fail_deliveries(true);
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  REQUIRE(issued->delivery_error.has_value());
  CHECK(t.list(InvitationState::pending).size() == 1);
  t.f.notifier->fail_deliveries(false);
  auto resent = t.f.kit->resend_invitation(t.admin, t.org.id, issued->invitation.id);
  REQUIRE_OK(resent);
  CHECK_FALSE(resent->delivery_error.has_value());
  CHECK(t.f.notifier->messages().size() == 1);
}

TEST_CASE("message templates are checked when the service is created", "[I1]") {
  ServiceOptions o;
  o.invitations.templates.subject = "Join {organisation}";  // misspelt placeholder
  auto storage = open_sqlite(SqliteOptions{});
  REQUIRE_OK(storage);
  auto r = Service::create(std::move(*storage), o);
  REQUIRE_ERROR(r, ErrorCode::invalid_argument);
  CHECK(r.error().field == "invitations.templates.subject");

  ServiceOptions custom;
  custom.invitations.templates.subject = "{{Acme}} {organization}: {role} for {email}";
  custom.invitations.accept_url_base = "https://app.test/join/";
  Fixture f(custom);
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto issued = f.kit->invite(owner, org.id, Invitations::to("dana@example.com", "viewer"));
  REQUIRE_OK(issued);
  CHECK(issued->accept_url == "https://app.test/join/" + issued->token);
  REQUIRE(f.notifier->messages().size() == 1);
  CHECK(f.notifier->messages()[0].subject == "{Acme} Acme: viewer for dana@example.com");
}

TEST_CASE("inviter names cannot inject headers, templates take bare placeholders only",
          "[I1][E2]") {
  Invitations t;
  Actor eve = t.admin;
  eve.display_name = "Eve\r\nBcc: everyone@victim.test";
  auto injected = t.f.kit->invite(eve, t.org.id, Invitations::to("x@example.com"));
  REQUIRE_ERROR(injected, ErrorCode::invalid_argument);
  CHECK(injected.error().field == "actor.display_name");

  // A multi-line message is fine in the body but never breaks the subject line.
  ServiceOptions o;
  o.invitations.templates.subject = "{inviter}: {message}";
  Fixture f(o);
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  InviteRequest r = Invitations::to("dana@example.com");
  r.message = "line one\r\nBcc: x@y.test";
  REQUIRE_OK(f.kit->invite(owner, org.id, r));
  REQUIRE(f.notifier->messages().size() == 1);
  CHECK(f.notifier->messages()[0].subject.find_first_of("\r\n") == std::string::npos);

  for (const char* bad : {"{organization:>2000000000}", "{role!r}", "{0}", "{}", "a } b",
                          "{organization"}) {
    INFO(bad);
    ServiceOptions b;
    b.invitations.templates.body = bad;
    auto storage = open_sqlite(SqliteOptions{});
    REQUIRE_OK(storage);
    auto refused = Service::create(std::move(*storage), b);
    REQUIRE_ERROR(refused, ErrorCode::invalid_argument);
    CHECK(refused.error().field == "invitations.templates.body");
  }
}

TEST_CASE("re-inviting cannot overwrite an invitation above one's rank", "[I8][P4]") {
  Invitations t;
  auto to_owner = t.f.kit->invite(t.owner, t.org.id, Invitations::to("dana@example.com", "owner"));
  REQUIRE_OK(to_owner);
  auto overwrite = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com", "viewer"));
  REQUIRE_ERROR(overwrite, ErrorCode::permission_denied);
  // The owner's invitation still works.
  auto accepted = t.f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                             to_owner->token);
  REQUIRE_OK(accepted);
  CHECK(accepted->membership.role == "owner");
}

TEST_CASE("an invitation is not resent to someone who became a member", "[I8][I4]") {
  Invitations t;
  auto issued = t.f.kit->invite(t.admin, t.org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  REQUIRE_OK(t.f.kit->add_member(t.owner, t.org.id,
                                 {UserId("dana"), "dana@example.com", "Dana", "viewer"}));
  auto resent = t.f.kit->resend_invitation(t.admin, t.org.id, issued->invitation.id);
  REQUIRE_ERROR(resent, ErrorCode::already_exists);
  CHECK(resent.error().field == "email");
}

TEST_CASE("a notifier that throws loses neither the invitation nor the token", "[I1]") {
  struct Throwing final : Notifier {
    Result<void> deliver(const OutgoingMessage&) override { throw std::runtime_error("smtp"); }
  };
  ServiceOptions o;
  o.notifier = std::make_shared<Throwing>();
  Fixture f(o);
  auto owner = Fixture::user("owner");
  auto org = f.org(owner);
  auto issued = f.kit->invite(owner, org.id, Invitations::to("dana@example.com"));
  REQUIRE_OK(issued);
  REQUIRE(issued->delivery_error.has_value());
  CHECK(issued->delivery_error->find("smtp") != std::string::npos);
  REQUIRE_OK(f.kit->accept_invitation(Invitations::invitee("dana", "dana@example.com"),
                                      issued->token));
}

TEST_CASE("resend keeps the lifetime the invitation was given", "[I4][I3]") {
  Invitations t;
  InviteRequest r = Invitations::to("dana@example.com");
  r.expires_in = std::chrono::hours(24 * 7);
  auto issued = t.f.kit->invite(t.admin, t.org.id, r);
  REQUIRE_OK(issued);
  t.f.clock->advance(std::chrono::hours(24 * 3));
  auto resent = t.f.kit->resend_invitation(t.admin, t.org.id, issued->invitation.id);
  REQUIRE_OK(resent);
  CHECK(resent->invitation.expires_at - t.f.clock->now() == std::chrono::hours(24 * 7));
  const auto sent = t.f.notifier->messages();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].accept_url == resent->accept_url);
  CHECK(sent[1].role == "member");
  CHECK(sent[1].organization_name == "Acme");
  CHECK_FALSE(sent[1].expires_at.empty());
}
