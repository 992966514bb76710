// The storage conformance suite: the contract of orgkit/storage.hpp as test cases that any
// backend runs, the way rocksdb's env_basic_test runs one suite per Env.
//
// A backend registers a factory under a name (register_backend); the runner
// (orgkit_conformance, main.cpp) selects one with `--backend NAME` or the environment
// variable ORGKIT_CONFORMANCE_BACKEND, and every test case takes a fresh, empty store from
// make_backend(). The test cases know nothing of SQLite: a PostgreSQL backend adds one
// factory and runs the same binary. Registered today: sqlite-memory, sqlite-file, and six
// deliberately broken doubles (broken_backends.cpp) that show the suite catches each bug.
//
// Tags: every test case carries the names of the methods whose contract it asserts (e.g.
// [close_invitation]), its subject ([organizations], [invitations], ...), and [tenant] when
// it asserts that another tenant's or organization's id never matches.
//
// CHECKLIST: the 46 methods of StorageTransaction and the 3 of Storage, each with the test
// cases (by the tag of the method; case names start with the method) in <subject>_conformance.cpp
// and what they assert beyond the success path. "keyed" = another organization's or
// tenant's id never matches.
//
//  StorageTransaction                   cases  file            edges asserted
//   commit                              6     transactions    token > every earlier one;
//                                                             no write -> current token;
//                                                             rollback: no change, no new token
//   insert_organization                 2     organizations   id ignored; already_exists(slug)
//                                                             per tenant
//   find_organization                   3     organizations   nullopt unknown; keyed (tenant)
//   slug_taken                          1     organizations   keyed (tenant)
//   update_organization                 2     organizations   immutable fields kept;
//                                                             not_found missing/other tenant
//   delete_organization                 4     organizations,  cascades (members, invitations,
//                                             user_state      roles, keys, active org); audit
//                                                             kept; not_found; rollback
//   organizations_of                    3     organizations   creation order, role, active
//                                                             false; keyed (tenant)
//   personal_organization_of            1     organizations   nullopt non-personal; keyed
//   count_organizations_created_by      1     organizations   non-personal only; keyed by tenant
//   insert_membership                   4     memberships     already_exists(user_id);
//                                                             not_found for a missing org
//   find_membership                     3     memberships     nullopt; keyed (org, tenant)
//   update_membership_role              1     memberships     not_found; keyed (org)
//   update_membership_department        1     memberships     not_found; keyed (org); clear
//   delete_membership                   1     memberships     not_found; keyed (org)
//   list_memberships                    2     memberships     by user id, after_user, limit,
//                                                             role filter; keyed (org)
//   count_memberships                   1     memberships     role filter; keyed (org)
//   active_organization                 2     user_state      nullopt; keyed (tenant, user)
//   set_active_organization             4     user_state      replace, clear, cleared by
//                                                             delete_organization, rollback
//   append_audit_event                  2     audit           ids increase (also across a
//                                                             rollback); every field back
//   list_audit_events                   12    audit           newest first; limit; before;
//                                                             keyed (org, tenant); filters:
//                                                             action and target exact, since
//                                                             inclusive, until exclusive (on
//                                                             `at`, not ids), all must hold,
//                                                             applied before the limit
//   insert_invitation                   2     invitations     id/state ignored: pending;
//                                                             already_exists(token) anywhere
//   find_invitation_by_token            1     invitations     tenant and raw hash bytes
//   find_invitation                     3     invitations     nullopt; keyed (org, tenant)
//   find_pending_email_invitation       1     invitations     expired-pending found; closed,
//                                                             links, other orgs not
//   reissue_invitation                  3     invitations     new token and contents; email,
//                                                             kind, id kept; not_found unless
//                                                             pending; already_exists(token)
//   close_invitation                    3     invitations     records by/at; false and no
//                                                             change unless pending; keyed
//   list_invitations                    3     invitation_lists newest first, before, limit;
//                                                             state at now (expired: <= now)
//   find_membership_by_email            1     memberships     trimmed lower-cased key; keyed
//   count_pending_invitations           1     invitation_lists pending and expires_at > now
//   find_custom_role                    2     custom_roles    nullopt; keyed (org)
//   list_custom_roles                   1     custom_roles    by name; keyed (org)
//   insert_custom_role                  2     custom_roles    already_exists(name) per org
//   update_custom_role                  2     custom_roles    rename; not_found; taken name
//                                                             already_exists(name)
//   delete_custom_role                  1     custom_roles    not_found; keyed (org)
//   reassign_role                       4     role_holders    members (count returned),
//                                                             unrevoked keys, stored-pending
//                                                             invitations; keyed (org)
//   count_role_holders                  4     role_holders    members + unrevoked keys +
//                                                             stored-pending invitations
//   insert_api_key                      2     api_keys        id ignored; already_exists
//                                                             (prefix) anywhere
//   find_api_key_by_prefix              1     api_keys        tenant and raw hash bytes
//   find_api_key                        3     api_keys        nullopt; keyed (org, tenant)
//   list_api_keys                       1     api_keys        newest first, revoked included
//   revoke_api_key                      1     api_keys        false the second time; keyed
//   touch_api_key                       1     api_keys        last use recorded; keyed
//   list_organizations                  4     tenant_admin    by id, metadata; after, limit,
//                                                             resume_after (none at the end);
//                                                             keyed (tenant); text on name or
//                                                             slug, ASCII case, contains and
//                                                             prefix, % and _ literal; filter
//                                                             before limit; max_examined bound
//   insert_tenant_key                   2     tenant_admin    id ignored; already_exists
//                                                             (prefix) in any tenant
//   find_tenant_key_by_prefix           1     tenant_admin    tenant and raw hash bytes
//   find_tenant_key                     2     tenant_admin    every field; keyed (tenant)
//   list_tenant_keys                    2     tenant_admin    newest first, revoked included;
//                                                             keyed (tenant)
//   revoke_tenant_key                   2     tenant_admin    false the second time and for
//                                                             another tenant's key
//   (append/list_audit_events, org 0)   1     tenant_admin    the tenant's own trail, keyed
//  Storage
//   begin_read                          2     transactions    one snapshot beside a commit
//   begin_write                         4     transactions    rollback on destruction; writers
//                                                             sharing an org are serialized
//   member_access                       7     member_access   role; custom permissions; out
//                                                             overwritten; false for non-
//                                                             members and other tenants; sees
//                                                             commits, never uncommitted rows
//
// Rules the cases follow so that any backend can run them: only one transaction per thread
// at a time (an in-memory store may have one connection); after an error from a unique key
// or a foreign key the transaction is dropped, not reused (a server database may have
// aborted it); a second thread only ever checks what every backend promises.
//
// `orgkit_conformance --list-tests '[close_invitation]'` lists the cases of one method.
#pragma once

#include "support/test_support.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace orgkit::conformance {

/// Makes a fresh, empty store, or says why it could not (e.g. a server is unreachable).
using BackendFactory = std::function<Result<std::unique_ptr<Storage>>()>;

/// Adds a backend the runner can select by `name`. Call before the tests run.
void register_backend(std::string name, BackendFactory factory);

/// The names registered, in registration order.
std::vector<std::string> backend_names();

/// Selects the backend every test case gets; false if no backend has that name.
bool select_backend(const std::string& name);

/// The selected backend's name.
const std::string& selected_backend();

/// A fresh, empty store of the selected backend. Fails the test case if it cannot be made.
std::unique_ptr<Storage> make_backend();

// --- helpers shared by the test cases -------------------------------------------------

/// Returns the value of a Result, or fails the test case with its error and the expression.
#define REQUIRE_VALUE(expr) ::orgkit::conformance::value_of((expr), #expr, __FILE__, __LINE__)

/// Returns the row a lookup found, or fails the test case if it failed or found nothing.
#define REQUIRE_SOME(expr) ::orgkit::conformance::some_of((expr), #expr, __FILE__, __LINE__)

template <class T>
T value_of(Result<T> r, const char* expr, const char* file, int line) {
  if (!r) FAIL(file << ":" << line << ": " << expr << " failed: " << to_string(r.error()));
  return std::move(*r);
}

template <class T>
T some_of(Result<std::optional<T>> r, const char* expr, const char* file, int line) {
  auto found = value_of(std::move(r), expr, file, line);
  if (!found) FAIL(file << ":" << line << ": " << expr << " found nothing");
  return std::move(*found);
}

/// The two tenants of every scenario: ids of one must never match in the other.
inline TenantId tenant_a() {
  return TenantId("tenant-a");
}
inline TenantId tenant_b() {
  return TenantId("tenant-b");
}

/// The point in time `ms` milliseconds after the epoch; the scenarios count from t0.
inline Timestamp at_ms(std::int64_t ms) {
  return from_unix_ms(ms);
}
inline constexpr std::int64_t t0 = 1'700'000'000'000;

/// An organization to insert; every field set, so a read-back can check each.
Organization org_spec(const std::string& slug, const TenantId& tenant = tenant_a());
/// A membership of `user` (email "<user>@example.com") with `role`.
Membership member_spec(OrgId org, const std::string& user, const std::string& role);
/// A pending email invitation of `org` to `email` with `role`, expiring at `expires_ms`.
Invitation invitation_spec(OrgId org, const std::string& email, const std::string& role,
                           std::int64_t expires_ms = t0 + 86'400'000);
/// A shareable link invitation (no email) of `org`.
Invitation link_spec(OrgId org, const std::string& role, std::int64_t expires_ms = t0 + 3'600'000);
/// The key invitation_spec's email is matched by: trimmed, ASCII lower-cased.
std::string email_key(const std::string& email);
/// An unrevoked API key of `org` with `prefix` and `role`.
ApiKey key_spec(OrgId org, const std::string& prefix, const std::string& role);
/// A custom role `name` ranked 30 with `permissions`.
CustomRole role_spec(const std::string& name, std::vector<std::string> permissions);
/// An audit event of `org` in `tenant` with `action`, one change and actor "alice".
AuditEvent event_spec(const TenantId& tenant, OrgId org, const std::string& action);

/// A write transaction over `orgs` of `tenant`, and a read transaction; fail the test case
/// if they cannot begin. Only one transaction at a time per thread: an in-memory store may
/// have a single connection, and a second begin would wait for the first to end.
std::unique_ptr<StorageTransaction> begin_write(Storage& s, const TenantId& tenant,
                                                std::vector<OrgId> orgs = {});
std::unique_ptr<StorageTransaction> begin_read(Storage& s);

/// Commits `tx` (which must not be used again), failing the test case if that fails.
CommitToken commit(std::unique_ptr<StorageTransaction>& tx);

/// Whether an error's message is free of SQL text (ERRORS in storage.hpp).
bool message_has_no_sql(const Error& e);

/// The scenario most cases start from, committed:
///   acme    tenant-a, slug "acme":   alice owner, bob admin, carol member
///   globex  tenant-a, slug "globex": alice member, dave member
///   initech tenant-b, slug "acme" (the same slug in another tenant): alice owner
struct Seeded {
  std::unique_ptr<Storage> storage;
  OrgId acme;
  OrgId globex;
  OrgId initech;
};
Seeded seeded();

}  // namespace orgkit::conformance
