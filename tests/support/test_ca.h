// A cluster CA in a directory, for tests that speak real mutual TLS on loopback: each
// certificate is issued for 127.0.0.1 with the role and name given and written as the
// files a daemon's config names (key owner-only, as the daemons require).
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "wire/pki.h"
#include "wire/session.h"

namespace poolha::testing {

class TestCa {
 public:
  // `dir` must exist; the CA certificate goes to dir/ca.crt.
  explicit TestCa(std::string dir) : dir_(std::move(dir)) {
    auto ca = pki::create_ca("poolha-test", 30);
    EXPECT_TRUE(ca.ok()) << (ca.ok() ? "" : ca.error());
    if (ca.ok()) ca_ = *ca;
    ca_file_ = dir_ + "/ca.crt";
    EXPECT_TRUE(pki::write_file_atomic(ca_file_, ca_.cert_pem, 0644).ok());
  }

  wire::TlsFiles issue(const std::string& name, pki::Role role) const {
    auto kc = pki::issue(ca_, name, role, {"127.0.0.1"}, {}, 30);
    EXPECT_TRUE(kc.ok()) << (kc.ok() ? "" : kc.error());
    wire::TlsFiles f{ca_file_, dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
    if (!kc.ok()) return f;
    EXPECT_TRUE(pki::write_file_atomic(f.cert_file, kc->cert_pem, 0644).ok());
    EXPECT_TRUE(pki::write_file_atomic(f.key_file, kc->key_pem, 0600).ok());
    return f;
  }

  const std::string& ca_file() const { return ca_file_; }

 private:
  std::string dir_;
  std::string ca_file_;
  pki::KeyCert ca_;
};

}  // namespace poolha::testing
