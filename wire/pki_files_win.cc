// The key and certificate files of wire/pki.h on Windows (the agent's build). Files
// are written through a temporary file, flushed, and moved over the old one with
// MoveFileEx(REPLACE_EXISTING | WRITE_THROUGH). A file its owner alone may read (mode
// 0600: a key) gets a DACL of SYSTEM and Administrators; others inherit the directory's
// (%ProgramData%\poolha: SYSTEM and Administrators, set by the agent's service). A private key is refused if anyone but SYSTEM,
// Administrators or TrustedInstaller may read it (the ACL form of `chmod 600`).
#include <windows.h>
#include <sddl.h>

#include <algorithm>
#include <atomic>

#include "common/windows/acl.h"
#include "common/windows/handle.h"
#include "common/windows/wide.h"
#include "wire/pki.h"

namespace poolha::pki {

using win::Handle;

Status write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  if (path.empty()) return Status::Error("write_file_atomic: path is empty");
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(GetCurrentProcessId()) + "." + std::to_string(counter++);
  const std::wstring wtmp = win::widen(tmp), wpath = win::widen(path);
  auto fail = [&](const std::string& what) {  // after the temp file's handle is closed
    const std::string text = win::last_error_text();
    DeleteFileW(wtmp.c_str());
    return Status::Error("cannot write " + path + ": " + what + ": " + text);
  };
  // A file only its owner may read (a key: mode 0600) gets a DACL of SYSTEM and
  // Administrators alone from the start; others inherit the directory's.
  PSECURITY_DESCRIPTOR sd = nullptr;
  if ((mode & 077) == 0 &&
      !ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;FA;;;SY)(A;;FA;;;BA)", SDDL_REVISION_1, &sd, nullptr))
    return Status::Error("cannot write " + path + ": security descriptor: " + win::last_error_text());
  struct SdFree {
    PSECURITY_DESCRIPTOR p;
    ~SdFree() { LocalFree(p); }
  } sd_free{sd};
  SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
  const char* failed = nullptr;
  {
    Handle f{CreateFileW(wtmp.c_str(), GENERIC_WRITE, 0, sd ? &sa : nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr)};
    if (!f) return Status::Error("cannot create temp file for " + path + ": " + win::last_error_text());
    for (size_t off = 0; off < data.size() && !failed;) {
      DWORD n = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(data.size() - off, 1 << 20));
      if (!WriteFile(f.get(), data.data() + off, chunk, &n, nullptr)) failed = "write";
      off += n;
    }
    if (!failed && !FlushFileBuffers(f.get())) failed = "flush";
  }
  if (failed) return fail(failed);
  if (!MoveFileExW(wtmp.c_str(), wpath.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return fail("rename");
  return Status::Ok();
}

Status check_private_key_file(const std::string& path) {
  auto facts = win::security_of(path);
  if (!facts.ok()) return facts.status();
  // Write, permission and ownership rights count too: whoever has them can give
  // themselves read (as group or other write fails `chmod 600` on Linux).
  if (auto st = win::check_admins_only(*facts, win::kReadRights | win::kWriteRights, "private key " + path,
                                       "read or change", win::current_user_sid());
      !st.ok())
    return Status::Error(st.error() + ": refused; allow only SYSTEM and Administrators to read it");
  return Status::Ok();
}

Expected<std::string> read_file(const std::string& path, size_t max_bytes) {
  Handle f{CreateFileW(win::widen(path).c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr)};
  if (!f) return Status::Error("cannot open " + path + ": " + win::last_error_text());
  if (GetFileType(f.get()) != FILE_TYPE_DISK) return Status::Error("cannot read " + path + ": not a regular file");
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(f.get(), &info)) return Status::Error("cannot stat " + path + ": " + win::last_error_text());
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return Status::Error("cannot read " + path + ": not a regular file");
  const unsigned long long size = (static_cast<unsigned long long>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  if (size > max_bytes)
    return Status::Error("cannot read " + path + ": " + std::to_string(size) + " bytes exceeds the limit of " +
                         std::to_string(max_bytes));
  std::string out;
  char buf[16384];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(f.get(), buf, sizeof buf, &n, nullptr)) return Status::Error("cannot read " + path + ": " + win::last_error_text());
    if (n == 0) break;
    out.append(buf, n);
    if (out.size() > max_bytes)
      return Status::Error("cannot read " + path + ": exceeds the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

}  // namespace poolha::pki
