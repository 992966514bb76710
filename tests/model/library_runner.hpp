// The other side of the comparison: runs each Op against a real Service, through its public
// API only, and reads back the Snapshot the reference model predicts. It maps handles (the
// ids of the ops that created things) to the ids, tokens and secrets the library handed out;
// a handle it never saw becomes an id, token or key the library never issued.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <orgkit/orgkit.hpp>

#include "model/operations.hpp"
#include "model/snapshot.hpp"

namespace orgkit::model {

/// The principal a cast member is, as the host would pass it.
Actor actor_of(int cast_index);

class LibraryRunner {
 public:
  LibraryRunner(Service& kit, ManualClock& clock) : kit_(kit), clock_(clock) {}

  /// Runs `op` and returns what the library answered.
  Outcome apply(const Op& op);

  /// What the library shows now (read as each tenant's host, so reading changes nothing).
  Snapshot snapshot(const std::vector<Probe>& probes);

  /// I4: list_roster of `org` as `actor` reads it, as ReferenceModel::roster writes it.
  std::string roster(int org, int actor);

  /// Invariants that need no model, broken since the last call (U1: a commit token never
  /// goes backwards). Empty when none.
  std::vector<std::string> take_violations();

 private:
  Outcome run(const Op& op);
  Outcome members_op(const Op& op);
  Outcome invitation_op(const Op& op);
  Outcome roles_and_keys_op(const Op& op);
  template <class T>
  Outcome answer(const Result<T>& result);
  void note_token(const CommitToken& token);
  OrgId org(int handle) const;
  InvitationId invitation(int handle) const;
  std::string token(int handle) const;
  std::string handle_of(OrgId id) const;
  std::string invitation_handle(InvitationId id) const;
  void remember_org(int handle, OrgId id, const std::string& tenant);
  void read_org(int handle, OrgId id, const std::string& tenant, Snapshot& out);
  UserRow read_user(int actor);
  char probe(const Probe& p);

  Service& kit_;
  ManualClock& clock_;
  std::map<int, OrgId> orgs_;
  std::map<int, std::string> org_tenants_;
  std::map<int, InvitationId> invitations_;
  std::map<int, std::string> tokens_;
  struct IssuedKey {
    ApiKeyId id;
    std::string secret;
  };
  std::map<int, IssuedKey> keys_;
  CommitToken last_token_;
  std::vector<std::string> violations_;
};

}  // namespace orgkit::model
