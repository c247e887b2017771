#include "wire/pki.h"

#ifdef _WIN32
#include <ws2tcpip.h>  // inet_pton (the Windows agent's build)
#else
#include <arpa/inet.h>
#endif

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace poolha::pki {
namespace {

// ---- RAII -------------------------------------------------------------------

struct BioFree { void operator()(BIO* p) const { BIO_free_all(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct ReqFree { void operator()(X509_REQ* p) const { X509_REQ_free(p); } };
struct NameFree { void operator()(X509_NAME* p) const { X509_NAME_free(p); } };
struct StoreFree { void operator()(X509_STORE* p) const { X509_STORE_free(p); } };
struct StoreCtxFree { void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct GensFree { void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); } };

using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using ReqPtr = std::unique_ptr<X509_REQ, ReqFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using GensPtr = std::unique_ptr<GENERAL_NAMES, GensFree>;

// ---- errors -----------------------------------------------------------------

// Drains this thread's OpenSSL error queue into one readable string.
std::string ssl_errors() {
  std::string out;
  unsigned long code;
  const char* data = nullptr;
  int flags = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    if ((flags & ERR_TXT_STRING) && data && *data) {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out.empty() ? "no OpenSSL error reported" : out;
}

Status ssl_fail(const std::string& what) {
  return Status::Error(what + ": " + ssl_errors());
}

// ---- input validation -------------------------------------------------------

// Names (CN values): 1..64 printable ASCII bytes, no leading/trailing space.
Status check_name(const std::string& what, const std::string& s, size_t max = kMaxNameBytes) {
  if (s.empty()) return Status::Error(what + " is empty");
  if (s.size() > max)
    return Status::Error(what + " is " + std::to_string(s.size()) + " bytes; at most " +
                         std::to_string(max) + " allowed");
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e)
      return Status::Error(what + " contains a non-printable or non-ASCII byte");
  if (s.front() == ' ' || s.back() == ' ')
    return Status::Error(what + " has leading or trailing spaces");
  return Status::Ok();
}

Status check_days(int days) {
  if (days < 1 || days > kMaxDays)
    return Status::Error("validity of " + std::to_string(days) + " days is out of range 1.." +
                         std::to_string(kMaxDays));
  return Status::Ok();
}

Status check_pem_size(const std::string& what, const std::string& pem) {
  if (pem.empty()) return Status::Error(what + " is empty");
  if (pem.size() > kMaxPemBytes)
    return Status::Error(what + " is " + std::to_string(pem.size()) + " bytes; at most " +
                         std::to_string(kMaxPemBytes) + " allowed");
  return Status::Ok();
}

// DNS names for SANs: LDH labels separated by dots, at most 253 bytes, no wildcards.
Status check_dns(const std::string& s) {
  if (s.empty() || s.size() > 253) return Status::Error("DNS name '" + s + "' has invalid length");
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return Status::Error("DNS name '" + s + "' has an empty label");
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-';
    if (!ok) return Status::Error("DNS name '" + s + "' contains an invalid character");
    if (++label > 63) return Status::Error("DNS name '" + s + "' has a label over 63 bytes");
  }
  if (label == 0) return Status::Error("DNS name '" + s + "' ends with a dot");
  return Status::Ok();
}

// ---- PEM helpers ------------------------------------------------------------

BioPtr mem_bio(const std::string& s) {
  return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// Refuses to prompt for a passphrase: encrypted keys are not supported.
int no_password(char*, int, int, void*) { return -1; }

Expected<PkeyPtr> load_key(const std::string& what, const std::string& pem) {
  if (Status s = check_pem_size(what, pem); !s) return s;
  BioPtr bio = mem_bio(pem);
  if (!bio) return ssl_fail("cannot read " + what);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) return ssl_fail(what + " is not a valid unencrypted PEM private key");
  return key;
}

Expected<X509Ptr> load_cert(const std::string& what, const std::string& pem) {
  if (Status s = check_pem_size(what, pem); !s) return s;
  BioPtr bio = mem_bio(pem);
  if (!bio) return ssl_fail("cannot read " + what);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
  if (!cert) return ssl_fail(what + " is not a valid PEM certificate");
  return cert;
}

Expected<std::string> key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ssl_fail("cannot encode private key as PEM");
  return bio_string(bio.get());
}

Expected<std::string> cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return ssl_fail("cannot encode certificate as PEM");
  return bio_string(bio.get());
}

std::string hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

// ---- certificate building ---------------------------------------------------

Expected<PkeyPtr> new_ec_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ssl_fail("cannot generate EC P-256 key");
  return key;
}

Status set_random_serial(X509* cert) {
  // 128 random bits as an unsigned integer: DER encodes it positive in at most
  // 17 octets, within RFC 5280's 20-octet limit.
  unsigned char buf[16];
  BnPtr bn;
  do {
    if (RAND_bytes(buf, sizeof buf) != 1) return ssl_fail("cannot generate certificate serial");
    bn.reset(BN_bin2bn(buf, sizeof buf, nullptr));
    if (!bn) return ssl_fail("cannot build certificate serial");
  } while (BN_is_zero(bn.get()));  // a zero serial is not allowed
  ASN1_INTEGER* serial = X509_get_serialNumber(cert);
  if (!BN_to_ASN1_INTEGER(bn.get(), serial)) return ssl_fail("cannot set certificate serial");
  return Status::Ok();
}

Status add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1)
    return ssl_fail(std::string("cannot set subject ") + field + " '" + value + "'");
  return Status::Ok();
}

// Adds an extension from a fixed (never user-supplied) config string.
Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (!ext) return ssl_fail(std::string("cannot build extension ") + OBJ_nid2sn(nid) + "=" + value);
  int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (rc != 1) return ssl_fail(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  return Status::Ok();
}

Expected<GensPtr> build_sans(const std::vector<std::string>& ips,
                             const std::vector<std::string>& dns) {
  GensPtr gens(sk_GENERAL_NAME_new_null());
  if (!gens) return ssl_fail("cannot allocate subjectAltName");
  for (const std::string& ip : ips) {
    unsigned char addr[16];
    int len = 0;
    if (ip.size() < 64 && inet_pton(AF_INET, ip.c_str(), addr) == 1) len = 4;
    else if (ip.size() < 64 && inet_pton(AF_INET6, ip.c_str(), addr) == 1) len = 16;
    else return Status::Error("'" + ip + "' is not an IPv4 or IPv6 address");
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!os || !gn || ASN1_OCTET_STRING_set(os, addr, len) != 1) {
      ASN1_OCTET_STRING_free(os);
      GENERAL_NAME_free(gn);
      return ssl_fail("cannot build IP subjectAltName " + ip);
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    if (!sk_GENERAL_NAME_push(gens.get(), gn)) {
      GENERAL_NAME_free(gn);
      return ssl_fail("cannot add IP subjectAltName " + ip);
    }
  }
  for (const std::string& d : dns) {
    if (Status s = check_dns(d); !s) return s;
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!ia5 || !gn || ASN1_STRING_set(ia5, d.data(), static_cast<int>(d.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      GENERAL_NAME_free(gn);
      return ssl_fail("cannot build DNS subjectAltName " + d);
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    if (!sk_GENERAL_NAME_push(gens.get(), gn)) {
      GENERAL_NAME_free(gn);
      return ssl_fail("cannot add DNS subjectAltName " + d);
    }
  }
  return gens;
}

struct LoadedCa {
  X509Ptr cert;
  PkeyPtr key;
};

Expected<LoadedCa> load_ca(const KeyCert& ca) {
  auto cert = load_cert("CA certificate", ca.cert_pem);
  if (!cert) return cert.status();
  auto key = load_key("CA private key", ca.key_pem);
  if (!key) return key.status();
  if (X509_check_ca(cert->get()) != 1)
    return Status::Error("CA certificate is not a CA (basicConstraints CA:TRUE missing)");
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return ssl_fail("CA private key does not match the CA certificate");
  return LoadedCa{std::move(*cert), std::move(*key)};
}

// Builds and signs a leaf certificate for `pubkey` with subject CN=name, OU=role.
Expected<X509Ptr> build_leaf(const LoadedCa& ca, EVP_PKEY* pubkey, const std::string& name,
                             Role role, const std::vector<std::string>& ips,
                             const std::vector<std::string>& dns, int days) {
  if (Status s = check_name("certificate name", name); !s) return s;
  if (Status s = check_days(days); !s) return s;

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return ssl_fail("cannot allocate certificate");
  if (Status s = set_random_serial(cert.get()); !s) return s;

  NamePtr subject(X509_NAME_new());
  if (!subject) return ssl_fail("cannot allocate subject name");
  if (Status s = add_name_entry(subject.get(), "OU", to_string(role)); !s) return s;
  if (Status s = add_name_entry(subject.get(), "CN", name); !s) return s;
  if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) != 1)
    return ssl_fail("cannot set certificate names");

  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) ||  // 5 min clock-skew allowance
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    return ssl_fail("cannot set certificate validity");
  if (ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(ca.cert.get())) > 0 &&
      X509_set1_notAfter(cert.get(), X509_get0_notAfter(ca.cert.get())) != 1)
    return ssl_fail("cannot clamp certificate validity to the CA's");

  if (X509_set_pubkey(cert.get(), pubkey) != 1) return ssl_fail("cannot set certificate public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert.get(), cert.get(), nullptr, nullptr, 0);
  if (Status s = add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"); !s)
    return s;
  if (!ips.empty() || !dns.empty()) {
    auto gens = build_sans(ips, dns);
    if (!gens) return gens.status();
    if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, gens->get(), 0, X509V3_ADD_DEFAULT) != 1)
      return ssl_fail("cannot add subjectAltName");
  }

  if (X509_sign(cert.get(), ca.key.get(), EVP_sha256()) <= 0)
    return ssl_fail("cannot sign certificate for '" + name + "'");
  return cert;
}

// The single value of `nid` in `name`; error if missing or repeated.
Expected<std::string> single_entry(X509_NAME* name, int nid, const char* what) {
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return Status::Error(std::string("certificate subject has no ") + what);
  if (X509_NAME_get_index_by_NID(name, nid, idx) >= 0)
    return Status::Error(std::string("certificate subject has more than one ") + what);
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return ssl_fail(std::string("cannot decode certificate ") + what);
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (out.find('\0') != std::string::npos)
    return Status::Error(std::string("certificate ") + what + " contains a NUL byte");
  return out;
}

Expected<Identity> identity_from(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  auto cn = single_entry(subject, NID_commonName, "CN");
  if (!cn) return cn.status();
  auto ou = single_entry(subject, NID_organizationalUnitName, "OU (role)");
  if (!ou) return ou.status();
  std::optional<Role> role = parse_role(*ou);
  if (!role) return Status::Error("certificate OU '" + *ou + "' is not a poolha role");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1)
    return ssl_fail("cannot compute certificate fingerprint");
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr));
  if (!bn) return ssl_fail("cannot read certificate serial");
  char* serial_hex = BN_bn2hex(bn.get());
  if (!serial_hex) return ssl_fail("cannot read certificate serial");
  auto serial = canonical_serial(serial_hex);
  OPENSSL_free(serial_hex);
  if (!serial.ok()) return serial.status();
  return Identity{*cn, *role, hex(md, md_len), *serial};
}

Status check_csr_key(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
    return Status::Error("CSR key type is not EC (only EC P-256/P-384 keys are accepted)");
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1)
    return ssl_fail("cannot read CSR key curve");
  std::string g(group, len);
  if (g != "prime256v1" && g != "P-256" && g != "secp384r1" && g != "P-384")
    return Status::Error("CSR key curve '" + g + "' is not accepted (only P-256/P-384)");
  return Status::Ok();
}

}  // namespace

// ---- public API -------------------------------------------------------------

std::string to_string(Role role) {
  switch (role) {
    case Role::Controller: return "controller";
    case Role::Arbiter: return "arbiter";
    case Role::Agent: return "agent";
    case Role::Operator: return "operator";
  }
  return "unknown";
}

std::optional<Role> parse_role(const std::string& s) {
  if (s == "controller") return Role::Controller;
  if (s == "arbiter") return Role::Arbiter;
  if (s == "agent") return Role::Agent;
  if (s == "operator") return Role::Operator;
  return std::nullopt;
}

Expected<std::string> generate_key() {
  ERR_clear_error();
  auto key = new_ec_key();
  if (!key) return key.status();
  return key_to_pem(key->get());
}

Expected<KeyCert> create_ca(const std::string& cluster_name, int days) {
  ERR_clear_error();
  const std::string prefix = "poolha CA ";
  if (Status s = check_name("cluster name", cluster_name, kMaxNameBytes - prefix.size()); !s)
    return s;
  if (Status s = check_days(days); !s) return s;
  auto key = new_ec_key();
  if (!key) return key.status();

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return ssl_fail("cannot allocate CA certificate");
  if (Status s = set_random_serial(cert.get()); !s) return s;
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (Status s = add_name_entry(name, "O", "poolha"); !s) return s;
  if (Status s = add_name_entry(name, "CN", prefix + cluster_name); !s) return s;
  if (X509_set_issuer_name(cert.get(), name) != 1) return ssl_fail("cannot set CA issuer name");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    return ssl_fail("cannot set CA validity");
  if (X509_set_pubkey(cert.get(), key->get()) != 1) return ssl_fail("cannot set CA public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (Status s = add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"); !s)
    return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"); !s)
    return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"); !s)
    return s;
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0)
    return ssl_fail("cannot self-sign CA certificate");

  auto key_pem = key_to_pem(key->get());
  if (!key_pem) return key_pem.status();
  auto cert_pem = cert_to_pem(cert.get());
  if (!cert_pem) return cert_pem.status();
  return KeyCert{std::move(*key_pem), std::move(*cert_pem)};
}

Expected<KeyCert> issue(const KeyCert& ca, const std::string& name, Role role,
                        const std::vector<std::string>& ips,
                        const std::vector<std::string>& dns, int days) {
  ERR_clear_error();
  auto loaded = load_ca(ca);
  if (!loaded) return loaded.status();
  auto key = new_ec_key();
  if (!key) return key.status();
  auto cert = build_leaf(*loaded, key->get(), name, role, ips, dns, days);
  if (!cert) return Status::Error("issuing certificate for '" + name + "': " + cert.error());
  auto key_pem = key_to_pem(key->get());
  if (!key_pem) return key_pem.status();
  auto cert_pem = cert_to_pem(cert->get());
  if (!cert_pem) return cert_pem.status();
  return KeyCert{std::move(*key_pem), std::move(*cert_pem)};
}

Expected<std::string> make_csr(const std::string& key_pem, const std::string& name) {
  ERR_clear_error();
  if (Status s = check_name("CSR name", name); !s) return s;
  auto key = load_key("CSR private key", key_pem);
  if (!key) return key.status();
  ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1)
    return ssl_fail("cannot allocate CSR");
  NamePtr subject(X509_NAME_new());
  if (!subject) return ssl_fail("cannot allocate CSR subject");
  if (Status s = add_name_entry(subject.get(), "CN", name); !s) return s;
  if (X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key->get()) != 1)
    return ssl_fail("cannot fill CSR");
  if (X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) return ssl_fail("cannot sign CSR");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    return ssl_fail("cannot encode CSR as PEM");
  return bio_string(bio.get());
}

Expected<std::string> sign_csr(const KeyCert& ca, const std::string& csr_pem,
                               const std::string& name, Role role, int days) {
  ERR_clear_error();
  if (Status s = check_pem_size("CSR", csr_pem); !s) return s;
  BioPtr bio = mem_bio(csr_pem);
  if (!bio) return ssl_fail("cannot read CSR");
  ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, no_password, nullptr));
  if (!req) return ssl_fail("CSR is not a valid PEM certificate request");
  EVP_PKEY* pubkey = X509_REQ_get0_pubkey(req.get());  // owned by req
  if (!pubkey) return ssl_fail("CSR has no usable public key");
  if (X509_REQ_verify(req.get(), pubkey) != 1)
    return ssl_fail("CSR signature does not verify (tampered or corrupt)");
  if (Status s = check_csr_key(pubkey); !s) return s;
  auto loaded = load_ca(ca);
  if (!loaded) return loaded.status();
  auto cert = build_leaf(*loaded, pubkey, name, role, {}, {}, days);
  if (!cert) return Status::Error("signing CSR for '" + name + "': " + cert.error());
  return cert_to_pem(cert->get());
}

Expected<Identity> verify_identity(const std::string& ca_cert_pem, const std::string& cert_pem) {
  ERR_clear_error();
  auto ca = load_cert("CA certificate", ca_cert_pem);
  if (!ca) return ca.status();
  if (X509_check_ca(ca->get()) != 1)
    return Status::Error("CA certificate is not a CA (basicConstraints CA:TRUE missing)");
  auto cert = load_cert("certificate", cert_pem);
  if (!cert) return cert.status();

  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca->get()) != 1)
    return ssl_fail("cannot set up certificate verification");
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1)
    return ssl_fail("cannot set up certificate verification");
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Status::Error(std::string("certificate does not verify against the cluster CA: ") +
                         X509_verify_cert_error_string(err));
  }
  if (X509_check_ca(cert->get()) != 0)
    return Status::Error("certificate is a CA certificate, not a node or user certificate");
  return identity_from(cert->get());
}

Expected<Identity> identity_of(const std::string& cert_pem) {
  ERR_clear_error();
  auto cert = load_cert("certificate", cert_pem);
  if (!cert) return cert.status();
  return identity_from(cert->get());
}

std::string new_token() {
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof buf) != 1) {
    std::fprintf(stderr, "poolha::pki::new_token: RAND_bytes failed: %s\n", ssl_errors().c_str());
    std::abort();
  }
  std::string out = hex(buf, sizeof buf);
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

std::string hash_token(const std::string& token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    std::fprintf(stderr, "poolha::pki::hash_token: SHA-256 failed: %s\n", ssl_errors().c_str());
    std::abort();
  }
  return hex(md, len);
}

Expected<std::string> canonical_serial(const std::string& text) {
  std::string s = text;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s = s.substr(2);
  std::string out;
  for (char c : s) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return Status::Error("serial '" + text.substr(0, 64) + "' is not hexadecimal");
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const size_t first = out.find_first_not_of('0');
  if (first == std::string::npos) out = out.empty() ? "" : "0";
  else out.erase(0, first);
  if (out.empty() || out.size() > 40) return Status::Error("serial '" + text.substr(0, 64) + "': expected 1..40 hex digits");
  return out;
}

Expected<std::string> read_private_key(const std::string& path) {
  if (auto st = check_private_key_file(path); !st.ok()) return st;
  return read_file(path, kMaxPemBytes);
}

}  // namespace poolha::pki
