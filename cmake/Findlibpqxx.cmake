# Findlibpqxx: libpqxx (Debian: libpqxx-dev, 6.4), as the imported target libpqxx::pqxx, which
# also links libpq (CMake's FindPostgreSQL: PostgreSQL::PostgreSQL). Debian's package ships
# only a pkg-config file, no CMake package. Installed beside orgkitConfig.cmake so that
# consumers of a static orgkit::postgres find it too.
include(CMakeFindDependencyMacro)
if(NOT TARGET PostgreSQL::PostgreSQL)
  find_package(PostgreSQL QUIET)
endif()
find_path(libpqxx_INCLUDE_DIR pqxx/pqxx)
find_library(libpqxx_LIBRARY NAMES pqxx libpqxx)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(libpqxx
  REQUIRED_VARS libpqxx_LIBRARY libpqxx_INCLUDE_DIR PostgreSQL_FOUND)
if(libpqxx_FOUND AND NOT TARGET libpqxx::pqxx)
  add_library(libpqxx::pqxx UNKNOWN IMPORTED)
  set_target_properties(libpqxx::pqxx PROPERTIES
    IMPORTED_LOCATION "${libpqxx_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${libpqxx_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES PostgreSQL::PostgreSQL)
endif()
mark_as_advanced(libpqxx_INCLUDE_DIR libpqxx_LIBRARY)
