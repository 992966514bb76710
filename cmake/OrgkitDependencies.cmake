# Everything orgkit needs comes from Debian packages (see setup.sh); nothing is downloaded.
#
# A polite guest: a host project that adds orgkit with add_subdirectory may have the same
# dependencies already, found by itself or built from a vendored copy. Then orgkit uses the
# host's target rather than finding a second copy that may differ (another version, another
# build of a static library) or clash with the host's. Each package is looked for only when
# the target orgkit links is not defined yet (tests/packaging/polite-guest checks this).
if(NOT TARGET Threads::Threads)
  find_package(Threads REQUIRED)
endif()
if(NOT TARGET tl::expected)
  find_package(tl-expected REQUIRED)  # libexpected-dev: public headers use tl::expected
endif()
if(NOT TARGET SQLiteCpp)
  find_package(SQLiteCpp REQUIRED)    # libsqlitecpp-dev: target SQLiteCpp (no namespace)
endif()
if(NOT TARGET fmt::fmt)
  find_package(fmt REQUIRED)          # libfmt-dev
endif()
if(NOT TARGET sodium::sodium)
  # libsodium-dev has no CMake package: cmake/Findsodium.cmake makes sodium::sodium.
  find_package(sodium REQUIRED)       # invitation tokens (random, hashing)
endif()
if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3 REQUIRED)  # nlohmann-json3-dev: policy files and claims (src/ only)
endif()
if(ORGKIT_WITH_POSTGRES AND NOT TARGET libpqxx::pqxx)
  # libpqxx-dev has no CMake package: cmake/Findlibpqxx.cmake makes libpqxx::pqxx (with libpq).
  find_package(libpqxx REQUIRED)      # the PostgreSQL backend only (ORGKIT_WITH_POSTGRES)
endif()
