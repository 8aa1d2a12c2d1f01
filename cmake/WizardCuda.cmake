# Included before find_package(Torch) by WizardTorch.cmake and by the installed SDK's
# wizardConfig.cmake (plugins built against a CUDA LibTorch). With a CUDA build of LibTorch,
# LibTorch's own config (Caffe2's public/cuda.cmake: FindCUDA, enable_language(CUDA),
# FindCUDAToolkit) looks for the CUDA toolkit and for CUDA's libraries. Two things defeat it
# where users get LibTorch from the `torch` Python package:
#   - nvcc may be a wrapper script outside its toolkit (FindCUDA takes nvcc's parent folder
#     for the toolkit root), so the root is asked of nvcc itself (`nvcc --dryrun`: TOP=...);
#   - CUDA's libraries (nvrtc, cublas, cudnn, ...) come as pip packages beside torch
#     (site-packages/nvidia/*/lib), named lib<name>.so.<N> with no lib<name>.so link, which
#     find_library never takes; each one found there is handed over as CUDA_<name>_LIBRARY,
#     the variable FindCUDA and FindCUDAToolkit fill.
# Whatever is set already (CUDA_TOOLKIT_ROOT_DIR, CUDAToolkit_ROOT, CMAKE_CUDA_COMPILER, CUDACXX,
# CUDA_<name>_LIBRARY) wins. For a CPU LibTorch, only TORCH_LIBRARY is pinned (below).

# The folder holding the LibTorch that find_package(Torch) will take (Torch_DIR first, then
# CMAKE_PREFIX_PATH, as find_package looks), or "" when it is elsewhere (the system's).
function(wizard_torch_root out)
  set(candidates "")
  foreach(dir IN ITEMS "${Torch_DIR}" "$ENV{Torch_DIR}")
    if(dir)
      list(APPEND candidates "${dir}/../../..")   # <root>/share/cmake/Torch
    endif()
  endforeach()
  set(prefixes ${CMAKE_PREFIX_PATH})
  string(REPLACE ":" ";" env_prefixes "$ENV{CMAKE_PREFIX_PATH}")
  foreach(prefix IN LISTS prefixes env_prefixes)
    if(EXISTS "${prefix}/Torch/TorchConfig.cmake")   # torch.utils.cmake_prefix_path
      list(APPEND candidates "${prefix}/../..")
    elseif(EXISTS "${prefix}/share/cmake/Torch/TorchConfig.cmake")   # a LibTorch archive
      list(APPEND candidates "${prefix}")
    endif()
  endforeach()
  foreach(candidate IN LISTS candidates)
    if(EXISTS "${candidate}/share/cmake/Torch/TorchConfig.cmake")
      get_filename_component(root "${candidate}" ABSOLUTE)
      set(${out} "${root}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# Points FindCUDA, enable_language(CUDA) and FindCUDAToolkit at the toolkit that nvcc belongs
# to. nvcc is looked for in CUDA_HOME/CUDA_PATH, on PATH and in /usr/local/cuda.
function(wizard_cuda_toolkit)
  if(CUDA_TOOLKIT_ROOT_DIR OR CUDAToolkit_ROOT OR DEFINED ENV{CUDAToolkit_ROOT})
    return()
  endif()
  if(CMAKE_CUDA_COMPILER)
    set(nvcc "${CMAKE_CUDA_COMPILER}")
  elseif(DEFINED ENV{CUDACXX})
    set(nvcc "$ENV{CUDACXX}")
  else()
    set(hints "")
    foreach(dir IN ITEMS "$ENV{CUDA_HOME}" "$ENV{CUDA_PATH}")
      if(dir)
        list(APPEND hints "${dir}/bin")
      endif()
    endforeach()
    find_program(WIZARD_NVCC nvcc HINTS ${hints} PATHS /usr/local/cuda/bin
                 DOC "nvcc, for a CUDA LibTorch's CMake config")
    set(nvcc "${WIZARD_NVCC}")
  endif()
  if(NOT nvcc)
    message(FATAL_ERROR
      "wizard: the LibTorch found is a CUDA build, and its CMake config needs the CUDA "
      "toolkit's nvcc, which is neither on PATH nor in CUDA_HOME. Install the CUDA toolkit, "
      "set CMAKE_CUDA_COMPILER or CUDAToolkit_ROOT, or build against the CPU `torch` (.venv).")
  endif()
  # nvcc reports the toolkit it belongs to, whatever wraps or links to it.
  execute_process(COMMAND "${nvcc}" --dryrun -c wizard-probe.cu
                  OUTPUT_VARIABLE dryrun ERROR_VARIABLE dryrun RESULT_VARIABLE result)
  if(NOT result EQUAL 0 OR NOT dryrun MATCHES "#\\$ TOP=([^\r\n]*)")
    message(FATAL_ERROR "wizard: `${nvcc} --dryrun` failed (exit ${result}); "
                        "is it the CUDA toolkit's nvcc? It printed:\n${dryrun}")
  endif()
  get_filename_component(root "${CMAKE_MATCH_1}" REALPATH)
  set(CUDA_TOOLKIT_ROOT_DIR "${root}" CACHE PATH "The CUDA toolkit (found through nvcc)")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    set(CMAKE_CUDA_COMPILER "${root}/bin/nvcc" CACHE FILEPATH "that toolkit's nvcc")
  endif()
  message(STATUS "wizard: CUDA toolkit ${root} (from ${nvcc})")
endfunction()

# Hands each lib<name>.so.<N> of the pip packages in `nvidia_dirs` to FindCUDA/FindCUDAToolkit
# as CUDA_<name>_LIBRARY (both search those variables first), so that LibTorch's targets link
# the very libraries torch runs with.
function(wizard_cuda_pip_libraries nvidia_dirs)
  set(count 0)
  foreach(dir IN LISTS nvidia_dirs)
    file(GLOB libraries "${dir}/lib/lib*.so.*")
    foreach(library IN LISTS libraries)
      get_filename_component(file "${library}" NAME)
      if(NOT file MATCHES "^lib([A-Za-z0-9_]+)\\.so\\.[0-9.]+$")
        continue()   # libnvrtc.alt.so.13, libnvrtc-builtins.so.13.0: not linked
      endif()
      set(name "${CMAKE_MATCH_1}")
      math(EXPR count "${count} + 1")
      if(NOT CUDA_${name}_LIBRARY)
        set(CUDA_${name}_LIBRARY "${library}" CACHE FILEPATH "${name}, from the pip package")
      endif()
      if(name STREQUAL "cudart" AND NOT CUDA_CUDART_LIBRARY)   # FindCUDA's spelling
        set(CUDA_CUDART_LIBRARY "${library}" CACHE FILEPATH "cudart, from the pip package")
      endif()
    endforeach()
  endforeach()
  message(STATUS "wizard: ${count} CUDA libraries in the pip packages beside torch")
endfunction()

wizard_torch_root(_wizard_torch_root)
# TorchConfig looks for libtorch on the system's paths before its own folder: another
# LibTorch there (Debian's libtorch-dev) would set TORCH_LIBRARY, and with it the RPATH and
# WIZARD_TORCH_CUDA in WizardTorch.cmake.
if(_wizard_torch_root AND NOT TORCH_LIBRARY AND EXISTS "${_wizard_torch_root}/lib/libtorch.so")
  set(TORCH_LIBRARY "${_wizard_torch_root}/lib/libtorch.so" CACHE FILEPATH "LibTorch's libtorch")
endif()
if(_wizard_torch_root AND EXISTS "${_wizard_torch_root}/lib/libc10_cuda.so")
  # The `torch` package's CUDA libraries: site-packages/nvidia/<part>/{lib,include,bin}.
  file(GLOB _wizard_nvidia_dirs LIST_DIRECTORIES true "${_wizard_torch_root}/../nvidia/*")
  list(FILTER _wizard_nvidia_dirs INCLUDE REGEX "/nvidia/[^/]+$")
  wizard_cuda_toolkit()
  wizard_cuda_pip_libraries("${_wizard_nvidia_dirs}")
endif()
