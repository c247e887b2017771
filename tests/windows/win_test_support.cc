#include "win_test_support.h"

#include <windows.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/windows/acl.h"
#include "common/windows/wide.h"

namespace poolha::test {

namespace {

// Scratch directories live in C:\poolha-test, admins only. (Wine keeps no security
// descriptors: it shows the Unix owner as the file's owner and maps the DACL to the
// mode bits, Everyone standing for "others"; the rules trust the agent's own account,
// which the Unix owner is here, as they trust SYSTEM for the service.)
const std::string& scratch_root() {
  static const std::string root = [] {
    CreateDirectoryW(L"C:\\poolha-test", nullptr);
    set_admin_only("C:\\poolha-test");
    return std::string("C:\\poolha-test");
  }();
  return root;
}

}  // namespace

ScratchDir::ScratchDir() {
  static int counter = 0;
  path_ = scratch_root() + "\\" + std::to_string(GetCurrentProcessId()) + "-" + std::to_string(counter++);
  std::filesystem::remove_all(win::widen(path_));
  std::filesystem::create_directories(win::widen(path_));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(win::widen(path_), ec);
}

bool set_admin_only(const std::string& path, unsigned everyone_rights) {
  // D:P = protected (nothing inherited); FA = full access; SY, BA, WD = SYSTEM,
  // Administrators, Everyone.
  std::string sddl = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
  if (everyone_rights) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", everyone_rights);
    sddl += "(A;;" + std::string(hex) + ";;;WD)";
  }
  return win::set_security(path, sddl).ok();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(std::filesystem::path(win::widen(path)), std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(std::filesystem::path(win::widen(path)), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace poolha::test
