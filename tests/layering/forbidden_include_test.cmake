# Runs check_layering.cmake on small trees: a clean one must pass, and each forbidden include
# (an SDK component including a component it does not use, a plugin including SDK internals or
# another plugin's file, a recipe naming a missing public header) must be reported.
# usage: cmake -DCHECK=check_layering.cmake -DWORK=dir -DCOMPONENTS=... -DUSES_<c>=... -P this
cmake_minimum_required(VERSION 3.18)

function(write path text)
  file(WRITE "${WORK}/${path}" "${text}\n")
endfunction()

set(uses_args -DCOMPONENTS=base,model -DUSES_base= -DUSES_model=base)

function(run_check tree out_result out_output)
  execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${tree} ${uses_args} -P ${CHECK}
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  set(${out_result} "${result}" PARENT_SCOPE)
  set(${out_output} "${output}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
write(sdk/include/wizard/base/error.hpp "#pragma once")
write(sdk/include/wizard/model/causal_lm.hpp "#include \"wizard/base/error.hpp\"")
write(sdk/src/model/attention.hpp "#include \"wizard/base/error.hpp\"")
write(sdk/src/model/attention.cpp "#include \"attention.hpp\"\n#include \"wizard/model/causal_lm.hpp\"")
write(plugins/losses/good/good.cpp "#include <vector>\n#include \"wizard/model/causal_lm.hpp\"\n#include \"good.hpp\"")
write(plugins/losses/good/good.hpp "#pragma once")
run_check("${WORK}" result output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "a clean tree was refused:\n${output}")
endif()

write(sdk/src/base/bad.cpp "#include \"model/attention.hpp\"")
write(plugins/losses/bad/bad.cpp "#include \"../../../sdk/src/model/attention.hpp\"\n#include \"../good/good.hpp\"")
write(recipes/bad/bad.cpp "#include \"wizard/model/missing.hpp\"\n#include <model/attention.hpp>")
run_check("${WORK}" result output)
if(result EQUAL 0)
  message(FATAL_ERROR "forbidden includes passed the check:\n${output}")
endif()
foreach(expected
    "sdk/src/base/bad.cpp:1: SDK component 'base' includes model/attention.hpp"
    "plugins/losses/bad/bad.cpp:1: includes \"../../../sdk/src/model/attention.hpp\""
    "plugins/losses/bad/bad.cpp:2: includes \"../good/good.hpp\""
    "recipes/bad/bad.cpp:1: includes wizard/model/missing.hpp, which is no public SDK header"
    "recipes/bad/bad.cpp:2: includes <model/attention.hpp>, a part of wizard that is not public")
  string(FIND "${output}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the check did not report: ${expected}\nit said:\n${output}")
  endif()
endforeach()
message(STATUS "the layering check reports each forbidden include")
