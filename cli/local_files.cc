#include "cli/local_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace poolha::cli {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status ensure_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::Error(dir + " exists and is not a directory; choose another --dir");
    return Status::Ok();
  }
  if (::mkdir(dir.c_str(), 0700) != 0)
    return Status::Error("cannot create directory " + dir + ": " + std::strerror(errno) +
                         "; create it or choose another --dir");
  return Status::Ok();
}

Status write_pair(const std::string& dir, const std::string& name, const pki::KeyCert& kc) {
  if (auto st = pki::write_file_atomic(dir + "/" + name + ".key", kc.key_pem, 0600); !st.ok()) return st;
  return pki::write_file_atomic(dir + "/" + name + ".crt", kc.cert_pem, 0644);
}

Expected<pki::KeyCert> read_ca(const std::string& dir) {
  auto ca_cert = pki::read_file(dir + "/ca.crt", pki::kMaxPemBytes);
  auto ca_key = pki::read_private_key(dir + "/ca.key");
  if (!ca_cert.ok()) return Expected<pki::KeyCert>::Error(ca_cert.error());
  if (!ca_key.ok()) return Expected<pki::KeyCert>::Error(ca_key.error());
  return pki::KeyCert{*ca_key, *ca_cert};
}

}  // namespace poolha::cli
