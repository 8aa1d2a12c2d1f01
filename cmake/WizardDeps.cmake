# Every third-party dependency, found once. LibTorch (>= 2.6) comes from the `torch`
# Python package that scripts/setup.sh installs into .venv, from a LibTorch archive, or
# from Debian's libtorch-dev; everything else from Debian 12 or 13 (scripts/setup.sh).
include(WizardTorch)

find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(Boost 1.74 CONFIG REQUIRED COMPONENTS filesystem program_options)
find_package(tomlplusplus REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
pkg_check_modules(ONIG REQUIRED IMPORTED_TARGET oniguruma)

# The `torch` package ships headers of its own fmt (a newer major) in its include folder,
# which the compiler searches before /usr/include. spdlog and wizard are built against
# Debian's fmt, so its headers must win: a folder holding only fmt and spdlog, searched first.
set(WIZARD_FMT_INCLUDE_DIR "${CMAKE_BINARY_DIR}/deps-include")
get_target_property(_fmt_includes fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
get_target_property(_spdlog_includes spdlog::spdlog INTERFACE_INCLUDE_DIRECTORIES)
find_path(WIZARD_SYSTEM_FMT_DIR fmt/format.h HINTS ${_fmt_includes} NO_CMAKE_PATH
          NO_CMAKE_ENVIRONMENT_PATH)
find_path(WIZARD_SYSTEM_SPDLOG_DIR spdlog/spdlog.h HINTS ${_spdlog_includes} NO_CMAKE_PATH
          NO_CMAKE_ENVIRONMENT_PATH)
file(MAKE_DIRECTORY "${WIZARD_FMT_INCLUDE_DIR}")
file(CREATE_LINK "${WIZARD_SYSTEM_FMT_DIR}/fmt" "${WIZARD_FMT_INCLUDE_DIR}/fmt" SYMBOLIC)
file(CREATE_LINK "${WIZARD_SYSTEM_SPDLOG_DIR}/spdlog" "${WIZARD_FMT_INCLUDE_DIR}/spdlog" SYMBOLIC)
include_directories(BEFORE SYSTEM "${WIZARD_FMT_INCLUDE_DIR}")
