#!/usr/bin/env bash
# Runs a Windows test binary under wine (CMAKE_CROSSCOMPILING_EMULATOR of the Windows
# build): a prefix of the build's own (made once, by `wineboot -i`), no debug chatter,
# no crash dialog (winedbg would wait for ever), bounded in time.
set -euo pipefail
: "${POOLHA_WINEPREFIX:=${TMPDIR:-/tmp}/poolha-wine-$(id -u)}"
export WINEPREFIX=$POOLHA_WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe,mscoree,mshtml=d"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wineboot -i >/dev/null 2>&1 || true
  wineserver -w
  # No crash dialogs or debugger: a crashing test must end, not wait.
  wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Auto /t REG_SZ /d 1 /f >/dev/null 2>&1
  wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /t REG_SZ /d false /f >/dev/null 2>&1
  wine reg add 'HKCU\Software\Wine\WineDbg' /v ShowCrashDialog /t REG_DWORD /d 0 /f >/dev/null 2>&1
fi
exec timeout --kill-after=10 "${POOLHA_WINE_TIMEOUT:-300}" wine "$@"
