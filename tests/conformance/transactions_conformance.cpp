// Conformance: transactions and commit tokens (begin_read, begin_write, commit). See
// TRANSACTIONS in storage.hpp. Checklist in conformance.hpp.
//
// Cases with a second thread check only what every backend promises: a store may let the
// other transaction run at once (SQLite on a file: WAL) or make it wait until the first one
// ends (SQLite in memory has one connection). Each thread records what it saw; only the
// main thread asserts (Catch's assertions are not thread-safe).
#include "conformance/conformance.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace orgkit;
using namespace orgkit::conformance;
using namespace std::chrono_literals;

namespace {

// What a transaction on another thread saw and how it ended.
struct Outcome {
  std::optional<Error> error;
  std::int64_t members_seen = -1;  // count_memberships as it read it
  CommitToken token;
};

// Runs one write transaction on another thread: counts acme's members, adds `user`, commits.
// `began` turns true once begin_write has returned.
std::future<Outcome> add_member_async(Storage& storage, OrgId org, std::string user,
                                      std::atomic<bool>& began) {
  return std::async(std::launch::async, [&storage, org, user, &began]() {
    Outcome o;
    auto tx = storage.begin_write(WriteScope{tenant_a(), {org}});
    began = true;
    if (!tx) {
      o.error = tx.error();
      return o;
    }
    auto seen = (*tx)->count_memberships(org, std::nullopt);
    auto added = seen ? (*tx)->insert_membership(tenant_a(), member_spec(org, user, "member"))
                      : Result<void>(fail(seen.error()));
    auto token = added ? (*tx)->commit() : Result<CommitToken>(fail(added.error()));
    if (seen) o.members_seen = *seen;
    if (token) {
      o.token = *token;
    } else {
      o.error = token.error();
    }
    return o;
  });
}

// Waits up to `limit` for `flag`; false if it stayed false.
bool wait_for_flag(const std::atomic<bool>& flag, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!flag && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
  return flag;
}

CommitToken token_of_read(Storage& storage) {
  auto rtx = begin_read(storage);
  return commit(rtx);
}

CommitToken token_of_insert(Storage& storage, const std::string& slug, const TenantId& tenant) {
  auto tx = begin_write(storage, tenant);
  REQUIRE_VALUE(tx->insert_organization(org_spec(slug, tenant)));
  return commit(tx);
}

}  // namespace

TEST_CASE("begin_write: committed writes are visible; destroyed without commit, nothing is",
          "[transactions][begin_write][commit]") {
  auto storage = make_backend();
  OrgId kept;
  {
    auto tx = begin_write(*storage, tenant_a());
    kept = REQUIRE_VALUE(tx->insert_organization(org_spec("kept")));
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(kept, "u1", "owner")));
    commit(tx);
  }
  {
    auto tx = begin_write(*storage, tenant_a(), {kept});
    REQUIRE_VALUE(tx->insert_organization(org_spec("dropped")));
    REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(kept, "u2", "member")));
    REQUIRE_OK(tx->update_membership_role(kept, UserId("u1"), "admin"));
    REQUIRE_VALUE(tx->append_audit_event(event_spec(tenant_a(), kept, "dropped")));
  }  // destroyed without commit: everything above rolls back
  auto rtx = begin_read(*storage);
  CHECK(REQUIRE_VALUE(rtx->find_organization(tenant_a(), kept)).has_value());
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "dropped")));
  CHECK(REQUIRE_VALUE(rtx->count_memberships(kept, std::nullopt)) == 1);
  CHECK(REQUIRE_SOME(rtx->find_membership(tenant_a(), kept, UserId("u1"))).role == "owner");
  CHECK(REQUIRE_VALUE(rtx->list_audit_events(tenant_a(), kept, {}, 10)).empty());
}

TEST_CASE("commit: a committed write's token is greater than every token before it",
          "[transactions][commit]") {
  auto storage = make_backend();
  const auto empty = token_of_read(*storage);
  const auto t1 = token_of_insert(*storage, "one", tenant_a());
  const auto t2 = token_of_insert(*storage, "two", tenant_b());  // another tenant: same order
  auto tx = begin_write(*storage, tenant_a());
  REQUIRE_OK(tx->set_active_organization(tenant_a(), UserId("u1"), std::nullopt));
  const auto t3 = commit(tx);
  CHECK(empty < t1);
  CHECK(t1 < t2);
  CHECK(t2 < t3);
  // Tokens survive their text form (hosts store them in sessions and headers).
  CHECK(REQUIRE_VALUE(CommitToken::parse(t3.to_string())) == t3);
}

TEST_CASE("commit: a transaction that wrote nothing returns the current token",
          "[transactions][commit][begin_read][begin_write]") {
  auto s = seeded();
  const auto last = token_of_insert(*s.storage, "newest", tenant_a());
  // A read transaction, and a write transaction that only read.
  CHECK(token_of_read(*s.storage) == last);
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  REQUIRE_VALUE(tx->count_memberships(s.acme, std::nullopt));
  CHECK(commit(tx) == last);
  tx = begin_write(*s.storage, tenant_a(), {s.acme});
  CHECK(commit(tx) == last);  // nothing at all
  CHECK(token_of_read(*s.storage) == last);
}

TEST_CASE("commit: a transaction destroyed without commit changes nothing, token included",
          "[transactions][commit][begin_write]") {
  auto s = seeded();
  const auto last = token_of_read(*s.storage);
  {
    auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
    REQUIRE_VALUE(tx->insert_organization(org_spec("dropped")));
    REQUIRE_OK(tx->delete_membership(s.acme, UserId("carol")));
  }
  CHECK(token_of_read(*s.storage) == last);
  const auto next = token_of_insert(*s.storage, "after", tenant_a());
  CHECK(next > last);
  auto rtx = begin_read(*s.storage);
  CHECK_FALSE(REQUIRE_VALUE(rtx->slug_taken(tenant_a(), "dropped")));
  CHECK(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("carol"))).has_value());
}

TEST_CASE("begin_read: one snapshot for all its reads; its commit returns that snapshot's token",
          "[transactions][begin_read][commit]") {
  auto s = seeded();
  const auto before = token_of_read(*s.storage);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 3);

  std::atomic<bool> began{false};
  auto writer = add_member_async(*s.storage, s.acme, "zed", began);
  // If the store lets the writer run beside the reader, let it commit before reading again.
  bool committed_meanwhile = false;
  if (wait_for_flag(began, 500ms)) {
    committed_meanwhile = writer.wait_for(10s) == std::future_status::ready;
  }
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == 3);
  CHECK_FALSE(REQUIRE_VALUE(rtx->find_membership(tenant_a(), s.acme, UserId("zed"))).has_value());
  CHECK(REQUIRE_VALUE(rtx->list_memberships(s.acme, std::nullopt, "", 10)).size() == 3);
  const auto snapshot = commit(rtx);
  CHECK(snapshot == before);

  const Outcome o = writer.get();
  INFO("writer: " << (o.error ? to_string(*o.error) : std::string("ok")));
  REQUIRE_FALSE(o.error.has_value());
  CHECK(o.token > before);
  INFO("the writer committed while the snapshot was open: " << committed_meanwhile);
  auto after = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(after->count_memberships(s.acme, std::nullopt)) == 4);
  CHECK(commit(after) == o.token);
}

TEST_CASE("begin_write: write transactions that share an organization are serialized",
          "[transactions][begin_write][commit]") {
  auto s = seeded();
  auto tx = begin_write(*s.storage, tenant_a(), {s.acme});
  const auto n = REQUIRE_VALUE(tx->count_memberships(s.acme, std::nullopt));
  REQUIRE_OK(tx->insert_membership(tenant_a(), member_spec(s.acme, "mine", "member")));

  std::atomic<bool> began{false};
  auto other = add_member_async(*s.storage, s.acme, "theirs", began);
  // Give the other transaction the chance to run to its end if the store allowed it.
  (void)other.wait_for(500ms);
  auto mine = tx->commit();
  tx.reset();
  const Outcome o = other.get();
  INFO("mine: " << (mine ? std::string("committed") : to_string(mine.error())));
  INFO("theirs: " << (o.error ? to_string(*o.error) : std::string("committed")));
  // The allowed outcomes: the second waits for the first and sees its member, or one of
  // them fails with aborted having changed nothing. Never both committed on stale reads.
  if (mine && !o.error) {
    CHECK(o.members_seen == n + 1);
    CHECK(o.token > *mine);
  } else {
    CHECK((mine || mine.error().code == ErrorCode::aborted));
    CHECK((!o.error || o.error->code == ErrorCode::aborted));
  }
  const std::int64_t committed = (mine ? 1 : 0) + (o.error ? 0 : 1);
  auto rtx = begin_read(*s.storage);
  CHECK(REQUIRE_VALUE(rtx->count_memberships(s.acme, std::nullopt)) == n + committed);
}
