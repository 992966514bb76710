# What orgctl (tools/orgctl) and the REST example (examples/rest_server) need beside the
# library, from Debian packages (setup.sh): CLI11 (libcli11-dev, a CMake package) and
# cpp-httplib (libcpp-httplib-dev). Debian builds httplib as a shared library with OpenSSL,
# zlib and brotli support; its header then declares members that exist only with the same
# CPPHTTPLIB_* macros, so a program must compile with the package's own flags or it does not
# match the library's layout. pkg-config has them (cpp-httplib.pc), hence PkgConfig here.
# Each is looked for only when the target is not defined yet (a polite guest).
if(NOT TARGET CLI11::CLI11)
  find_package(CLI11 2 CONFIG REQUIRED)
endif()

# orgkit_httplib: httplib's header, library and compile definitions, for any directory.
function(orgkit_find_httplib)
  if(TARGET orgkit_httplib)
    return()
  endif()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(ORGKIT_CPP_HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  add_library(orgkit_httplib INTERFACE)
  target_link_libraries(orgkit_httplib INTERFACE PkgConfig::ORGKIT_CPP_HTTPLIB)
endfunction()
