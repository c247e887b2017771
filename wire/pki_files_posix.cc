// The key and certificate files of wire/pki.h on POSIX: modes, fsync, rename.
// pki_files_win.cc is the Windows agent's.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wire/pki.h"

namespace poolha::pki {

Status write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  if (path.empty()) return Status::Error("write_file_atomic: path is empty");
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());  // created 0600, O_EXCL
  if (fd < 0) return Status::Error("cannot create temp file for " + path + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    return Status::Error("cannot write " + path + ": " + what + ": " + std::strerror(e));
  };
  if (fchmod(fd, static_cast<mode_t>(mode & 07777)) != 0) return fail("fchmod");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync");
  int rc = close(fd);
  fd = -1;
  if (rc != 0) return fail("close");
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // best effort: make the rename durable
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

Status check_private_key_file(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::Error("cannot stat " + path + ": " + std::strerror(errno));
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Error("private key " + path + " is readable by group or others (mode " + mode +
                         "): refused; run chmod 600 " + path);
  }
  return Status::Ok();
}

Expected<std::string> read_file(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return Status::Error("cannot stat " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error("cannot read " + path + ": not a regular file");
  }
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
    close(fd);
    return Status::Error("cannot read " + path + ": " + std::to_string(st.st_size) +
                         " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return Status::Error("cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {  // grew while we were reading
      close(fd);
      return Status::Error("cannot read " + path + ": exceeds the limit of " +
                           std::to_string(max_bytes) + " bytes");
    }
  }
  close(fd);
  return out;
}

}  // namespace poolha::pki
