// Scenarios: short plans of ops for the cases that random ops rarely line up, such as an
// inviter who loses the right to invite between sending an invitation and its acceptance
// (R3), which needs three ops in order, by the right people, before the invitation expires.
// The generator interleaves a scenario's ops with random ones, and each is an ordinary Op:
// shrinking drops them one by one like any other.
#pragma once

#include <optional>
#include <string>

#include "model/generator.hpp"

namespace orgkit::model {

class Scenario {
 public:
  enum class Kind {
    lapsed_inviter,  ///< invite, then the inviter is demoted, removed or leaves, then accept (R3)
    accept_twice,    ///< accept a token, then again, by the invitee or someone else (I5, I9)
    expiry,          ///< an invitation or link expires on the clock, is refused, resent (I3, I4)
    last_owner,      ///< the only owner leaves, demotes themself, is bulk-demoted (O7, P4)
    key_lifecycle,   ///< a key verified, revoked or expired, verified again, revoked twice (P9)
    role_lifecycle,  ///< a custom role given, inviting, changed or renamed, deleted (P6, R3)
    admin_on_owner,  ///< an admin removes, demotes, re-keys or out-invites an owner (P4, O8)
  };

  explicit Scenario(Kind kind) : kind_(kind) {}

  /// One of the kinds, at random.
  static Scenario any(Random& r);

  /// The scenario's next op, with id `id`, or nothing when it is over (or cannot start: no
  /// shared organization with an owner who can act).
  std::optional<Op> next(int id, Random& r, const ReferenceModel& model);

 private:
  std::optional<Op> lapsed_inviter(Op op, Random& r, const ReferenceModel& model);
  std::optional<Op> accept_twice(Op op, Random& r, const ReferenceModel& model);
  std::optional<Op> expiry(Op op, Random& r, const ReferenceModel& model);
  std::optional<Op> last_owner(Op op, Random& r, const ReferenceModel& model);
  std::optional<Op> key_lifecycle(Op op, Random& r);
  std::optional<Op> role_lifecycle(Op op, Random& r, const ReferenceModel& model);
  std::optional<Op> admin_on_owner(Op op, Random& r, const ReferenceModel& model);

  Kind kind_;
  int step_ = 0;
  int org_ = 0;
  int owner_ = -1;   ///< Cast index of an owner of org_.
  int helper_ = -1;  ///< Cast index of a member the scenario brought in.
  std::string helper_id_;
  std::string invitee_;  ///< User id of whom the scenario invites.
  std::string role_;     ///< The custom role of role_lifecycle, as named now.
  int token_ = 0;        ///< Handle of the token in play.
  bool then_leave_ = false;
  int key_ = 0;
};

}  // namespace orgkit::model
