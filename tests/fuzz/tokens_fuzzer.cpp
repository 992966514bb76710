// Fuzz target: bytes -> every entry point that reads a token, key or cursor from outside:
// preview_invitation, decline_invitation, accept_invitation, verify_api_key,
// verify_tenant_key, CommitToken::parse (and check at that token), and the list cursors
// (members, roster, invitations, audit, tenant organizations). The Service holds a real email
// invitation, a real link, a revoked invitation, a real API key, a revoked API key and a real
// tenant key, each issued afresh per input.
//
// Input: the first byte picks what is presented: the bytes that follow as they are (mode 0),
// or one of the real secrets edited by the bytes that follow, three at a time (replace,
// insert, erase, truncate, append): so the seed corpus can hold "the real invitation token"
// (one byte, no edits), which checks that the positive path still works, and the fuzzer
// starts from the near misses that matter most.
//
// Invariants, each a trap when broken:
//   - nothing is accepted unless it is exactly a real, live secret of the right kind and
//     tenant; the real ones are accepted (once, for an invitation);
//   - every refusal is typed, with the code the contract names (invalid_argument for a
//     malformed text, not_found for an unknown one, revoked for a revoked one ...), never a
//     storage error, and never quotes a secret;
//   - CommitToken::parse accepts only the text to_string() gives back; a check at any token it
//     accepts answers; a cursor is either a page or invalid_argument (field "cursor");
//   - no exception escapes, nothing crashes.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace orgkit;
using fuzz::describe;
using fuzz::guarded;

struct World {
  std::unique_ptr<Service> kit;
  Actor owner{UserId("owner"), "owner@example.com", "Owner"};
  Actor invitee{UserId("invitee"), "invitee@example.com", "Invitee"};
  Actor stranger{UserId("stranger"), "stranger@example.com", "Stranger"};
  TenantId other{"other"};
  OrgId org;
  std::string invitation, link, revoked_invitation;  // oki_ tokens
  InvitationId invitation_id, link_id;
  std::string api_key, revoked_api_key;  // okk_ keys
  ApiKeyId api_key_id;
  std::string tenant_key;  // otk_, tenant "default"
  std::vector<std::string> secrets() const {
    return {invitation, link, revoked_invitation, api_key, revoked_api_key, tenant_key};
  }
};

template <class R>
auto ok(R result, const char* what) {
  if (!result) fuzz::violated(what, describe(result.error()));
  return std::move(*result);
}

World make_world() {
  ServiceOptions options;
  options.clock = fuzz::fixed_clock();
  options.check_cache_capacity = 16;
  World w;
  w.kit = fuzz::open_memory_service(std::move(options));
  NewOrganization spec;
  spec.name = "Acme";
  w.org = ok(w.kit->create_organization(w.owner, spec), "the fixture's organization").id;
  auto inv = ok(w.kit->invite(w.owner, w.org, {"invitee@example.com", "member", "", "", {}}),
                "the fixture's invitation");
  w.invitation = inv.token;
  w.invitation_id = inv.invitation.id;
  auto link = ok(w.kit->create_invite_link(w.owner, w.org, "viewer", LinkExpiry::seven_days),
                 "the fixture's link");
  w.link = link.token;
  w.link_id = link.invitation.id;
  auto gone = ok(w.kit->invite(w.owner, w.org, {"gone@example.com", "member", "", "", {}}),
                 "the fixture's second invitation");
  w.revoked_invitation = gone.token;
  ok(w.kit->revoke_invitation(w.owner, w.org, gone.invitation.id), "revoking an invitation");
  auto key = ok(w.kit->create_api_key(w.owner, w.org, {"ci", "member", {}}), "the fixture's key");
  w.api_key = key.secret;
  w.api_key_id = key.key.id;
  auto old = ok(w.kit->create_api_key(w.owner, w.org, {"old", "admin", {}}), "a second key");
  w.revoked_api_key = old.secret;
  ok(w.kit->revoke_api_key(w.owner, w.org, old.key.id), "revoking a key");
  w.tenant_key = ok(w.kit->create_tenant_key(Actor::host(), {"ops", {}}), "a tenant key").secret;
  return w;
}

// The presented text: the input as it is, or a real secret with the input's edits.
std::string presented(const World& w, const std::uint8_t* data, std::size_t size) {
  const std::uint8_t mode = data[0];
  ++data;
  --size;
  if (mode % 8 == 0) return std::string(reinterpret_cast<const char*>(data), size);
  const std::string* bases[] = {
      &w.invitation,      &w.link,       &w.revoked_invitation, &w.api_key,
      &w.revoked_api_key, &w.tenant_key, &w.invitation};
  std::string text = *bases[mode % 8 - 1];
  for (std::size_t i = 0; i + 3 <= size; i += 3) {
    const std::size_t at = text.empty() ? 0 : data[i + 1] % (text.size() + 1);
    const char c = static_cast<char>(data[i + 2]);
    switch (data[i] % 5) {
      case 0:
        if (at < text.size()) text[at] = c;
        break;
      case 1:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      case 2:
        if (at < text.size()) text.erase(at, 1);
        break;
      case 3:
        text.resize(at);
        break;
      default:
        text.push_back(c);
    }
  }
  return text;
}

// A refusal: typed, one of `codes`, not storage trouble, and quoting no secret.
void refused(const World& w, const Error& e, std::string_view call, std::string_view text,
             std::initializer_list<ErrorCode> codes) {
  fuzz::require_typed(e, call);
  bool expected = false;
  for (auto c : codes) expected = expected || e.code == c;
  ORGKIT_FUZZ_REQUIRE(expected, std::string(call) + " refused with an unexpected code: " +
                                    describe(e) + " for '" + std::string(text) + "'");
  for (const auto& s : w.secrets()) {
    ORGKIT_FUZZ_REQUIRE(!fuzz::mentions(e.message, s) && !fuzz::mentions(e.field, s),
                        std::string(call) + ": an error quotes a secret");
  }
  // What was presented, when it is shaped like a secret (a near miss is as good as the real
  // one to someone reading logs). Other text may well be part of a message by chance.
  const bool secret_shaped =
      text.size() >= 20 &&
      (text.rfind("oki_", 0) == 0 || text.rfind("okk_", 0) == 0 || text.rfind("otk_", 0) == 0);
  if (secret_shaped) {
    ORGKIT_FUZZ_REQUIRE(!fuzz::mentions(e.message, text),
                        std::string(call) + ": an error quotes the presented secret");
  }
}

void invitations(World& w, const std::string& text) {
  const bool live = text == w.invitation || text == w.link;
  const bool revoked = text == w.revoked_invitation;
  for (const bool own : {false, true}) {  // presented in another tenant, then in its own
    const TenantId t = own ? default_tenant() : w.other;
    auto seen = guarded("preview_invitation", [&] { return w.kit->preview_invitation(text, t); });
    if (seen) {
      ORGKIT_FUZZ_REQUIRE(live && own,
                          "preview_invitation opened only a live token of its own tenant");
      ORGKIT_FUZZ_REQUIRE(seen->id == (text == w.link ? w.link_id : w.invitation_id),
                          "preview_invitation opened its own invitation");
    } else if (revoked && own) {
      refused(w, seen.error(), "preview_invitation", text, {ErrorCode::revoked});
    } else {
      ORGKIT_FUZZ_REQUIRE(!live || !own, "a live token previews: " + describe(seen.error()));
      refused(w, seen.error(), "preview_invitation", text,
              {ErrorCode::invalid_argument, ErrorCode::not_found});
    }
  }
  // A stranger declines nothing: an email invitation is someone else's, a link is not declined.
  auto declined =
      guarded("decline_invitation", [&] { return w.kit->decline_invitation(w.stranger, text); });
  ORGKIT_FUZZ_REQUIRE(!declined, "a stranger declined an invitation");
  refused(w, declined.error(), "decline_invitation", text,
          {ErrorCode::invalid_argument, ErrorCode::not_found, ErrorCode::revoked,
           ErrorCode::permission_denied, ErrorCode::conflict});

  auto accepted =
      guarded("accept_invitation", [&] { return w.kit->accept_invitation(w.invitee, text); });
  if (!accepted) {
    ORGKIT_FUZZ_REQUIRE(!live, "a live token is accepted: " + describe(accepted.error()));
    refused(w, accepted.error(), "accept_invitation", text,
            {ErrorCode::invalid_argument, ErrorCode::not_found, ErrorCode::revoked});
    return;
  }
  ORGKIT_FUZZ_REQUIRE(live, "accept_invitation accepted only a live token");
  ORGKIT_FUZZ_REQUIRE(accepted->membership.user == w.invitee.id &&
                          accepted->email_verified == (text == w.invitation),
                      "accepting makes the invitee a member; only an email proves an address");
  auto again =
      guarded("accept_invitation", [&] { return w.kit->accept_invitation(w.invitee, text); });
  ORGKIT_FUZZ_REQUIRE(!again && again.error().code == ErrorCode::already_used,
                      "a token is accepted once");
  auto preview = guarded("preview_invitation", [&] { return w.kit->preview_invitation(text); });
  ORGKIT_FUZZ_REQUIRE(!preview && preview.error().code == ErrorCode::already_used,
                      "a used token previews as used");
}

void keys(World& w, const std::string& text) {
  auto key = guarded("verify_api_key", [&] { return w.kit->verify_api_key(text); });
  if (key) {
    ORGKIT_FUZZ_REQUIRE(text == w.api_key && key->key.id == w.api_key_id && key->key.org == w.org,
                        "verify_api_key accepted only the real key, as itself");
    ORGKIT_FUZZ_REQUIRE(key->key.role == "member" && !key->allows("members:invite"),
                        "a key acts with its own role");
  } else if (text == w.revoked_api_key) {
    refused(w, key.error(), "verify_api_key", text, {ErrorCode::revoked});
  } else {
    ORGKIT_FUZZ_REQUIRE(text != w.api_key, "the real key verifies: " + describe(key.error()));
    refused(w, key.error(), "verify_api_key", text,
            {ErrorCode::invalid_argument, ErrorCode::not_found});
  }
  for (const bool own : {false, true}) {  // presented in another tenant, then in its own
    const TenantId t = own ? default_tenant() : w.other;
    auto admin = guarded("verify_tenant_key", [&] { return w.kit->verify_tenant_key(text, t); });
    if (admin) {
      ORGKIT_FUZZ_REQUIRE(text == w.tenant_key && own,
                          "verify_tenant_key accepted only the real key, in its own tenant");
      ORGKIT_FUZZ_REQUIRE(admin->actor.kind == PrincipalKind::tenant_admin &&
                              admin->actor.tenant == default_tenant(),
                          "a tenant key makes an administrator of its own tenant");
    } else {
      ORGKIT_FUZZ_REQUIRE(text != w.tenant_key || !own,
                          "the real tenant key verifies: " + describe(admin.error()));
      refused(w, admin.error(), "verify_tenant_key", text,
              {ErrorCode::invalid_argument, ErrorCode::not_found});
    }
  }
}

void commit_token(World& w, const std::string& text) {
  auto token = guarded("CommitToken::parse", [&] { return CommitToken::parse(text); });
  if (!token) {
    refused(w, token.error(), "CommitToken::parse", text, {ErrorCode::invalid_argument});
    ORGKIT_FUZZ_REQUIRE(token.error().field == "commit_token", "the field is commit_token");
    return;
  }
  ORGKIT_FUZZ_REQUIRE(
      token->to_string() == text,
      "CommitToken::parse accepts one spelling only: '" + text + "' read as " + token->to_string());
  auto may = guarded("check at a token",
                     [&] { return w.kit->check(w.owner, w.org, "members:read", *token); });
  ORGKIT_FUZZ_REQUIRE(may && *may, "a check at any token answers, and answers truly: " +
                                       (may ? std::string("false") : describe(may.error())));
}

template <class Call>
void cursor(World& w, const std::string& text, const char* call, Call&& list) {
  auto page = guarded(call, list);
  if (page) return;
  refused(w, page.error(), call, text, {ErrorCode::invalid_argument});
  ORGKIT_FUZZ_REQUIRE(
      page.error().field == "cursor",
      std::string(call) + ": a bad cursor names the cursor: " + describe(page.error()));
}

void cursors(World& w, const std::string& text) {
  MemberQuery members;
  members.cursor = text;
  cursor(w, text, "list_members", [&] { return w.kit->list_members(w.owner, w.org, members); });
  RosterQuery roster;
  roster.cursor = text;
  cursor(w, text, "list_roster", [&] { return w.kit->list_roster(w.owner, w.org, roster); });
  InvitationQuery invitations;
  invitations.cursor = text;
  cursor(w, text, "list_invitations",
         [&] { return w.kit->list_invitations(w.owner, w.org, invitations); });
  AuditQuery audit;
  audit.cursor = text;
  cursor(w, text, "list_audit_events",
         [&] { return w.kit->list_audit_events(w.owner, w.org, audit); });
  OrganizationQuery orgs;
  orgs.cursor = text;
  cursor(w, text, "list_tenant_organizations",
         [&] { return w.kit->list_tenant_organizations(Actor::host(), orgs); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  World w = make_world();
  const std::string text = presented(w, data, size);
  keys(w, text);
  commit_token(w, text);
  cursors(w, text);
  invitations(w, text);  // last: accepting changes the organization
  return 0;
}
