// Helpers for the Windows tests under wine: scratch directories whose permissions are
// set as the MSI sets the agent's (owner Administrators, SYSTEM and Administrators
// only, not inherited), or opened up to Everyone, and files written byte for byte.
#pragma once
#include <string>

namespace poolha::test {

// A fresh directory under %TEMP%, removed (with its contents) on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "\\" + name; }

 private:
  std::string path_;
};

// Owner Administrators; a protected DACL of SYSTEM and Administrators (full control),
// plus Everyone with `everyone_rights` when non-zero. Returns false if it could not be set.
bool set_admin_only(const std::string& path, unsigned everyone_rights = 0);

void write_bytes(const std::string& path, const std::string& bytes);
std::string read_bytes(const std::string& path);

}  // namespace poolha::test
