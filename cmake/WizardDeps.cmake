# Every third-party dependency, found once. All come from Debian bookworm
# (see scripts/setup.sh).

find_package(Torch REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem program_options)
find_package(tomlplusplus REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_package(ICU REQUIRED COMPONENTS uc i18n)

# LibTorch's CMake config adds its flags to TORCH_CXX_FLAGS (the C++ ABI switch).
separate_arguments(WIZARD_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
