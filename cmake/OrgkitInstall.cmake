include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ORGKIT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/orgkit")

set(_orgkit_installed orgkit orgkit_core orgkit_sqlite)
if(ORGKIT_WITH_POSTGRES)
  list(APPEND _orgkit_installed orgkit_postgres)  # orgkit::postgres, and Findlibpqxx below
endif()
install(TARGETS ${_orgkit_installed} EXPORT orgkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every header, orgkit/postgres.hpp included (it needs nothing; its definitions are in
# orgkit::postgres, present when built with ORGKIT_WITH_POSTGRES).
install(DIRECTORY include/orgkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Read by orgkitConfig.cmake: whether this package has orgkit::postgres.
set(ORGKIT_HAS_POSTGRES ${ORGKIT_WITH_POSTGRES})
install(EXPORT orgkitTargets NAMESPACE orgkit:: DESTINATION ${ORGKIT_CMAKE_DIR})

# A static orgkit carries its private dependencies into the consumer's link; a shared one
# needs only what the public headers use.
get_target_property(_orgkit_type orgkit_core TYPE)
if(_orgkit_type STREQUAL "STATIC_LIBRARY")
  set(ORGKIT_STATIC_LIBRARY ON)
else()
  set(ORGKIT_STATIC_LIBRARY OFF)
endif()

configure_package_config_file(cmake/orgkitConfig.cmake.in
  "${PROJECT_BINARY_DIR}/orgkitConfig.cmake"
  INSTALL_DESTINATION ${ORGKIT_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/orgkitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/orgkitConfig.cmake"
              "${PROJECT_BINARY_DIR}/orgkitConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/Findsodium.cmake"
        DESTINATION ${ORGKIT_CMAKE_DIR})
if(ORGKIT_WITH_POSTGRES)
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/Findlibpqxx.cmake" DESTINATION ${ORGKIT_CMAKE_DIR})
  configure_file(cmake/Findlibpqxx.cmake "${PROJECT_BINARY_DIR}/Findlibpqxx.cmake" COPYONLY)
endif()
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/orgkit)
# The standard policy and one policy per product document, as files a host can start from.
install(DIRECTORY examples/policies/ DESTINATION ${CMAKE_INSTALL_DATADIR}/orgkit/policies
        FILES_MATCHING PATTERN "*.json")

# The build tree is a usable package too (orgkit_DIR=<build dir>), with the same modules.
configure_file(cmake/Findsodium.cmake "${PROJECT_BINARY_DIR}/Findsodium.cmake" COPYONLY)
export(EXPORT orgkitTargets NAMESPACE orgkit:: FILE "${PROJECT_BINARY_DIR}/orgkitTargets.cmake")
