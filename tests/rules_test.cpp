// The rules as pure functions (src/rules/): plain values in, decisions out, no storage. Where
// the domain is small the test is exhaustive: every actor role x target role of the standard
// policy, every invitation state x expired or not.
#include "support/test_support.hpp"

#include "rules/rules.hpp"

using namespace orgkit;

namespace {

const PermissionPolicy& standard() { return PermissionPolicy::standard(); }

const RoleDefinition& role(const char* name) {
  const RoleDefinition* r = standard().find_role(name);
  REQUIRE(r != nullptr);
  return *r;
}

Invitation invitation(InvitationState state, Timestamp expires) {
  Invitation inv;
  inv.state = state;
  inv.expires_at = expires;
  return inv;
}

}  // namespace

TEST_CASE("rank rule, every pair of standard roles", "[P4][rules]") {
  const char* names[] = {"owner", "admin", "member", "viewer"};
  // grant[a][t]: may a holder of a grant t; manage[a][t]: may a holder of a change or remove
  // a holder of t. Owners manage owners (peers); nobody else manages a peer or a higher rank.
  const bool grant[4][4] = {{true, true, true, true},
                            {false, true, true, true},
                            {false, false, true, true},
                            {false, false, false, true}};
  const bool manage[4][4] = {{true, true, true, true},
                             {false, false, true, true},
                             {false, false, false, true},
                             {false, false, false, false}};
  for (int a = 0; a < 4; ++a) {
    for (int t = 0; t < 4; ++t) {
      INFO(names[a] << " -> " << names[t]);
      CHECK(PermissionPolicy::may_grant(role(names[a]), role(names[t])) == grant[a][t]);
      CHECK(PermissionPolicy::may_manage(role(names[a]), role(names[t])) == manage[a][t]);
    }
  }
}

TEST_CASE("last owner: an organization always keeps one", "[O7][rules]") {
  for (std::int64_t owners : {0, 1, 2, 3}) {
    for (const char* losing : {"owner", "admin", "member", "viewer", "custom-role"}) {
      INFO(owners << " owners, losing " << losing);
      auto r = rules::owner_remains(standard(), losing, owners, "u-1", "leaving");
      const bool refused = std::string(losing) == "owner" && owners <= 1;
      CHECK(r.has_value() == !refused);
      if (refused) {
        CHECK(r.error().code == ErrorCode::conflict);
        CHECK(r.error().field == "user_id");
        CHECK(r.error().message.find("'u-1' is the last owner; leaving") != std::string::npos);
      }
    }
  }
}

TEST_CASE("seats: a plan's limit is a hard ceiling", "[I7][rules]") {
  const Plan pro{"pro", true, 5};
  const Plan unlimited{"enterprise", true, std::nullopt};
  CHECK(rules::seats_fit(nullptr, 1000, 1, false).has_value());
  CHECK(rules::seats_fit(&unlimited, 1000, 1, false).has_value());
  CHECK(rules::seats_fit(&pro, 4, 1, false).has_value());
  CHECK(rules::seats_fit(&pro, 0, 5, false).has_value());
  auto full = rules::seats_fit(&pro, 5, 1, true);
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().code == ErrorCode::limit_exceeded);
  CHECK(full.error().field == "plan.max_members");
  CHECK(full.error().message == "plan 'pro' allows 5 members and 5 seats are taken by members "
                                "and pending invitations");
  CHECK_FALSE(rules::seats_fit(&pro, 3, 3, false).has_value());

  const Plan free_plan{"free", false, 1};
  CHECK(rules::invitations_allowed(nullptr).has_value());
  CHECK(rules::invitations_allowed(&pro).has_value());
  auto gated = rules::invitations_allowed(&free_plan);
  REQUIRE_FALSE(gated.has_value());
  CHECK(gated.error().code == ErrorCode::permission_denied);
  CHECK(gated.error().field == "plan");
}

TEST_CASE("invitation state machine: every stored state, expired or not", "[I4][I5][rules]") {
  const Timestamp now = from_unix_ms(1'700'000'000'000);
  const Timestamp later = now + std::chrono::hours(1);
  const Timestamp past = now - std::chrono::hours(1);
  struct Row {
    InvitationState state;
    bool expired;
    std::optional<ErrorCode> open;    // accepting or declining by token
    std::optional<ErrorCode> manage;  // resending or revoking by the organization
    InvitationState seen;             // as listed
  };
  const Row rows[] = {
      {InvitationState::pending, false, std::nullopt, std::nullopt, InvitationState::pending},
      {InvitationState::pending, true, ErrorCode::expired, std::nullopt, InvitationState::expired},
      {InvitationState::accepted, false, ErrorCode::already_used, ErrorCode::conflict,
       InvitationState::accepted},
      {InvitationState::accepted, true, ErrorCode::already_used, ErrorCode::conflict,
       InvitationState::accepted},
      {InvitationState::revoked, false, ErrorCode::revoked, ErrorCode::revoked,
       InvitationState::revoked},
      {InvitationState::revoked, true, ErrorCode::revoked, ErrorCode::revoked,
       InvitationState::revoked},
      {InvitationState::declined, false, ErrorCode::conflict, ErrorCode::conflict,
       InvitationState::declined},
      {InvitationState::declined, true, ErrorCode::conflict, ErrorCode::conflict,
       InvitationState::declined},
  };
  for (const Row& row : rows) {
    INFO(to_string(row.state) << (row.expired ? ", expired" : ""));
    const Invitation inv = invitation(row.state, row.expired ? past : later);
    auto open = rules::may_open(inv, now);
    CHECK(open.has_value() == !row.open);
    if (row.open && !open) CHECK(open.error().code == *row.open);
    auto manage = rules::may_manage(inv);
    CHECK(manage.has_value() == !row.manage);
    if (row.manage && !manage) CHECK(manage.error().code == *row.manage);
    CHECK(rules::effective_state(inv, now) == row.seen);
  }
  // The boundary: an invitation expiring exactly now is expired.
  CHECK_FALSE(rules::may_open(invitation(InvitationState::pending, now), now).has_value());
}

TEST_CASE("custom roles: one representation for the check and the operations", "[P6][rules]") {
  const auto& p = standard();
  const auto invite = *p.permission("members:invite");
  const auto read = *p.permission("members:read");
  const auto del = *p.permission("org:delete");
  const auto set = rules::permission_set(p, "members:read members:invite");
  CHECK(set.test(invite.index));
  CHECK(set.test(read.index));
  CHECK(set.count() == 2);
  CHECK(rules::permission_set(p, "").none());
  CHECK(rules::permission_set(p, "docs:write members:read").count() == 1);  // unknown: nothing
  CHECK(rules::permission_set(p, "members:rea members:readx").none());      // exact names only

  // A custom role grants what it lists; a policy role of the same name wins; a role that no
  // longer exists grants nothing.
  CHECK(rules::grants(p, "reviewer", true, "members:read", read));
  CHECK_FALSE(rules::grants(p, "reviewer", true, "members:read", invite));
  CHECK_FALSE(rules::grants(p, "viewer", true, "org:delete", del));
  CHECK(rules::grants(p, "owner", false, "", del));
  CHECK_FALSE(rules::grants(p, "gone", false, "", read));
  CHECK_FALSE(rules::grants(p, "reviewer", true, "members:read", Permission{max_permissions}));
}
