// LeaseFile (host/lease.h) on Linux: a file mapped MAP_SHARED by the agent and
// the keeper. The Windows port maps it with CreateFileMapping instead.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "host/lease.h"

namespace poolha::host {

Expected<LeaseFile> LeaseFile::open(const std::string& path, bool create) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (fd < 0) return Expected<LeaseFile>::Error("lease file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Expected<LeaseFile>::Error("lease file " + path + ": " + std::strerror(e));
  }
  const bool right_size = st.st_size == static_cast<off_t>(sizeof(LeaseRegion));
  std::string old;  // a file of another size: perhaps a version-1 lease to carry over
  if (!right_size && create && st.st_size > 0 && st.st_size <= (1 << 20)) {
    old.resize(static_cast<size_t>(st.st_size));
    if (::pread(fd, old.data(), old.size(), 0) != static_cast<ssize_t>(old.size())) old.clear();
  }
  if (!right_size) {
    if (!create) {
      ::close(fd);
      return Expected<LeaseFile>::Error("lease file " + path + ": wrong size (not written by this version?)");
    }
    if (::ftruncate(fd, sizeof(LeaseRegion)) != 0) {
      const int e = errno;
      ::close(fd);
      return Expected<LeaseFile>::Error("lease file " + path + ": " + std::strerror(e));
    }
  }
  void* p = ::mmap(nullptr, sizeof(LeaseRegion), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int e = errno;
  ::close(fd);  // the mapping keeps the file
  if (p == MAP_FAILED) return Expected<LeaseFile>::Error("lease file " + path + ": mmap: " + std::strerror(e));
  auto* r = static_cast<LeaseRegion*>(p);
  if (!lease_valid(*r)) {
    if (!create) {
      ::munmap(p, sizeof(LeaseRegion));
      return Expected<LeaseFile>::Error("lease file " + path + ": not a poolha lease (bad magic or version)");
    }
    std::memset(p, 0, sizeof(LeaseRegion));
    init_lease(*r);
    if (auto v1 = read_v1_lease(old)) {
      (void)write_lease(*r, v1->hold);  // every v1 name fits: they were at most 15 bytes
      if (v1->released) mark_released(*r, read_lease(*r).generation, monotonic_ms());
    }
  }
  ::msync(p, sizeof(LeaseRegion), MS_SYNC);
  return LeaseFile(r, path);
}

LeaseFile::LeaseFile(LeaseFile&& o) noexcept : region_(o.region_), path_(std::move(o.path_)) { o.region_ = nullptr; }

LeaseFile& LeaseFile::operator=(LeaseFile&& o) noexcept {
  if (this != &o) {
    if (region_) ::munmap(region_, sizeof(LeaseRegion));
    region_ = o.region_;
    path_ = std::move(o.path_);
    o.region_ = nullptr;
  }
  return *this;
}

LeaseFile::~LeaseFile() {
  if (region_) ::munmap(region_, sizeof(LeaseRegion));
}

int64_t monotonic_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace poolha::host
