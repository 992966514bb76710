// What the Service's use cases share: the transaction, membership and permission steps every
// operation goes through, and the audit writer. Kept out of the public headers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <orgkit/service.hpp>

namespace orgkit {

struct Service::Impl {
  /// The actor's id and tenant are well-formed.
  static Result<void> validate_actor(const Actor& actor);

  /// A write transaction (IMMEDIATE).
  static Result<std::unique_ptr<StorageTransaction>> write(Service& s);

  /// A read transaction.
  static Result<std::unique_ptr<StorageTransaction>> read(Service& s);

  /// The actor's membership of `org`, or not_found: an organization the actor is not a member
  /// of is invisible to them (nothing tells it exists).
  static Result<Membership> actor_membership(StorageTransaction& tx, const Actor& actor,
                                             OrgId org);

  /// The organization, which must exist in the actor's tenant.
  static Result<Organization> organization(StorageTransaction& tx, const Actor& actor,
                                           OrgId org);

  /// The policy's definition of a stored role. A role the policy no longer defines grants
  /// nothing: conflict, naming the role.
  static Result<const RoleDefinition*> stored_role(const Service& s, const Membership& m);

  /// A role named in a request: invalid_argument if malformed, not_found if the policy does
  /// not define it.
  static Result<const RoleDefinition*> requested_role(const Service& s, std::string_view field,
                                                      std::string_view role);

  /// permission_denied unless `role` holds `permission` (by name, a policy constant).
  static Result<void> require(const Service& s, const RoleDefinition& role,
                              std::string_view permission, std::string_view what);

  /// The actor's membership and role in `org`, and that the role holds `permission`.
  struct Access {
    Membership membership;
    const RoleDefinition* role = nullptr;
  };
  static Result<Access> access(Service& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                               std::string_view permission, std::string_view what);

  /// conflict unless `org` keeps at least one holder of the owner role after `user` stops
  /// holding it. Runs inside the write transaction, so two owners demoting each other at once
  /// cannot both pass (PITFALLS 7).
  static Result<void> ensure_owner_remains(const Service& s, StorageTransaction& tx, OrgId org,
                                           const Membership& losing, std::string_view rule);

  /// Appends an audit event for `org` in the same transaction (A1).
  static Result<void> audit(Service& s, StorageTransaction& tx, const Actor& actor, OrgId org,
                            std::string action, std::string target,
                            std::vector<FieldChange> changes = {});

  /// tx->commit(), passing `value` through.
  template <class T>
  static Result<T> commit(StorageTransaction& tx, T value) {
    if (auto ok = tx.commit(); !ok) return fail(ok.error());
    return value;
  }
  static Result<void> commit(StorageTransaction& tx) { return tx.commit(); }
};

/// Unwraps a Result into `var` or returns its error from the enclosing function.
#define ORGKIT_TRY(var, expr)                              \
  auto var##_result = (expr);                              \
  if (!var##_result) return fail(std::move(var##_result).error()); \
  auto var = std::move(*var##_result)

/// Returns the error of a Result<void> from the enclosing function.
#define ORGKIT_CHECK(expr)                                         \
  do {                                                             \
    if (auto orgkit_check_ = (expr); !orgkit_check_)               \
      return fail(std::move(orgkit_check_).error());               \
  } while (false)

}  // namespace orgkit
