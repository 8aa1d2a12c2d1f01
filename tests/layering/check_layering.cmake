# The layering rules of docs/architecture.md, checked on every #include of the tree:
#   - an SDK component (sdk/src/<c>/, sdk/include/wizard/<c>/) includes only itself and the
#     components it USES in sdk/CMakeLists.txt (directly or through them);
#   - plugins/ and recipes/ include only the SDK's public headers (wizard/...) and files of
#     their own folder; core/ only public SDK headers and its own files.
# usage: cmake -DSOURCE_DIR=... -DCOMPONENTS=a,b -DUSES_<c>=x,y ... -P check_layering.cmake
# Prints every violation (file:line: what) and fails when there is one.
cmake_minimum_required(VERSION 3.18)

string(REPLACE "," ";" COMPONENTS "${COMPONENTS}")
foreach(c IN LISTS COMPONENTS)
  string(REPLACE "," ";" USES_${c} "${USES_${c}}")
endforeach()
if(NOT COMPONENTS)
  message(FATAL_ERROR "check_layering: no COMPONENTS given")
endif()

set(violations "")

# The quoted and angled includes of FILE as "line|target" items.
function(includes_of file out)
  file(STRINGS "${file}" lines)
  set(found "")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[\"<]([^\">]+)[\">]")
      list(APPEND found "${number}|${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

macro(violation file line message)
  file(RELATIVE_PATH _rel "${SOURCE_DIR}" "${file}")
  list(APPEND violations "${_rel}:${line}: ${message}")
endmacro()

# The component an include names, if any: wizard/<c>/... (public) or <c>/... (internal).
function(component_of include out)
  set(result "")
  foreach(c IN LISTS COMPONENTS)
    if(include MATCHES "^(wizard/)?${c}/")
      set(result "${c}")
    endif()
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# SDK components.
foreach(c IN LISTS COMPONENTS)
  file(GLOB_RECURSE files "${SOURCE_DIR}/sdk/src/${c}/*.cpp" "${SOURCE_DIR}/sdk/src/${c}/*.hpp"
       "${SOURCE_DIR}/sdk/include/wizard/${c}/*.hpp")
  set(allowed ${c} ${USES_${c}})
  foreach(file IN LISTS files)
    includes_of("${file}" items)
    foreach(item IN LISTS items)
      string(REGEX REPLACE "^([0-9]+)\\|.*" "\\1" line "${item}")
      string(REGEX REPLACE "^[0-9]+\\|" "" include "${item}")
      component_of("${include}" used)
      if(used AND NOT used IN_LIST allowed)
        violation("${file}" "${line}" "SDK component '${c}' includes ${include} of component "
                  "'${used}', which it does not use (sdk/CMakeLists.txt: ${c} USES ${USES_${c}})")
      endif()
      if(include MATCHES "\\.\\./")
        violation("${file}" "${line}" "includes ${include}: a path out of its component")
      endif()
    endforeach()
  endforeach()
endforeach()

# Plugins, recipes and the host: the SDK's public headers, their own folder's files, and
# third-party headers in <...>.
file(GLOB_RECURSE files "${SOURCE_DIR}/plugins/*.cpp" "${SOURCE_DIR}/plugins/*.hpp"
     "${SOURCE_DIR}/recipes/*.cpp" "${SOURCE_DIR}/recipes/*.hpp"
     "${SOURCE_DIR}/core/*.cpp" "${SOURCE_DIR}/core/*.hpp")
foreach(file IN LISTS files)
  get_filename_component(folder "${file}" DIRECTORY)
  file(STRINGS "${file}" lines)
  set(number 0)
  foreach(line_text IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(NOT line_text MATCHES "^[ \t]*#[ \t]*include[ \t]*([\"<])([^\">]+)[\">]")
      continue()
    endif()
    set(quote "${CMAKE_MATCH_1}")
    set(include "${CMAKE_MATCH_2}")
    if(include MATCHES "^wizard/")
      if(NOT EXISTS "${SOURCE_DIR}/sdk/include/${include}" AND NOT include STREQUAL "wizard/version.hpp")
        violation("${file}" "${number}" "includes ${include}, which is no public SDK header")
      endif()
    elseif(quote STREQUAL "\"")
      if(include MATCHES "/" OR NOT EXISTS "${folder}/${include}")
        violation("${file}" "${number}" "includes \"${include}\": plugins, recipes and the host "
                  "include only the SDK's public headers (wizard/...) and files of their own folder")
      endif()
    else()
      component_of("${include}" used)
      if(used OR include MATCHES "^(plugins|recipes|sdk|core)/")
        violation("${file}" "${number}" "includes <${include}>, a part of wizard that is not public")
      endif()
    endif()
  endforeach()
endforeach()

if(violations)
  list(LENGTH violations count)
  string(REPLACE ";" "\n" text "${violations}")
  message(NOTICE "${text}")
  message(FATAL_ERROR "${count} layering violation(s), listed above")
endif()
message(STATUS "layering: every include respects the component graph")
