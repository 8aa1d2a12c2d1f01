# Installed layout:
#   bin/wizard
#   lib/libwizard_sdk.so*
#   lib/wizard/plugins/lib*.so          the built-in plugins
#   include/wizard/...                   SDK headers (incl. the generated version.hpp)
#   lib/cmake/wizard/                    package config: find_package(wizard)
include(CMakePackageConfigHelpers)

set(WIZARD_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/wizard")

install(TARGETS wizard RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS wizard_sdk EXPORT wizardTargets
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/sdk/include/wizard" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/sdk/include/wizard/version.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/wizard")
install(EXPORT wizardTargets NAMESPACE wizard:: DESTINATION "${WIZARD_CMAKE_INSTALL_DIR}")

configure_package_config_file(cmake/wizardConfig.cmake.in
  "${PROJECT_BINARY_DIR}/wizardConfig.cmake"
  INSTALL_DESTINATION "${WIZARD_CMAKE_INSTALL_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/wizardConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/wizardConfig.cmake"
              "${PROJECT_BINARY_DIR}/wizardConfigVersion.cmake"
              cmake/WizardPlugin.cmake
              cmake/WizardCuda.cmake
        DESTINATION "${WIZARD_CMAKE_INSTALL_DIR}")
