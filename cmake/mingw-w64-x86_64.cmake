# Cross-building the Windows agent on Debian with mingw-w64 (posix threads, so
# std::thread and std::mutex work), for Windows Server 2012 R2 and later.
# scripts/build-windows.sh passes POOLHA_WIN_DEPS: the prefix scripts/win-deps.sh
# built (OpenSSL, protobuf-lite, yaml-cpp, libyaml, RE2, GoogleTest).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${mingw}-gcc-posix)
set(CMAKE_CXX_COMPILER ${mingw}-g++-posix)
set(CMAKE_RC_COMPILER ${mingw}-windres)
set(CMAKE_MC_COMPILER ${mingw}-windmc)

# Libraries and headers come from the mingw sysroot and the dependency prefix only;
# programs (protoc, perl) from the build machine.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${mingw})
if(DEFINED POOLHA_WIN_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${POOLHA_WIN_DEPS})
  list(APPEND CMAKE_PREFIX_PATH ${POOLHA_WIN_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} ${POOLHA_WIN_DEPS}/lib/pkgconfig)
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
