// LeaseFile (host/lease.h) on Windows: state_dir\lease mapped with CreateFileMapping
// by the agent and by the poolha-keeper service. Views of one local file are coherent
// across processes (MapViewOfFile), so no flush is needed between them; the file is
// named, not a pagefile section, so a restarted agent finds its list again.
#include <windows.h>

#include <cstring>

#include "common/windows/wide.h"
#include "host/lease.h"

namespace poolha::host {

namespace {

Expected<LeaseFile> fail(const std::string& path, const std::string& what) {
  return Expected<LeaseFile>::Error("lease file " + path + ": " + what + ": " + win::last_error_text());
}

}  // namespace

Expected<LeaseFile> LeaseFile::open(const std::string& path, bool create) {
  // Inherits the state directory's ACL (SYSTEM and Administrators: the MSI sets it).
  HANDLE file = CreateFileW(win::widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return fail(path, "open");
  LARGE_INTEGER size{};
  GetFileSizeEx(file, &size);
  if (size.QuadPart != static_cast<LONGLONG>(sizeof(LeaseRegion)) && !create) {
    CloseHandle(file);
    return Expected<LeaseFile>::Error("lease file " + path + ": wrong size (not written by this version?)");
  }
  if (size.QuadPart > static_cast<LONGLONG>(sizeof(LeaseRegion))) {  // a mapping only grows a file
    LARGE_INTEGER want{};
    want.QuadPart = sizeof(LeaseRegion);
    if (!SetFilePointerEx(file, want, nullptr, FILE_BEGIN) || !SetEndOfFile(file)) {
      CloseHandle(file);
      return fail(path, "truncate");
    }
  }
  HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READWRITE, 0, sizeof(LeaseRegion), nullptr);
  CloseHandle(file);  // the mapping keeps the file
  if (!mapping) return fail(path, "CreateFileMapping");
  void* p = MapViewOfFile(mapping, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, sizeof(LeaseRegion));
  CloseHandle(mapping);  // the view keeps the mapping
  if (!p) return fail(path, "MapViewOfFile");
  auto* r = static_cast<LeaseRegion*>(p);
  if (!lease_valid(*r)) {
    if (!create) {
      UnmapViewOfFile(p);
      return Expected<LeaseFile>::Error("lease file " + path + ": not a poolha lease (bad magic or version)");
    }
    std::memset(p, 0, sizeof(LeaseRegion));
    init_lease(*r);
  }
  FlushViewOfFile(p, sizeof(LeaseRegion));
  return LeaseFile(r, path);
}

LeaseFile::LeaseFile(LeaseFile&& o) noexcept : region_(o.region_), path_(std::move(o.path_)) { o.region_ = nullptr; }

LeaseFile& LeaseFile::operator=(LeaseFile&& o) noexcept {
  if (this != &o) {
    if (region_) UnmapViewOfFile(region_);
    region_ = o.region_;
    path_ = std::move(o.path_);
    o.region_ = nullptr;
  }
  return *this;
}

LeaseFile::~LeaseFile() {
  if (region_) UnmapViewOfFile(region_);
}

// System-wide and running while a process is suspended, like CLOCK_MONOTONIC; 10-16 ms
// resolution is enough for the keeper's 50 ms loop.
int64_t monotonic_ms() { return static_cast<int64_t>(GetTickCount64()); }

}  // namespace poolha::host
