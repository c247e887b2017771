// `poolhactl ca init` and `poolhactl cert issue`: the cluster CA on local files.
#include <algorithm>
#include <cstdio>

#include "cli/bootstrap_plan.h"
#include "cli/commands.h"
#include "cli/local_files.h"
#include "common/ids.h"
#include "wire/pki.h"

namespace poolha::cli {

int days_option(const Context& c, long long& days, long long default_days) {
  days = default_days;
  if (c.args.has("days")) {
    auto d = parse_int("days", c.args.value("days"), 1, pki::kMaxDays);
    if (!d.ok()) return usage(d.error());
    days = *d;
  }
  return kExitOk;
}


int cmd_ca_init(Context& c) {
  const std::string dir = c.args.value("dir");
  if (dir.empty()) return usage("ca init: --dir DIR is required (where ca.crt and ca.key go)");
  const std::string cluster = c.args.value("cluster", "poolha");
  long long days = 0;
  if (int rc = days_option(c, days); rc != kExitOk) return rc;
  for (const char* f : {"ca.crt", "ca.key"})
    if (exists(dir + "/" + f))
      return fail(dir + "/" + f + " already exists: this directory holds a CA already; "
                  "issue certificates with it (poolhactl cert issue --dir " + dir + ") or choose another --dir");
  if (auto st = ensure_dir(dir); !st.ok()) return fail(st.error());

  auto ca = pki::create_ca(cluster, static_cast<int>(days));
  if (!ca.ok()) return fail("creating the CA: " + ca.error());
  auto op = pki::issue(*ca, "admin", pki::Role::Operator, {}, {}, static_cast<int>(std::min(days, kOperatorCertDays)));
  if (!op.ok()) return fail("issuing the operator certificate: " + op.error());
  // Key first: a crash leaves no certificate without its key.
  if (auto st = write_pair(dir, "ca", *ca); !st.ok()) return fail(st.error());
  if (auto st = write_pair(dir, "operator", *op); !st.ok()) return fail(st.error());

  if (c.json) {
    print_json({{"dir", dir},
                {"cluster", cluster},
                {"days", days},
                {"files", {dir + "/ca.crt", dir + "/ca.key", dir + "/operator.crt", dir + "/operator.key"}}});
  } else {
    std::printf("created CA \"poolha CA %s\" (valid %lld days) in %s:\n"
                "  ca.crt        the cluster CA certificate: copy to every member\n"
                "  ca.key        its private key (0600): keep it here, offline if you can\n"
                "  operator.crt  operator certificate for poolhactl (CN admin, role operator)\n"
                "  operator.key  its private key (0600)\n"
                "next: issue a certificate per member, e.g.\n"
                "  poolhactl cert issue --dir %s --name ctl1 --role controller --ip 198.18.0.1\n"
                "and point poolhactl at this directory with --tls-dir %s (or POOLHA_TLS_DIR)\n",
                cluster.c_str(), days, dir.c_str(), dir.c_str(), dir.c_str());
  }
  return kExitOk;
}

int cmd_cert_show(Context& c) {
  const std::string file = c.args.value("file");
  if (file.empty()) return usage("cert show: -f CERT.crt is required");
  auto pem = pki::read_file(file, pki::kMaxPemBytes);
  if (!pem.ok()) return fail(pem.error());
  auto id = pki::identity_of(*pem);
  if (!id.ok()) return fail(file + ": " + id.error());
  if (c.json) {
    print_json({{"name", id->common_name}, {"role", pki::to_string(id->role)}, {"serial", id->serial},
                {"fingerprint_sha256", id->fingerprint_sha256}});
  } else {
    std::printf("name         %s\nrole         %s\nserial       %s\nfingerprint  %s\n", id->common_name.c_str(),
                pki::to_string(id->role).c_str(), id->serial.c_str(), id->fingerprint_sha256.c_str());
  }
  return kExitOk;
}

int cmd_cert_issue(Context& c) {
  const std::string dir = c.args.value("dir");
  const std::string name = c.args.value("name");
  const std::string role_text = c.args.value("role");
  if (dir.empty()) return usage("cert issue: --dir DIR is required (the directory holding ca.crt and ca.key)");
  if (name.empty()) return usage("cert issue: --name NAME is required (the member's id, e.g. ctl1, arb1, n1)");
  if (!valid_id(name)) return usage("cert issue: --name '" + name + "' must be " + kIdRule);
  if (name == "ca") return usage("cert issue: --name ca would replace the CA's own files; choose another name");
  auto role = pki::parse_role(role_text);
  if (!role) return usage("cert issue: --role must be controller, arbiter, agent or operator, got '" + role_text + "'");
  long long days = 0;
  if (int rc = days_option(c, days, *role == pki::Role::Operator ? kOperatorCertDays : 3650); rc != kExitOk) return rc;
  std::vector<std::string> ips, dns;
  for (const auto& v : c.args.all("ip")) {
    for (size_t start = 0; start <= v.size();) {  // "--ip A,B" and "--ip A --ip B" both work
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) ips.push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  for (const auto& v : c.args.all("dns")) dns.push_back(v);

  auto ca = read_ca(dir);
  if (!ca.ok())
    return fail(ca.error() +
                "; --dir must hold the CA (create one with poolhactl ca init --dir " + dir + ")");
  const std::string crt = dir + "/" + name + ".crt";
  const std::string key = dir + "/" + name + ".key";
  if (!c.args.flag("force") && (exists(crt) || exists(key)))
    return fail(crt + " or its key already exists; pass --force to replace them, or choose another --name");

  auto kc = pki::issue(*ca, name, *role, ips, dns, static_cast<int>(days));
  if (!kc.ok()) return fail("issuing the certificate for " + name + ": " + kc.error());
  if (auto st = write_pair(dir, name, *kc); !st.ok()) return fail(st.error());
  auto id = pki::identity_of(kc->cert_pem);

  if (c.json) {
    print_json({{"name", name},
                {"role", pki::to_string(*role)},
                {"ips", ips},
                {"dns", dns},
                {"cert", crt},
                {"key", key},
                {"fingerprint_sha256", id.ok() ? id->fingerprint_sha256 : ""}});
  } else {
    std::printf("issued %s certificate for %s:\n  %s\n  %s (0600)\n", pki::to_string(*role).c_str(), name.c_str(),
                crt.c_str(), key.c_str());
    if (id.ok()) std::printf("  sha256 %s\n", id->fingerprint_sha256.c_str());
    std::printf("copy both, with %s/ca.crt, to the member and name them in its config (tls: ca, cert, key)\n",
                dir.c_str());
  }
  return kExitOk;
}

}  // namespace poolha::cli
