# Build defaults shared by every target of the tree.

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
# One set of flags for every target, so one precompiled LibTorch header serves all.
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

find_program(WIZARD_CCACHE ccache)
if(WIZARD_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # pch_defines/time_macros: let ccache cache translation units that use the PCH.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${WIZARD_CCACHE})
  message(STATUS "wizard: using ccache (${WIZARD_CCACHE})")
endif()

add_compile_options(-Wall -Wextra)
# GCC 13 and 14 (Debian 13 has 14.2) report -Warray-bounds in libstdc++'s vector<bool>::reserve
# where LibTorch's torch::autograd::Function::apply (torch/csrc/autograd/custom_function.h)
# inlines it: a false positive inside system headers that no pragma in wizard's code reaches,
# in every file that defines an autograd function. GCC 12 (Debian 12) keeps the check.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 13)
  add_compile_options(-Wno-array-bounds)
endif()

include(GNUInstallDirs)
set(WIZARD_PLUGIN_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/wizard/plugins")
# Where built plugins land in the build tree: next to the binary, as in an install.
set(WIZARD_BUILD_PLUGIN_DIR "${CMAKE_BINARY_DIR}/${WIZARD_PLUGIN_INSTALL_DIR}")
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_BINDIR}")
set(CMAKE_LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_LIBDIR}")

# Binaries find libwizard_sdk and each other relative to themselves, built or installed.
set(CMAKE_BUILD_RPATH_USE_ORIGIN ON)
# bin/ -> lib/, lib/wizard/plugins/ -> lib/.
set(CMAKE_INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR};$ORIGIN/../..")

