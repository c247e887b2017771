# The Windows agent's build (cross, mingw-w64; scripts/build-windows.sh). Included by
# the top-level CMakeLists.txt instead of the Linux daemons: only what the agent and
# its tests need is built. The third-party targets get the names the Linux build's
# find_package calls give them, so the folders' own CMakeLists stay the same.
if(NOT DEFINED POOLHA_WIN_DEPS)
  message(FATAL_ERROR "POOLHA_WIN_DEPS: the prefix scripts/win-deps.sh printed")
endif()

# Windows Server 2012 R2 (NT 6.3) and later; the system C runtime (msvcrt.dll), and
# libstdc++, libgcc and winpthread linked in, so nothing has to be installed first.
# spdlog writes the event log in UTF-16 (ReportEventW) with SPDLOG_WCHAR_TO_UTF8_SUPPORT.
add_compile_definitions(_WIN32_WINNT=0x0603 WINVER=0x0603 NTDDI_VERSION=0x06030000 WIN32_LEAN_AND_MEAN NOMINMAX
                        FMT_HEADER_ONLY YAML_DECLARE_STATIC YAML_CPP_STATIC_DEFINE SPDLOG_WCHAR_TO_UTF8_SUPPORT)
enable_language(RC)
add_link_options(-static -static-libgcc -static-libstdc++)
# Asio's IOCP code trips GCC 12's -Wmaybe-uninitialized in the same way the epoll code
# does, and mingw's libstdc++ string concatenation its false -Wrestrict (GCC bug 105329).
add_compile_options(-Wno-maybe-uninitialized -Wno-restrict)

# Header-only libraries from the build machine (Boost.Asio, spdlog, fmt, nlohmann-json),
# through a directory that holds only their links.
set(host_include ${POOLHA_WIN_DEPS}/host-include)
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
target_include_directories(nlohmann_json::nlohmann_json SYSTEM INTERFACE ${host_include})
add_library(spdlog::spdlog INTERFACE IMPORTED)
target_include_directories(spdlog::spdlog SYSTEM INTERFACE ${host_include})
add_library(poolha_boost_asio INTERFACE)
target_include_directories(poolha_boost_asio SYSTEM INTERFACE ${host_include})
target_link_libraries(poolha_boost_asio INTERFACE ws2_32 mswsock)

# Cross-built from Debian's sources (scripts/win-deps.sh).
set(OPENSSL_ROOT_DIR ${POOLHA_WIN_DEPS})
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED)
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 user32 advapi32)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(yaml CONFIG REQUIRED)
find_package(re2 CONFIG REQUIRED)
find_package(protobuf CONFIG REQUIRED)
add_executable(protobuf::protoc IMPORTED)
set_target_properties(protobuf::protoc PROPERTIES IMPORTED_LOCATION /usr/bin/protoc)
find_package(Threads REQUIRED)

# Tests run under wine (ctest's emulator); a fresh prefix in the build tree.
find_program(POOLHA_WINE wine REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${PROJECT_SOURCE_DIR}/tests/windows/wine-run.sh)
