# cmake -P script run by the packaging_install_layout test (see CMakeLists.txt): checks what
# `cmake --install` put under PREFIX. Arguments: PREFIX, INCLUDEDIR, LIBDIR, BINDIR,
# LIBRARY_FILES ("|"-separated file names of the built library), SOURCE_DIR, BINARY_DIR,
# ORGCTL (ON when orgctl is built and so installed to BINDIR).
cmake_minimum_required(VERSION 3.20)

set(_errors "")
macro(_expect_file path)
  if(NOT EXISTS "${path}")
    string(APPEND _errors "  missing: ${path}\n")
  endif()
endmacro()

# Public means installed: exactly the headers of include/orgkit, nothing from src/.
file(GLOB_RECURSE _public RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/*")
file(GLOB_RECURSE _installed RELATIVE "${PREFIX}/${INCLUDEDIR}" "${PREFIX}/${INCLUDEDIR}/*")
foreach(_header IN LISTS _public)
  _expect_file("${PREFIX}/${INCLUDEDIR}/${_header}")
endforeach()
foreach(_header IN LISTS _installed)
  if(NOT _header IN_LIST _public)
    string(APPEND _errors "  not a public header: ${PREFIX}/${INCLUDEDIR}/${_header}\n")
  endif()
endforeach()
_expect_file("${PREFIX}/${INCLUDEDIR}/orgkit/orgkit.hpp")

# The library (a DLL goes to BINDIR, everything else to LIBDIR).
string(REPLACE "|" ";" LIBRARY_FILES "${LIBRARY_FILES}")
foreach(_name IN LISTS LIBRARY_FILES)
  if(NOT EXISTS "${PREFIX}/${LIBDIR}/${_name}" AND NOT EXISTS "${PREFIX}/${BINDIR}/${_name}")
    string(APPEND _errors "  missing: ${PREFIX}/${LIBDIR}/${_name}\n")
  endif()
endforeach()

# orgctl, when this build has it (ORGCTL=ON).
if(ORGCTL)
  _expect_file("${PREFIX}/${BINDIR}/orgctl")
endif()

# The package: config, version, targets and the per-configuration targets file.
set(_cmake_dir "${PREFIX}/${LIBDIR}/cmake/orgkit")
foreach(_name orgkitConfig.cmake orgkitConfigVersion.cmake orgkitTargets.cmake)
  _expect_file("${_cmake_dir}/${_name}")
endforeach()
file(GLOB _per_config "${_cmake_dir}/orgkitTargets-*.cmake")
if(NOT _per_config)
  string(APPEND _errors "  missing: ${_cmake_dir}/orgkitTargets-<config>.cmake\n")
endif()

# A relocatable package names no path of the machine that built it.
file(GLOB _package_files "${_cmake_dir}/*.cmake")
foreach(_file IN LISTS _package_files)
  file(READ "${_file}" _text)
  foreach(_tree "${SOURCE_DIR}" "${BINARY_DIR}")
    string(FIND "${_text}" "${_tree}" _at)
    if(NOT _at EQUAL -1)
      string(APPEND _errors "  ${_file} names ${_tree}\n")
    endif()
  endforeach()
endforeach()

if(_errors)
  message(FATAL_ERROR "install prefix ${PREFIX} is wrong:\n${_errors}")
endif()
message(STATUS "install prefix ${PREFIX}: headers, library and package files in place")
