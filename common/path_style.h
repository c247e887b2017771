// How a config file writes paths: POSIX ("/var/lib/poolha") or Windows
// ("C:\ProgramData\poolha", either slash). The agent reads its agent.yaml in its OS's
// style; the controller and the arbiter run on Linux only.
#pragma once
#include <cctype>
#include <string_view>

namespace poolha {

enum class PathStyle { Posix, Windows };

inline constexpr PathStyle kNativePathStyle =
#ifdef _WIN32
    PathStyle::Windows;
#else
    PathStyle::Posix;
#endif

// "/x" (Posix); "C:\x" or "C:/x" (Windows: a drive letter, never a share or a relative path).
inline bool is_absolute_path(std::string_view p, PathStyle style) {
  if (style == PathStyle::Posix) return !p.empty() && p.front() == '/';
  return p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' && (p[2] == '\\' || p[2] == '/');
}

}  // namespace poolha
