// Small helpers the reference model's files share (not part of its interface).
#pragma once

#include <string>
#include <utility>

#include "model/reference_model.hpp"

namespace orgkit::model::steps {

inline bool holds(const RoleDef& role, int p) {
  return (role.permissions & (Permissions{1} << p)) != 0;
}
inline Outcome ok(std::string value = {}) {
  return Outcome{std::nullopt, {}, std::move(value)};
}
inline Outcome fail(ErrorCode code) {
  return Outcome{code, {}, {}};
}
inline std::string handle_text(int h) {
  return "#" + std::to_string(h);
}

}  // namespace orgkit::model::steps
