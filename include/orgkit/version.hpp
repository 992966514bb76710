// orgkit/version.hpp: the library version. CMake reads ORGKIT_VERSION_* from this file, so
// this is the one place the version is written.
#pragma once

#define ORGKIT_VERSION_MAJOR 0
#define ORGKIT_VERSION_MINOR 3
#define ORGKIT_VERSION_PATCH 0

namespace orgkit {
/// "0.3.0"
inline constexpr const char* version_string = "0.3.0";
}  // namespace orgkit
