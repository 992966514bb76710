// Plans and seats (I7): invitations only on plans that allow them; seat limits on invite,
// accept and direct adds; pending invitations hold seats when configured.
#include "support/test_support.hpp"

using namespace orgkit;
using test::Fixture;

namespace {

ServiceOptions plans(bool pending_use_seats) {
  ServiceOptions o;
  o.plans.plans = {{"free", false, 3}, {"pro", true, 4}, {"enterprise", true, std::nullopt}};
  o.plans.default_plan = "free";
  o.plans.pending_invitations_use_seats = pending_use_seats;
  return o;
}

InviteRequest to(const std::string& email) {
  InviteRequest r;
  r.email = email;
  r.role = "member";
  return r;
}

}  // namespace

TEST_CASE("invitations only on plans that allow them", "[I7]") {
  Fixture f(plans(false));
  auto owner = Fixture::user("owner");
  auto admin = Fixture::user("admin");
  auto org = f.org(owner);
  CHECK(org.plan == "free");
  auto refused = f.kit->invite(owner, org.id, to("a@x.test"));
  REQUIRE_ERROR(refused, ErrorCode::permission_denied);
  CHECK(refused.error().field == "plan");
  // Nor may members add members on such a plan (001); the host still provisions.
  auto added = f.kit->add_member(owner, org.id, {admin.id, admin.email, "", "admin"});
  REQUIRE_ERROR(added, ErrorCode::permission_denied);
  CHECK(added.error().field == "plan");
  f.add(Actor::host(), org.id, admin, "admin");
  REQUIRE_ERROR(f.kit->set_plan(admin, org.id, "pro"), ErrorCode::permission_denied);  // billing
  REQUIRE_ERROR(f.kit->set_plan(owner, org.id, "platinum"), ErrorCode::not_found);
  auto pro = f.kit->set_plan(owner, org.id, "pro");
  REQUIRE_OK(pro);
  CHECK(pro->plan == "pro");
  REQUIRE_OK(f.kit->invite(owner, org.id, to("a@x.test")));
  CHECK(f.actions(owner, org.id)[1] == "organization.plan_changed");
}

TEST_CASE("seat limits on invite, accept and add", "[I7]") {
  Fixture f(plans(false));
  auto owner = Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "pro";  // 4 seats
  auto org = f.kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  f.add(owner, org->id, Fixture::user("m1"), "member");
  auto inv2 = f.kit->invite(owner, org->id, to("m2@example.com"));
  auto inv3 = f.kit->invite(owner, org->id, to("m3@example.com"));
  auto inv4 = f.kit->invite(owner, org->id, to("m4@example.com"));
  REQUIRE_OK(inv2);
  REQUIRE_OK(inv3);
  REQUIRE_OK(inv4);  // pending invitations hold no seat in this configuration
  REQUIRE_OK(f.kit->accept_invitation(Fixture::user("m2"), inv2->token));
  REQUIRE_OK(f.kit->accept_invitation(Fixture::user("m3"), inv3->token));
  auto full = f.kit->accept_invitation(Fixture::user("m4"), inv4->token);
  REQUIRE_ERROR(full, ErrorCode::limit_exceeded);
  CHECK(full.error().field == "plan.max_members");
  CHECK(full.error().message.find("4") != std::string::npos);
  REQUIRE_ERROR(f.kit->invite(owner, org->id, to("m5@example.com")), ErrorCode::limit_exceeded);
  REQUIRE_ERROR(f.kit->add_member(owner, org->id, {UserId("m5"), "m5@example.com", "", "member"}),
                ErrorCode::limit_exceeded);
  // With no seat left, adding someone who is already a member says so, not "no seat": the
  // membership is looked up once the seat check refuses.
  auto again = f.kit->add_member(owner, org->id, {UserId("m1"), "m1@example.com", "", "member"});
  REQUIRE_ERROR(again, ErrorCode::already_exists);
  CHECK(again.error().field == "user_id");
  REQUIRE_ERROR(f.kit->set_plan(owner, org->id, "free"), ErrorCode::limit_exceeded);
  REQUIRE_OK(f.kit->set_plan(owner, org->id, "enterprise"));
  REQUIRE_OK(f.kit->accept_invitation(Fixture::user("m4"), inv4->token));
}

TEST_CASE("pending invitations hold seats when configured", "[I7]") {
  Fixture f(plans(true));
  auto owner = Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "pro";  // 4 seats: owner + 3
  auto org = f.kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  REQUIRE_OK(f.kit->invite(owner, org->id, to("a@x.test")));
  REQUIRE_OK(f.kit->invite(owner, org->id, to("b@x.test")));
  auto c = f.kit->invite(owner, org->id, to("c@x.test"));
  REQUIRE_OK(c);
  auto d = f.kit->invite(owner, org->id, to("d@x.test"));
  REQUIRE_ERROR(d, ErrorCode::limit_exceeded);
  CHECK(d.error().message.find("pending") != std::string::npos);
  // Refreshing a pending invitation takes no new seat.
  REQUIRE_OK(f.kit->invite(owner, org->id, to("a@x.test")));
  // Revoking frees one.
  REQUIRE_OK(f.kit->revoke_invitation(owner, org->id, c->invitation.id));
  REQUIRE_OK(f.kit->invite(owner, org->id, to("d@x.test")));
  // A CSV import counts its own rows against the seats.
  auto csv = f.kit->import_invitations_csv(owner, org->id, "email,role\ne@x.test,member\n");
  REQUIRE_OK(csv);
  REQUIRE(csv->rows.size() == 1);
  CHECK(csv->rows[0].error->code == ErrorCode::limit_exceeded);
}

TEST_CASE("plan options are validated", "[I7][E2]") {
  auto check = [](ServiceOptions o, const std::string& field) {
    auto storage = open_sqlite(SqliteOptions{});
    REQUIRE_OK(storage);
    auto r = Service::create(std::move(*storage), std::move(o));
    REQUIRE_ERROR(r, ErrorCode::invalid_argument);
    CHECK(r.error().field == field);
  };
  auto o = plans(false);
  o.plans.default_plan = "gold";
  check(o, "plans.default_plan");
  o = plans(false);
  o.plans.plans.push_back({"pro", true, 9});
  check(o, "plans.plans[3].name");
  o = plans(false);
  o.plans.plans[1].max_members = 0;
  check(o, "plans.plans[1].max_members");
  Fixture f(plans(false));
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "gold";
  auto r = f.kit->create_organization(Fixture::user("owner"), spec);
  REQUIRE_ERROR(r, ErrorCode::not_found);
  CHECK(r.error().field == "plan");
}

TEST_CASE("a plan without invitations honours no pending ones", "[I7]") {
  Fixture f(plans(false));
  auto owner = Fixture::user("owner");
  NewOrganization spec;
  spec.name = "Acme";
  spec.plan = "pro";
  auto org = f.kit->create_organization(owner, spec);
  REQUIRE_OK(org);
  auto inv = f.kit->invite(owner, org->id, to("a@x.test"));
  REQUIRE_OK(inv);
  REQUIRE_OK(f.kit->set_plan(owner, org->id, "free"));
  REQUIRE_ERROR(f.kit->resend_invitation(owner, org->id, inv->invitation.id),
                ErrorCode::permission_denied);
  auto accept = f.kit->accept_invitation(Actor{UserId("a"), "a@x.test", "", default_tenant()},
                                         inv->token);
  REQUIRE_ERROR(accept, ErrorCode::permission_denied);
  CHECK(accept.error().field == "plan");
  REQUIRE_OK(f.kit->decline_invitation(Actor{UserId("a"), "a@x.test", "", default_tenant()},
                                       inv->token));
}
