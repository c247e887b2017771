// Tests for poolha::pki: the cluster CA, certificate issue/verification,
// CSR enrolment, tokens, key files, and a real mutual-TLS handshake over a
// socketpair with the issued certificates.
#include "wire/pki.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace poolha::pki {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ---- helpers ------------------------------------------------------------------

struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct CtxFree { void operator()(SSL_CTX* p) const { SSL_CTX_free(p); } };
struct SslFree { void operator()(SSL* p) const { SSL_free(p); } };
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

X509Ptr parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(x);
}

PkeyPtr parse_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return PkeyPtr(k);
}

std::string to_pem(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// One CA shared by the tests (EC keygen is cheap, but this keeps output tidy).
const KeyCert& test_ca() {
  static const KeyCert ca = [] {
    auto r = create_ca("test", 365);
    if (!r) {
      std::fprintf(stderr, "create_ca failed: %s\n", r.error().c_str());
      std::abort();
    }
    return *r;
  }();
  return ca;
}

const KeyCert& foreign_ca() {
  static const KeyCert ca = [] {
    auto r = create_ca("foreign", 365);
    if (!r) std::abort();
    return *r;
  }();
  return ca;
}

// ---- roles, keys ----------------------------------------------------------------

TEST(PkiRole, RoundTrip) {
  for (Role r : {Role::Controller, Role::Arbiter, Role::Agent, Role::Operator}) {
    auto parsed = parse_role(to_string(r));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(to_string(Role::Controller), "controller");
  EXPECT_EQ(to_string(Role::Operator), "operator");
  EXPECT_FALSE(parse_role("Controller").has_value());
  EXPECT_FALSE(parse_role("root").has_value());
  EXPECT_FALSE(parse_role("").has_value());
}

TEST(PkiKey, GenerateIsPkcs8EcP256) {
  auto key = generate_key();
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  PkeyPtr k = parse_key(*key);
  ASSERT_TRUE(k);
  EXPECT_EQ(EVP_PKEY_get_base_id(k.get()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(k.get()), 256);
  auto key2 = generate_key();
  ASSERT_TRUE(key2.ok());
  EXPECT_NE(*key, *key2);
}

// ---- CA -------------------------------------------------------------------------

TEST(PkiCa, CreateCaHasCaExtensions) {
  const KeyCert& ca = test_ca();
  X509Ptr cert = parse_cert(ca.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  // self-signed: issuer == subject and the signature verifies with its own key
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  char cn[128] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "poolha CA test");
  // basicConstraints must be critical; keyUsage must include keyCertSign
  int crit = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->ca);
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN);
  // key matches cert
  PkeyPtr key = parse_key(ca.key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  // a CA certificate has no role: it is not an identity
  auto id = identity_of(ca.cert_pem);
  EXPECT_FALSE(id.ok());
}

TEST(PkiCa, RejectsBadParameters) {
  auto r = create_ca("", 365);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cluster name"), std::string::npos) << r.error();
  r = create_ca("x", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("days"), std::string::npos) << r.error();
  r = create_ca(std::string(200, 'a'), 365);
  EXPECT_FALSE(r.ok());
  r = create_ca("bad\nname", 365);
  EXPECT_FALSE(r.ok());
}

// ---- issue / verify ----------------------------------------------------------------

TEST(PkiIssue, ControllerAndAgentVerify) {
  const KeyCert& ca = test_ca();
  auto ctl = issue(ca, "ctl-1", Role::Controller, {"127.0.0.1", "::1"}, {"ctl-1.example"}, 90);
  ASSERT_TRUE(ctl.ok()) << ctl.error();
  auto agent = issue(ca, "db-node-7", Role::Agent, {"10.0.0.7"}, {}, 90);
  ASSERT_TRUE(agent.ok()) << agent.error();

  auto id = verify_identity(ca.cert_pem, ctl->cert_pem);
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->common_name, "ctl-1");
  EXPECT_EQ(id->role, Role::Controller);
  EXPECT_EQ(id->fingerprint_sha256.size(), 64u);
  EXPECT_TRUE(is_lower_hex(id->fingerprint_sha256));

  auto aid = verify_identity(ca.cert_pem, agent->cert_pem);
  ASSERT_TRUE(aid.ok()) << aid.error();
  EXPECT_EQ(aid->common_name, "db-node-7");
  EXPECT_EQ(aid->role, Role::Agent);
  EXPECT_NE(aid->fingerprint_sha256, id->fingerprint_sha256);

  // identity_of agrees, and the fingerprint matches an independent computation
  auto shown = identity_of(ctl->cert_pem);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->fingerprint_sha256, id->fingerprint_sha256);
  X509Ptr cert = parse_cert(ctl->cert_pem);
  unsigned char md[32];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &len), 1);
  char hexbuf[65];
  for (unsigned i = 0; i < len; ++i) std::snprintf(hexbuf + 2 * i, 3, "%02x", md[i]);
  EXPECT_EQ(id->fingerprint_sha256, std::string(hexbuf, 64));

  // subject has OU=controller; SANs and EKU are present
  char ou[64] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_organizationalUnitName, ou,
                            sizeof ou);
  EXPECT_STREQ(ou, "controller");
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 0);
  EXPECT_EQ(X509_check_host(cert.get(), "ctl-1.example", 0, 0, nullptr), 1);
  uint32_t xku = X509_get_extended_key_usage(cert.get());
  EXPECT_TRUE(xku & XKU_SSL_SERVER);
  EXPECT_TRUE(xku & XKU_SSL_CLIENT);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  // 128-bit random serial: positive, at most 16 magnitude bytes (fewer only
  // when the top byte happens to be zero, p = 1/256)
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);
  EXPECT_LE(ASN1_STRING_length(serial), 16);
  EXPECT_GE(ASN1_STRING_length(serial), 8);

  // the issued key matches the cert and is PKCS#8
  EXPECT_EQ(ctl->key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  PkeyPtr key = parse_key(ctl->key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST(PkiIssue, SerialsDiffer) {
  auto a = issue(test_ca(), "n", Role::Agent, {}, {}, 30);
  auto b = issue(test_ca(), "n", Role::Agent, {}, {}, 30);
  ASSERT_TRUE(a.ok() && b.ok());
  X509Ptr ca = parse_cert(a->cert_pem), cb = parse_cert(b->cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())), 0);
}

// Issue 9 §3: revocations name a serial; the identity carries it in the one canonical
// spelling (lowercase hex, no leading zeros) that operators may write any way.
TEST(PkiIssue, IdentityCarriesTheSerialRevocationsName) {
  auto a = issue(test_ca(), "op1", Role::Operator, {}, {}, 30);
  ASSERT_TRUE(a.ok());
  auto id = identity_of(a->cert_pem);
  ASSERT_TRUE(id.ok()) << id.error();
  X509Ptr x = parse_cert(a->cert_pem);
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr);
  char* hex_upper = BN_bn2hex(bn);
  EXPECT_EQ(canonical_serial(hex_upper).value(), id->serial);
  OPENSSL_free(hex_upper);
  BN_free(bn);
  EXPECT_EQ(canonical_serial("0x00AB:CD").value(), "abcd");
  EXPECT_EQ(canonical_serial("000").value(), "0");
  EXPECT_FALSE(canonical_serial("").ok());
  EXPECT_FALSE(canonical_serial("xyz").ok());
  EXPECT_FALSE(canonical_serial(std::string(41, 'f')).ok());
}

TEST(PkiIssue, ValidityClampedToCa) {
  auto short_ca = create_ca("short", 10);
  ASSERT_TRUE(short_ca.ok());
  auto leaf = issue(*short_ca, "n", Role::Agent, {}, {}, 1000);
  ASSERT_TRUE(leaf.ok()) << leaf.error();
  X509Ptr l = parse_cert(leaf->cert_pem), c = parse_cert(short_ca->cert_pem);
  EXPECT_LE(ASN1_TIME_compare(X509_get0_notAfter(l.get()), X509_get0_notAfter(c.get())), 0);
  EXPECT_TRUE(verify_identity(short_ca->cert_pem, leaf->cert_pem).ok());
}

TEST(PkiIssue, RejectsBadInputs) {
  const KeyCert& ca = test_ca();
  auto r = issue(ca, "n", Role::Agent, {"300.1.1.1"}, {}, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("300.1.1.1"), std::string::npos) << r.error();
  r = issue(ca, "n", Role::Agent, {"1.2.3"}, {}, 30);
  EXPECT_FALSE(r.ok());
  r = issue(ca, "n", Role::Agent, {}, {"bad name,DNS:evil"}, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("DNS name"), std::string::npos) << r.error();
  r = issue(ca, "", Role::Agent, {}, {}, 30);
  EXPECT_FALSE(r.ok());
  r = issue(ca, std::string(65, 'x'), Role::Agent, {}, {}, 30);
  EXPECT_FALSE(r.ok());
  r = issue(ca, "n", Role::Agent, {}, {}, -1);
  EXPECT_FALSE(r.ok());
  // CA key and cert that do not belong together
  KeyCert mixed{foreign_ca().key_pem, ca.cert_pem};
  r = issue(mixed, "n", Role::Agent, {}, {}, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("does not match"), std::string::npos) << r.error();
  // a leaf certificate cannot act as a CA
  auto leaf = issue(ca, "leaf", Role::Controller, {}, {}, 30);
  ASSERT_TRUE(leaf.ok());
  r = issue(*leaf, "n", Role::Agent, {}, {}, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a CA"), std::string::npos) << r.error();
}

TEST(PkiVerify, ForeignCaFails) {
  auto foreign_leaf = issue(foreign_ca(), "ctl-1", Role::Controller, {"127.0.0.1"}, {}, 30);
  ASSERT_TRUE(foreign_leaf.ok());
  auto id = verify_identity(test_ca().cert_pem, foreign_leaf->cert_pem);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("does not verify"), std::string::npos) << id.error();
  std::printf("  foreign-CA verify error: %s\n", id.error().c_str());
  // but it verifies against its own CA
  EXPECT_TRUE(verify_identity(foreign_ca().cert_pem, foreign_leaf->cert_pem).ok());
}

TEST(PkiVerify, CaCertIsNotALeafIdentity) {
  auto id = verify_identity(test_ca().cert_pem, test_ca().cert_pem);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("CA certificate"), std::string::npos) << id.error();
}

TEST(PkiVerify, LeafAsTrustAnchorRejected) {
  auto leaf = issue(test_ca(), "ctl", Role::Controller, {}, {}, 30);
  ASSERT_TRUE(leaf.ok());
  auto id = verify_identity(leaf->cert_pem, leaf->cert_pem);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("not a CA"), std::string::npos) << id.error();
}

TEST(PkiVerify, TamperedCertificateFails) {
  auto leaf = issue(test_ca(), "ctl-tamper", Role::Controller, {}, {}, 30);
  ASSERT_TRUE(leaf.ok());
  X509Ptr cert = parse_cert(leaf->cert_pem);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  ASSERT_GT(len, 0);
  std::string d(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  size_t pos = d.find("ctl-tamper");
  ASSERT_NE(pos, std::string::npos);
  d[pos] = 'x';  // rename the subject without re-signing
  const unsigned char* p = reinterpret_cast<const unsigned char*>(d.data());
  X509Ptr bad(d2i_X509(nullptr, &p, static_cast<long>(d.size())));
  ASSERT_TRUE(bad);
  auto id = verify_identity(test_ca().cert_pem, to_pem(bad.get()));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("signature"), std::string::npos) << id.error();
}

// ---- CSR enrolment ---------------------------------------------------------------------

TEST(PkiCsr, SignCsrForcesCnAndVerifies) {
  auto key = generate_key();
  ASSERT_TRUE(key.ok());
  auto csr = make_csr(*key, "i-want-to-be-controller");
  ASSERT_TRUE(csr.ok()) << csr.error();
  EXPECT_NE(csr->find("BEGIN CERTIFICATE REQUEST"), std::string::npos);

  auto cert = sign_csr(test_ca(), *csr, "agent-42", Role::Agent, 90);
  ASSERT_TRUE(cert.ok()) << cert.error();
  auto id = verify_identity(test_ca().cert_pem, *cert);
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->common_name, "agent-42");  // from the token, not the CSR
  EXPECT_EQ(id->role, Role::Agent);
  // the certificate carries the CSR's key
  X509Ptr x = parse_cert(*cert);
  PkeyPtr k = parse_key(*key);
  EXPECT_EQ(X509_check_private_key(x.get(), k.get()), 1);
  EXPECT_EQ(X509_check_ca(x.get()), 0);
}

TEST(PkiCsr, TamperedCsrRefused) {
  auto key = generate_key();
  ASSERT_TRUE(key.ok());
  auto csr = make_csr(*key, "node-honest");
  ASSERT_TRUE(csr.ok());
  // decode, change a subject byte, re-encode as PEM without re-signing
  BIO* bio = BIO_new_mem_buf(csr->data(), static_cast<int>(csr->size()));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* der = nullptr;
  long len = 0;
  ASSERT_EQ(PEM_read_bio(bio, &name, &header, &der, &len), 1);
  BIO_free(bio);
  std::string d(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(der);
  size_t pos = d.find("node-honest");
  ASSERT_NE(pos, std::string::npos);
  d[pos + 5] = 'e';  // "node-eonest"
  BIO* out = BIO_new(BIO_s_mem());
  ASSERT_GT(PEM_write_bio(out, "CERTIFICATE REQUEST", "",
                          reinterpret_cast<const unsigned char*>(d.data()),
                          static_cast<long>(d.size())),
            0);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string tampered(data, static_cast<size_t>(n));
  BIO_free(out);

  auto cert = sign_csr(test_ca(), tampered, "node-honest", Role::Agent, 30);
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.error().find("CSR signature does not verify"), std::string::npos) << cert.error();
  std::printf("  tampered CSR error: %s\n", cert.error().c_str());
}

TEST(PkiCsr, RejectsNonEcKey) {
  // an RSA CSR (made with OpenSSL directly) is refused
  PkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  ASSERT_TRUE(rsa);
  X509_REQ* req = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("r"), -1, -1, 0);
  X509_REQ_set_pubkey(req, rsa.get());
  ASSERT_GT(X509_REQ_sign(req, rsa.get(), EVP_sha256()), 0);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(out, req);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(out);
  X509_REQ_free(req);
  auto cert = sign_csr(test_ca(), pem, "r", Role::Agent, 30);
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.error().find("not EC"), std::string::npos) << cert.error();
}

// ---- malformed input -------------------------------------------------------------------

TEST(PkiMalformed, ClearErrors) {
  auto id = identity_of("not a certificate");
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("certificate is not a valid PEM certificate"), std::string::npos)
      << id.error();
  std::printf("  malformed PEM error: %s\n", id.error().c_str());

  // truncated PEM body
  std::string cut = test_ca().cert_pem.substr(0, test_ca().cert_pem.size() / 2) +
                    "\n-----END CERTIFICATE-----\n";
  EXPECT_FALSE(identity_of(cut).ok());

  id = identity_of("");
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("empty"), std::string::npos);

  id = identity_of(std::string(kMaxPemBytes + 1, 'A'));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("at most"), std::string::npos);

  id = verify_identity("garbage", test_ca().cert_pem);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().find("CA certificate"), std::string::npos) << id.error();

  auto csr = sign_csr(test_ca(), "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE "
                                 "REQUEST-----\n",
                      "n", Role::Agent, 30);
  ASSERT_FALSE(csr.ok());
  EXPECT_NE(csr.error().find("CSR"), std::string::npos) << csr.error();

  auto r = issue(KeyCert{"bad key", test_ca().cert_pem}, "n", Role::Agent, {}, {}, 30);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("CA private key"), std::string::npos) << r.error();

  auto m = make_csr("bad key", "n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("private key"), std::string::npos) << m.error();
}

// ---- tokens -----------------------------------------------------------------------------

TEST(PkiToken, RandomHexAndStableHash) {
  std::string a = new_token(), b = new_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(b.size(), 64u);
  EXPECT_TRUE(is_lower_hex(a));
  EXPECT_TRUE(is_lower_hex(b));
  EXPECT_NE(a, b);
  EXPECT_EQ(hash_token(a), hash_token(a));
  EXPECT_NE(hash_token(a), hash_token(b));
  EXPECT_EQ(hash_token(a).size(), 64u);
  EXPECT_NE(hash_token(a), a);
  // known SHA-256 vector
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- files ------------------------------------------------------------------------------

class PkiFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pki_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* f : {"/key.pem", "/cert.pem", "/big"}) unlink((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(PkiFiles, WriteReadModes) {
  auto leaf = issue(test_ca(), "ctl", Role::Controller, {}, {}, 30);
  ASSERT_TRUE(leaf.ok());
  mode_t old = umask(0);  // the mode must not depend on umask either way
  umask(077);
  Status s = write_file_atomic(dir_ + "/key.pem", leaf->key_pem, 0600);
  ASSERT_TRUE(s.ok()) << s.error();
  s = write_file_atomic(dir_ + "/cert.pem", leaf->cert_pem, 0644);
  ASSERT_TRUE(s.ok()) << s.error();
  umask(old);
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((dir_ + "/cert.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);

  auto key = read_file(dir_ + "/key.pem");
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(*key, leaf->key_pem);
  auto cert = read_file(dir_ + "/cert.pem");
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(*cert, leaf->cert_pem);
  EXPECT_TRUE(verify_identity(test_ca().cert_pem, *cert).ok());

  // overwrite replaces content; no temp files are left behind
  ASSERT_TRUE(write_file_atomic(dir_ + "/cert.pem", "new", 0644).ok());
  EXPECT_EQ(*read_file(dir_ + "/cert.pem"), "new");
  int entries = 0;
  for (const char* f : {"/key.pem", "/cert.pem"}) entries += access((dir_ + f).c_str(), F_OK) == 0;
  EXPECT_EQ(entries, 2);
  std::string cmd = "ls " + dir_ + " | grep -c tmp";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[16] = {0};
  ASSERT_NE(fgets(buf, sizeof buf, p), nullptr);
  pclose(p);
  EXPECT_EQ(std::atoi(buf), 0);
}

TEST_F(PkiFiles, ReadErrors) {
  auto r = read_file(dir_ + "/missing.pem");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("missing.pem"), std::string::npos);
  EXPECT_NE(r.error().find("No such file"), std::string::npos) << r.error();
  ASSERT_TRUE(write_file_atomic(dir_ + "/big", std::string(2000, 'x'), 0644).ok());
  r = read_file(dir_ + "/big", 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("limit"), std::string::npos) << r.error();
  r = read_file(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a regular file"), std::string::npos) << r.error();
  Status s = write_file_atomic(dir_ + "/no/such/dir/f", "x", 0600);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("No such file"), std::string::npos) << s.error();
}

// Issue 9 §3: a private key readable by group or others is refused, with the fix.
TEST_F(PkiFiles, PrivateKeyReadableByOthersIsRefused) {
  const auto ca = test_ca();
  ASSERT_TRUE(write_file_atomic(dir_ + "/good.key", ca.key_pem, 0600).ok());
  EXPECT_TRUE(read_private_key(dir_ + "/good.key").ok());
  for (mode_t mode : {0644, 0640, 0604}) {
    ASSERT_TRUE(write_file_atomic(dir_ + "/bad.key", ca.key_pem, mode).ok());
    auto r = read_private_key(dir_ + "/bad.key");
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_NE(r.error().find("readable by group or others"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("chmod 600 " + dir_ + "/bad.key"), std::string::npos) << r.error();
  }
}

// ---- mutual TLS ---------------------------------------------------------------------------

CtxPtr make_ctx(bool server, const std::string& ca_pem, const KeyCert& kc) {
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  X509Ptr cert = parse_cert(kc.cert_pem);
  PkeyPtr key = parse_key(kc.key_pem);
  X509Ptr ca = parse_cert(ca_pem);
  if (!cert || !key || !ca) return nullptr;
  if (SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1 ||
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get()) != 1)
    return nullptr;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

struct Side {
  bool ok = false;
  std::string error;
  std::string peer_cert_pem;
  long verify_result = -1;
};

std::string drain_errors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// Runs a TLS 1.3 handshake between a controller (server) and a client over a
// socketpair, then exchanges one message each way. Returns {server, client}.
std::pair<Side, Side> handshake(const std::string& server_ca, const KeyCert& server_kc,
                                const std::string& client_ca, const KeyCert& client_kc,
                                const char* expect_server_ip, double* elapsed_ms) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return {};
  timeval tv{5, 0};  // never hang the test
  for (int fd : sv) {
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  CtxPtr sctx = make_ctx(true, server_ca, server_kc);
  CtxPtr cctx = make_ctx(false, client_ca, client_kc);
  Side server, client;
  if (!sctx || !cctx) {
    server.error = client.error = "context setup failed: " + drain_errors();
    close(sv[0]);
    close(sv[1]);
    return {server, client};
  }
  auto t0 = Clock::now();
  std::thread st([&] {
    SslPtr ssl(SSL_new(sctx.get()));
    SSL_set_fd(ssl.get(), sv[0]);
    if (SSL_accept(ssl.get()) != 1) {
      server.verify_result = SSL_get_verify_result(ssl.get());
      server.error = "SSL_accept: " + drain_errors();
      shutdown(sv[0], SHUT_RDWR);
      return;
    }
    server.verify_result = SSL_get_verify_result(ssl.get());
    if (X509* peer = SSL_get0_peer_certificate(ssl.get())) server.peer_cert_pem = to_pem(peer);
    char buf[16] = {0};
    if (SSL_write(ssl.get(), "ping", 4) != 4 || SSL_read(ssl.get(), buf, sizeof buf) != 4 ||
        std::string(buf, 4) != "pong") {
      server.error = "server exchange: " + drain_errors();
      shutdown(sv[0], SHUT_RDWR);
      return;
    }
    server.ok = true;
    SSL_shutdown(ssl.get());
  });
  {
    SslPtr ssl(SSL_new(cctx.get()));
    SSL_set_fd(ssl.get(), sv[1]);
    if (expect_server_ip)
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), expect_server_ip);
    char buf[16] = {0};
    if (SSL_connect(ssl.get()) != 1) {
      client.error = "SSL_connect: " + drain_errors();
    } else if (SSL_read(ssl.get(), buf, sizeof buf) != 4 || std::string(buf, 4) != "ping" ||
               SSL_write(ssl.get(), "pong", 4) != 4) {
      // TLS 1.3: the server checks the client certificate after the client
      // considers the handshake done, so a rejection shows up here.
      client.error = "client exchange: " + drain_errors();
    } else {
      client.ok = true;
      if (X509* peer = SSL_get0_peer_certificate(ssl.get())) client.peer_cert_pem = to_pem(peer);
    }
    client.verify_result = SSL_get_verify_result(ssl.get());
    if (!client.ok) shutdown(sv[1], SHUT_RDWR);
  }
  st.join();
  if (elapsed_ms) *elapsed_ms = ms_since(t0);
  close(sv[0]);
  close(sv[1]);
  return {server, client};
}

TEST(PkiTls, MutualHandshakeSucceeds) {
  const KeyCert& ca = test_ca();
  auto ctl = issue(ca, "ctl-1", Role::Controller, {"127.0.0.1"}, {}, 30);
  ASSERT_TRUE(ctl.ok());
  // the agent enrols through a CSR, as a real agent would
  auto agent_key = generate_key();
  ASSERT_TRUE(agent_key.ok());
  auto csr = make_csr(*agent_key, "whatever");
  ASSERT_TRUE(csr.ok());
  auto agent_cert = sign_csr(ca, *csr, "agent-9", Role::Agent, 30);
  ASSERT_TRUE(agent_cert.ok()) << agent_cert.error();
  KeyCert agent{*agent_key, *agent_cert};

  double ms = 0;
  auto [server, client] = handshake(ca.cert_pem, *ctl, ca.cert_pem, agent, "127.0.0.1", &ms);
  ASSERT_TRUE(server.ok) << server.error;
  ASSERT_TRUE(client.ok) << client.error;
  EXPECT_EQ(server.verify_result, X509_V_OK);
  EXPECT_EQ(client.verify_result, X509_V_OK);
  std::printf("  mTLS handshake + 1 round trip (socketpair, TLS 1.3, P-256): %.2f ms\n", ms);

  // each side can derive the peer's identity from the presented certificate
  auto sid = verify_identity(ca.cert_pem, server.peer_cert_pem);
  ASSERT_TRUE(sid.ok()) << sid.error();
  EXPECT_EQ(sid->common_name, "agent-9");
  EXPECT_EQ(sid->role, Role::Agent);
  auto cid = verify_identity(ca.cert_pem, client.peer_cert_pem);
  ASSERT_TRUE(cid.ok()) << cid.error();
  EXPECT_EQ(cid->common_name, "ctl-1");
  EXPECT_EQ(cid->role, Role::Controller);
}

TEST(PkiTls, ForeignClientCertRejected) {
  const KeyCert& ca = test_ca();
  auto ctl = issue(ca, "ctl-1", Role::Controller, {"127.0.0.1"}, {}, 30);
  // the intruder trusts our CA (it has the public cert) but its own cert is foreign
  auto intruder = issue(foreign_ca(), "agent-9", Role::Agent, {}, {}, 30);
  ASSERT_TRUE(ctl.ok() && intruder.ok());
  auto [server, client] = handshake(ca.cert_pem, *ctl, ca.cert_pem, *intruder, "127.0.0.1", nullptr);
  EXPECT_FALSE(server.ok);
  EXPECT_FALSE(client.ok);
  EXPECT_NE(server.verify_result, X509_V_OK);
  EXPECT_TRUE(server.peer_cert_pem.empty());
  std::printf("  server on foreign client cert: %s (verify: %s)\n", server.error.c_str(),
              X509_verify_cert_error_string(server.verify_result));
  std::printf("  client sees: %s\n", client.error.c_str());
}

TEST(PkiTls, ForeignServerCertRejected) {
  const KeyCert& ca = test_ca();
  auto rogue = issue(foreign_ca(), "ctl-1", Role::Controller, {"127.0.0.1"}, {}, 30);
  auto agent = issue(ca, "agent-9", Role::Agent, {}, {}, 30);
  ASSERT_TRUE(rogue.ok() && agent.ok());
  auto [server, client] = handshake(ca.cert_pem, *rogue, ca.cert_pem, *agent, "127.0.0.1", nullptr);
  EXPECT_FALSE(client.ok);
  EXPECT_FALSE(server.ok);
  EXPECT_NE(client.verify_result, X509_V_OK);
}

TEST(PkiTls, MissingClientCertRejected) {
  const KeyCert& ca = test_ca();
  auto ctl = issue(ca, "ctl-1", Role::Controller, {"127.0.0.1"}, {}, 30);
  ASSERT_TRUE(ctl.ok());
  // client with a valid CA store but no certificate at all
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  timeval tv{5, 0};
  for (int fd : sv) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  CtxPtr sctx = make_ctx(true, ca.cert_pem, *ctl);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  X509Ptr cacert = parse_cert(ca.cert_pem);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx.get()), cacert.get());
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  bool server_ok = true;
  std::thread st([&] {
    SslPtr ssl(SSL_new(sctx.get()));
    SSL_set_fd(ssl.get(), sv[0]);
    server_ok = SSL_accept(ssl.get()) == 1;
    ERR_clear_error();
    shutdown(sv[0], SHUT_RDWR);
  });
  SslPtr ssl(SSL_new(cctx.get()));
  SSL_set_fd(ssl.get(), sv[1]);
  char buf[8];
  bool client_ok = SSL_connect(ssl.get()) == 1 && SSL_read(ssl.get(), buf, sizeof buf) > 0;
  ERR_clear_error();
  st.join();
  close(sv[0]);
  close(sv[1]);
  EXPECT_FALSE(server_ok);
  EXPECT_FALSE(client_ok);
}

// ---- measured figures --------------------------------------------------------------------

TEST(PkiPerf, Figures) {
  constexpr int kN = 50;
  auto t0 = Clock::now();
  auto ca = create_ca("perf", 3650);
  double ca_ms = ms_since(t0);
  ASSERT_TRUE(ca.ok());

  t0 = Clock::now();
  std::vector<KeyCert> leaves;
  for (int i = 0; i < kN; ++i) {
    auto l = issue(*ca, "n" + std::to_string(i), Role::Agent, {"10.0.0.1"}, {"n.example"}, 365);
    ASSERT_TRUE(l.ok());
    leaves.push_back(*l);
  }
  double issue_ms = ms_since(t0) / kN;

  t0 = Clock::now();
  for (const auto& l : leaves) ASSERT_TRUE(verify_identity(ca->cert_pem, l.cert_pem).ok());
  double verify_ms = ms_since(t0) / kN;

  auto key = generate_key();
  auto csr = make_csr(*key, "x");
  ASSERT_TRUE(csr.ok());
  t0 = Clock::now();
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(sign_csr(*ca, *csr, "a", Role::Agent, 365).ok());
  double csr_ms = ms_since(t0) / kN;

  t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) (void)hash_token(new_token());
  double tok_us = ms_since(t0);  // per-1000 ms == per-op us

  std::printf("  create_ca: %.3f ms\n", ca_ms);
  std::printf("  issue (keygen + sign, avg of %d): %.3f ms\n", kN, issue_ms);
  std::printf("  verify_identity (avg of %d): %.3f ms\n", kN, verify_ms);
  std::printf("  sign_csr (avg of %d): %.3f ms\n", kN, csr_ms);
  std::printf("  new_token + hash_token: %.3f us\n", tok_us);
  std::printf("  leaf cert PEM size: %zu bytes, key PEM size: %zu bytes\n",
              leaves[0].cert_pem.size(), leaves[0].key_pem.size());
}

}  // namespace
}  // namespace poolha::pki
