// A std::filesystem::path from a UTF-8 string. On Windows a path built from a plain
// std::string is read in the ANSI code page (GBK on Chinese Windows), so "D:\日志"
// written in agent.yaml would name another directory; from char8_t it is UTF-8 on
// both systems.
#pragma once
#include <filesystem>
#include <string>

namespace poolha {

inline std::filesystem::path fs_path(const std::string& utf8) {
  return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}

}  // namespace poolha
