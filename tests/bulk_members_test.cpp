// Bulk role change and bulk removal (issue 8, seed 004's "bulk update tools"): one
// transaction, a result per row, the rules of the single calls row by row (P4, P5, O7), one
// audit event and one after-commit event per changed member (A1, U2).
#include "support/test_support.hpp"

#include <atomic>
#include <mutex>

using namespace orgkit;
using test::Fixture;

namespace {

struct Crew {
  Fixture f;
  Actor owner = Fixture::user("owner");
  Actor owner2 = Fixture::user("owner2");
  Actor admin = Fixture::user("admin");
  Actor m1 = Fixture::user("m1");
  Actor m2 = Fixture::user("m2");
  Actor viewer = Fixture::user("viewer");
  Organization org;
  explicit Crew(ServiceOptions options = {}) : f(std::move(options)) {
    org = f.org(owner);
    f.add(owner, org.id, owner2, "owner");
    f.add(owner, org.id, admin, "admin");
    f.add(owner, org.id, m1, "member");
    f.add(owner, org.id, m2, "member");
    f.add(owner, org.id, viewer, "viewer");
  }
  std::string role_of(const Actor& who) {
    auto m = f.kit->get_membership(owner, org.id, who.id);
    return m ? m->role : "<" + orgkit::to_string(m.error()) + ">";
  }
  std::size_t count(const std::string& action) {
    std::size_t n = 0;
    for (const auto& a : f.actions(owner, org.id)) n += a == action ? 1 : 0;
    return n;
  }
};

class RecordingSink final : public EventSink {
 public:
  Result<void> on_event(const ChangeEvent& e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(e);
    return {};
  }
  std::vector<ChangeEvent> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ChangeEvent> events_;
};

// Fails the `n`th delete_membership of any write transaction with a storage error, as a disk
// that fills up halfway through would.
class FailingDeletes final : public StorageWrapper {
 public:
  FailingDeletes(std::unique_ptr<Storage> target, int n)
      : StorageWrapper(std::move(target)), n_(n) {}
  Result<std::unique_ptr<StorageTransaction>> begin_write(const WriteScope& scope) override {
    auto tx = StorageWrapper::begin_write(scope);
    if (!tx) return tx;
    return std::unique_ptr<StorageTransaction>(std::make_unique<Tx>(std::move(*tx), this));
  }

 private:
  struct Tx final : StorageTransactionWrapper {
    Tx(std::unique_ptr<StorageTransaction> t, FailingDeletes* owner)
        : StorageTransactionWrapper(std::move(t)), owner_(owner) {}
    Result<void> delete_membership(OrgId org, const UserId& user) override {
      if (++owner_->seen_ == owner_->n_) {
        return fail(Error::storage_failure("disk full (test double)"));
      }
      return StorageTransactionWrapper::delete_membership(org, user);
    }
    FailingDeletes* owner_;
  };
  int n_;
  std::atomic<int> seen_{0};
};

}  // namespace

TEST_CASE("bulk role change applies every allowed row in one commit", "[issue8][P4][A1][U2]") {
  auto sink = std::make_shared<RecordingSink>();
  ServiceOptions options;
  options.sinks.push_back(sink);
  Crew t(options);
  const auto before = sink->events().size();

  auto r = t.f.kit->change_member_roles(
      t.admin, t.org.id, {{t.m1.id, "viewer"}, {t.m2.id, "admin"}, {t.viewer.id, "member"}});
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 3);
  CHECK(r->applied == 3);
  CHECK(r->failed == 0);
  for (const auto& row : r->rows) CHECK(row.applied());
  CHECK(r->rows[0].user == t.m1.id);
  CHECK(r->rows[2].user == t.viewer.id);
  CHECK(t.role_of(t.m1) == "viewer");
  CHECK(t.role_of(t.m2) == "admin");
  CHECK(t.role_of(t.viewer) == "member");
  CHECK(t.count("member.role_changed") == 3);

  // One change event per member, all carrying the call's one commit token.
  const auto events = sink->events();
  REQUIRE(events.size() == before + 3);
  for (std::size_t i = before; i < events.size(); ++i) {
    CHECK(events[i].action == "member.role_changed");
    CHECK(events[i].commit_token == r->commit_token);
  }
}

TEST_CASE("bulk role change answers each refused row and still applies the rest",
          "[issue8][P4][P5]") {
  Crew t;
  auto r = t.f.kit->change_member_roles(t.admin, t.org.id,
                                        {{t.owner.id, "member"},        // admin vs owner: P4
                                         {t.m1.id, "admin"},            // allowed
                                         {UserId("ghost"), "member"},   // not a member
                                         {t.m2.id, "no-such-role"},     // unknown role
                                         {UserId(""), "member"},        // malformed id
                                         {t.viewer.id, "owner"},        // above the admin
                                         {t.m2.id, "viewer"}});         // allowed
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 7);
  CHECK(r->applied == 2);
  CHECK(r->failed == 5);
  auto code = [&](std::size_t i) {
    REQUIRE(r->rows[i].error);
    CHECK_FALSE(test::names_rule_id(r->rows[i].error->message));
    return r->rows[i].error->code;
  };
  CHECK(code(0) == ErrorCode::permission_denied);
  CHECK(r->rows[1].applied());
  CHECK(code(2) == ErrorCode::not_found);
  CHECK(r->rows[3].error);
  CHECK(r->rows[3].error->field == "role");
  CHECK(code(4) == ErrorCode::invalid_argument);
  CHECK(code(5) == ErrorCode::permission_denied);
  CHECK(r->rows[5].error->field == "role");
  CHECK(r->rows[6].applied());

  // Refused rows wrote nothing; the allowed ones are applied and audited once each.
  CHECK(t.role_of(t.owner) == "owner");
  CHECK(t.role_of(t.viewer) == "viewer");
  CHECK(t.role_of(t.m1) == "admin");
  CHECK(t.role_of(t.m2) == "viewer");
  CHECK(t.count("member.role_changed") == 2);
}

TEST_CASE("bulk role change rows see the rows before them", "[issue8][O7][P4]") {
  Crew t;
  SECTION("demoting every owner is refused at the last one") {
    auto r = t.f.kit->change_member_roles(t.owner, t.org.id,
                                          {{t.owner2.id, "admin"}, {t.owner.id, "admin"}});
    REQUIRE_OK(r);
    CHECK(r->rows[0].applied());
    REQUIRE(r->rows[1].error);
    CHECK(r->rows[1].error->code == ErrorCode::conflict);
    CHECK(t.role_of(t.owner) == "owner");
    CHECK(t.role_of(t.owner2) == "admin");
  }
  SECTION("an actor who demotes themselves loses their rights for the later rows") {
    auto r = t.f.kit->change_member_roles(t.owner2, t.org.id,
                                          {{t.owner2.id, "admin"}, {t.m1.id, "owner"}});
    REQUIRE_OK(r);
    CHECK(r->rows[0].applied());
    REQUIRE(r->rows[1].error);
    CHECK(r->rows[1].error->code == ErrorCode::permission_denied);
    CHECK(t.role_of(t.m1) == "member");
  }
  SECTION("the same member twice: the second row sees the first") {
    auto r = t.f.kit->change_member_roles(t.admin, t.org.id,
                                          {{t.m1.id, "viewer"}, {t.m1.id, "member"}});
    REQUIRE_OK(r);
    CHECK(r->applied == 2);
    CHECK(t.role_of(t.m1) == "member");
    CHECK(t.count("member.role_changed") == 2);
  }
}

TEST_CASE("bulk role change: the whole call fails only for the call's own errors",
          "[issue8][O9][P3]") {
  Crew t;
  SECTION("an outsider gets not_found, the same as for an unknown organization") {
    auto outsider = t.f.kit->change_member_roles(Fixture::user("stranger"), t.org.id,
                                                 {{t.m1.id, "viewer"}});
    REQUIRE_ERROR(outsider, ErrorCode::not_found);
    auto unknown = t.f.kit->change_member_roles(Fixture::user("stranger"), OrgId(999999),
                                                {{t.m1.id, "viewer"}});
    REQUIRE_ERROR(unknown, ErrorCode::not_found);
    CHECK(outsider.error().field == unknown.error().field);
  }
  SECTION("a member who may not change roles at all is refused whole") {
    REQUIRE_ERROR(t.f.kit->change_member_roles(t.m1, t.org.id, {{t.viewer.id, "member"}}),
                  ErrorCode::permission_denied);
    CHECK(t.role_of(t.viewer) == "viewer");
  }
  SECTION("empty and oversized lists") {
    auto empty = t.f.kit->change_member_roles(t.owner, t.org.id, {});
    REQUIRE_ERROR(empty, ErrorCode::invalid_argument);
    CHECK(empty.error().field == "changes");
    std::vector<MemberRoleChange> many(1001, MemberRoleChange{t.m1.id, "viewer"});
    auto big = t.f.kit->change_member_roles(t.owner, t.org.id, many);
    REQUIRE_ERROR(big, ErrorCode::limit_exceeded);
    CHECK(big.error().field == "changes");
    CHECK(t.role_of(t.m1) == "member");
    many.resize(1000);
    REQUIRE_OK(t.f.kit->change_member_roles(t.owner, t.org.id, many));
  }
}

TEST_CASE("bulk removal removes allowed rows, answers the others", "[issue8][P4][O7][A1]") {
  Crew t;
  auto r = t.f.kit->remove_members(t.admin, t.org.id,
                                   {t.m1.id, t.owner.id, UserId("ghost"), t.viewer.id});
  REQUIRE_OK(r);
  REQUIRE(r->rows.size() == 4);
  CHECK(r->applied == 2);
  CHECK(r->rows[0].applied());
  REQUIRE(r->rows[1].error);
  CHECK(r->rows[1].error->code == ErrorCode::permission_denied);
  REQUIRE(r->rows[2].error);
  CHECK(r->rows[2].error->code == ErrorCode::not_found);
  CHECK(r->rows[3].applied());
  CHECK(t.role_of(t.m1) == "<not_found (user_id): 'm1' is not a member>");
  CHECK(t.role_of(t.owner) == "owner");
  CHECK(t.count("member.removed") == 2);

  SECTION("a row naming the actor is leaving, with its rules") {
    auto last = t.f.kit->remove_members(t.owner, t.org.id, {t.owner2.id, t.owner.id, t.m2.id});
    REQUIRE_OK(last);
    CHECK(last->rows[0].applied());
    REQUIRE(last->rows[1].error);
    CHECK(last->rows[1].error->code == ErrorCode::conflict);  // the last owner cannot leave
    CHECK(last->rows[2].applied());
    CHECK(t.role_of(t.owner) == "owner");
    CHECK(t.count("member.left") == 0);
  }
  SECTION("bad input") {
    REQUIRE_ERROR(t.f.kit->remove_members(t.owner, t.org.id, {}), ErrorCode::invalid_argument);
    REQUIRE_ERROR(t.f.kit->remove_members(t.m2, t.org.id, {t.admin.id}),
                  ErrorCode::permission_denied);
    CHECK(t.role_of(t.admin) == "admin");
    REQUIRE_ERROR(t.f.kit->remove_members(Fixture::user("x", "other"), t.org.id, {t.m2.id}),
                  ErrorCode::not_found);
  }
}

TEST_CASE("bulk removal: a storage failure on a later row rolls back every row",
          "[issue8][S2]") {
  Crew t;  // for its population helpers only
  auto backend = open_sqlite(SqliteOptions{});
  REQUIRE_OK(backend);
  auto kit = Service::create(std::make_unique<FailingDeletes>(std::move(*backend), 2));
  REQUIRE_OK(kit);
  NewOrganization spec;
  spec.name = "Acme";
  auto org = (*kit)->create_organization(t.owner, spec);
  REQUIRE_OK(org);
  for (const auto* who : {&t.m1, &t.m2}) {
    REQUIRE_OK((*kit)->add_member(t.owner, org->id,
                                  {who->id, who->email, who->display_name, "member"}));
  }
  auto r = (*kit)->remove_members(t.owner, org->id, {t.m1.id, t.m2.id});
  REQUIRE_ERROR(r, ErrorCode::storage);
  // The first row's removal was undone with the rest: both are still members, no events.
  auto members = (*kit)->list_members(t.owner, org->id);
  REQUIRE_OK(members);
  CHECK(members->items.size() == 3);
  auto audit = (*kit)->list_audit_events(t.owner, org->id);
  REQUIRE_OK(audit);
  for (const auto& e : audit->items) CHECK(e.action != "member.removed");
}
