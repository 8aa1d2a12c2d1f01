# wizard_add_plugin(NAME <library> SOURCES <files...> [VERSION <x.y.z>] [LIBS <targets...>]
#                   [OUTPUT_DIR <dir>])
#
# Builds one plugin library `lib<NAME>.so` against the wizard SDK. Used by the
# built-in plugins and installed with the SDK for third-party plugins, so both
# are built the same way: hidden visibility, the SDK's LibTorch, no prefix games.
# The sources see WIZARD_PLUGIN_LIBRARY_NAME and WIZARD_PLUGIN_LIBRARY_VERSION
# (VERSION, else the project's version), ready for WIZARD_PLUGIN_LIBRARY().
function(wizard_add_plugin)
  cmake_parse_arguments(P "" "NAME;VERSION;OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT P_NAME OR NOT P_SOURCES)
    message(FATAL_ERROR "wizard_add_plugin: NAME and SOURCES are required")
  endif()
  add_library(${P_NAME} MODULE ${P_SOURCES})
  if(TARGET wizard_sdk)
    target_link_libraries(${P_NAME} PRIVATE wizard_sdk ${P_LIBS})
  else()
    target_link_libraries(${P_NAME} PRIVATE wizard::sdk ${P_LIBS})
  endif()
  if(NOT P_VERSION)
    set(P_VERSION "${PROJECT_VERSION}")
  endif()
  if(NOT P_VERSION)
    set(P_VERSION "0.0.0")
  endif()
  target_compile_definitions(${P_NAME} PRIVATE WIZARD_PLUGIN_LIBRARY_NAME="${P_NAME}"
                             WIZARD_PLUGIN_LIBRARY_VERSION="${P_VERSION}")
  set_target_properties(${P_NAME} PROPERTIES
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib" POSITION_INDEPENDENT_CODE ON)
  if(COMMAND wizard_reuse_pch)
    wizard_reuse_pch(${P_NAME})  # in the wizard tree: the shared LibTorch PCH
  endif()
  if(P_OUTPUT_DIR)
    set_target_properties(${P_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIR}")
  elseif(DEFINED WIZARD_BUILD_PLUGIN_DIR)
    # In the wizard tree: built plugins go where the host looks (next to the binary).
    set_target_properties(${P_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${WIZARD_BUILD_PLUGIN_DIR}")
    if(WIZARD_PLUGIN_INSTALL_DIR)
      install(TARGETS ${P_NAME} LIBRARY DESTINATION "${WIZARD_PLUGIN_INSTALL_DIR}")
    endif()
  endif()
endfunction()
