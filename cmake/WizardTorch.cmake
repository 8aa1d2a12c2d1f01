# Finds LibTorch (>= 2.6). Where it looks, first match wins:
#   1. Torch_DIR or CMAKE_PREFIX_PATH, when given (a LibTorch archive, Debian's libtorch-dev);
#   2. the `torch` Python package of WIZARD_PYTHON (default: .venv/bin/python, which
#      scripts/setup.sh creates), through torch.utils.cmake_prefix_path;
#   3. the system's CMake packages (Debian trixie's libtorch-dev).
set(WIZARD_MIN_TORCH_VERSION 2.6)

set(_default_python "")
if(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  set(_default_python "${PROJECT_SOURCE_DIR}/.venv/bin/python")
endif()
set(WIZARD_PYTHON "${_default_python}" CACHE FILEPATH
    "Python whose `torch` package provides LibTorch (empty: don't ask Python)")

if(WIZARD_PYTHON AND NOT Torch_DIR AND NOT DEFINED ENV{Torch_DIR})
  execute_process(
    COMMAND "${WIZARD_PYTHON}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE _torch_error RESULT_VARIABLE _torch_result)
  if(_torch_result EQUAL 0 AND _torch_prefix)
    # Appended, so an explicit CMAKE_PREFIX_PATH still wins.
    list(APPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  else()
    message(WARNING "wizard: ${WIZARD_PYTHON} has no usable `torch` package (${_torch_error}); "
                    "looking for LibTorch elsewhere. Run scripts/setup.sh, or set Torch_DIR.")
  endif()
endif()

# LibTorch's config looks for its Caffe2 part after the system's folders: with Torch_DIR
# given, name the Caffe2 beside it so that another LibTorch (Debian's) is never mixed in.
set(_torch_dir "${Torch_DIR}")
if(NOT _torch_dir AND DEFINED ENV{Torch_DIR})
  set(_torch_dir "$ENV{Torch_DIR}")
endif()
if(_torch_dir AND NOT Caffe2_DIR AND EXISTS "${_torch_dir}/../Caffe2")
  get_filename_component(Caffe2_DIR "${_torch_dir}/../Caffe2" ABSOLUTE)
endif()
include(WizardCuda)   # a CUDA LibTorch: point its config at nvcc's toolkit and pip's CUDA libraries
find_package(Torch)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "wizard: LibTorch not found. Run scripts/setup.sh (it installs the `torch` package into "
    ".venv), or point Torch_DIR at a LibTorch >= ${WIZARD_MIN_TORCH_VERSION} "
    "(<libtorch>/share/cmake/Torch), or set WIZARD_PYTHON to a Python that has `torch`.")
endif()
if(Torch_VERSION VERSION_LESS WIZARD_MIN_TORCH_VERSION)
  message(FATAL_ERROR "wizard: LibTorch ${Torch_VERSION} at ${Torch_DIR} is too old; "
                      "wizard needs ${WIZARD_MIN_TORCH_VERSION} or newer.")
endif()

# LibTorch 2.14 and later refuse to compile below C++20 (ATen/ATen.h says so), earlier ones
# need C++17: every target of the tree takes the standard its LibTorch asks for.
foreach(_dir IN LISTS TORCH_INCLUDE_DIRS)
  if(EXISTS "${_dir}/ATen/ATen.h")
    file(STRINGS "${_dir}/ATen/ATen.h" _aten_cxx20 REGEX "__cplusplus < 202002L")
    if(_aten_cxx20)
      set(CMAKE_CXX_STANDARD 20)
    endif()
    break()
  endif()
endforeach()
# GCC 12 warns falsely about std::string concatenation in C++20 at -O3 (-Wrestrict inside
# libstdc++; GCC bug 105329).
if(CMAKE_CXX_STANDARD GREATER_EQUAL 20 AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
endif()

# LibTorch's CMake config puts its required flags (the C++ ABI switch) in TORCH_CXX_FLAGS.
separate_arguments(WIZARD_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
# LibTorch's own libraries are in the folder of its torch_cpu target. Its config finds libtorch
# and libc10 with find_library(... PATHS <that folder>), which searches the system's folders
# first: with Debian's libtorch-dev installed, a build against the `torch` package or an
# archive linked Debian's libc10 beside its own, and loaded both. Take them from that folder.
get_target_property(_torch_cpu_location torch_cpu LOCATION)
get_filename_component(WIZARD_TORCH_LIBRARY_DIR "${_torch_cpu_location}" DIRECTORY)
set(_torch_library_vars TORCH_LIBRARY c10_LIBRARY C10_CUDA_LIBRARY)
set(_torch_library_names torch c10 c10_cuda)
foreach(_var _name IN ZIP_LISTS _torch_library_vars _torch_library_names)
  set(_own "${WIZARD_TORCH_LIBRARY_DIR}/lib${_name}.so")
  if(NOT ${_var} OR NOT EXISTS "${_own}" OR ${_var} STREQUAL _own)
    continue()
  endif()
  set(_libraries "")
  foreach(_library IN LISTS TORCH_LIBRARIES)
    if(_library STREQUAL ${_var})
      set(_library "${_own}")
    endif()
    list(APPEND _libraries "${_library}")
  endforeach()
  set(TORCH_LIBRARIES "${_libraries}")
  message(STATUS "wizard: ${_var} is ${_own}, not ${${_var}} (another LibTorch)")
  set(${_var} "${_own}" CACHE FILEPATH "LibTorch's lib${_name}" FORCE)
endforeach()
# Installed binaries and plugins find LibTorch where it was found (a venv, an archive)
# without LD_LIBRARY_PATH. (CMake's INSTALL_RPATH_USE_LINK_PATH skips folders inside the
# source tree, where .venv lives.)
list(APPEND CMAKE_INSTALL_RPATH "${WIZARD_TORCH_LIBRARY_DIR}")
# A CUDA build of LibTorch ships libc10_cuda next to libtorch.
if(EXISTS "${WIZARD_TORCH_LIBRARY_DIR}/libc10_cuda.so")
  set(WIZARD_TORCH_CUDA ON)
else()
  set(WIZARD_TORCH_CUDA OFF)
endif()
message(STATUS "wizard: LibTorch ${Torch_VERSION} (CUDA: ${WIZARD_TORCH_CUDA}, C++${CMAKE_CXX_STANDARD}) "
               "from ${Torch_DIR}")
