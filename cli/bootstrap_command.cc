// `poolhactl cluster bootstrap`: a new control plane's certificates and config files
// in one step (cli/bootstrap_plan.h renders them; this writes them). Offline: the
// operator then copies each member's folder to its host and starts the daemons.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "cli/bootstrap_plan.h"
#include "cli/commands.h"
#include "cli/local_files.h"

namespace poolha::cli {

int cmd_cluster_bootstrap(Context& c) {
  const std::string dir = c.args.value("dir");
  if (dir.empty()) return usage("cluster bootstrap: --dir DIR is required (the CA's directory; member folders go under it)");
  BootstrapInput in;
  for (const char* role : {"controller", "arbiter"})
    for (const auto& v : c.args.all(role)) {
      auto m = parse_member_option(role, v);
      if (!m.ok()) return usage("cluster bootstrap: " + m.error());
      in.members.push_back(*m);
    }
  in.controller_vip = c.args.value("controller-vip");
  in.etc_dir = c.args.value("etc-dir", in.etc_dir);
  in.state_dir = c.args.value("state-dir", in.state_dir);
  long long days = 0;
  if (int rc = days_option(c, days); rc != kExitOk) return rc;
  auto files = render_bootstrap(in);
  if (!files.ok()) return usage("cluster bootstrap: " + files.error());

  // Everything is checked, and every key and certificate made in memory, before the
  // first file is written: bad input, a damaged CA or an existing folder writes nothing.
  const bool force = c.args.flag("force");
  const bool have_ca = exists(dir + "/ca.crt") || exists(dir + "/ca.key");
  if (!force)
    for (const auto& f : *files) {
      const std::string path = f.member.empty() ? dir + "/" + f.name : dir + "/" + f.member;
      if (exists(path)) return fail(path + " already exists; pass --force to replace the bootstrap files (not the CA)");
    }
  pki::KeyCert ca;
  if (have_ca) {
    auto loaded = read_ca(dir);
    if (!loaded.ok()) return fail(loaded.error() + "; --dir holds part of a CA: repair it or choose another --dir");
    ca = *loaded;
    if (c.args.has("cluster"))
      std::fprintf(stderr, "poolhactl: note: --cluster is ignored: %s/ca.crt exists and is used as it is\n", dir.c_str());
  } else {
    auto created = pki::create_ca(c.args.value("cluster", "poolha"), static_cast<int>(days));
    if (!created.ok()) return fail("creating the CA: " + created.error());
    ca = *created;
  }
  // With a new CA an operator certificate left in DIR would not verify: replace it.
  std::optional<pki::KeyCert> op;
  if (!have_ca || !exists(dir + "/operator.crt")) {
    auto issued = pki::issue(ca, "admin", pki::Role::Operator, {}, {}, static_cast<int>(std::min(days, kOperatorCertDays)));
    if (!issued.ok()) return fail("issuing the operator certificate: " + issued.error());
    op = *issued;
  }
  std::vector<pki::KeyCert> certs;
  for (const auto& m : in.members) {
    // Controllers answer the API on the controller VIP too: clients check that name.
    std::vector<std::string> ips{m.ip};
    if (m.role == "controller" && !in.controller_vip.empty())
      ips.push_back(vip_address(in.controller_vip));
    auto kc = pki::issue(ca, m.name, *pki::parse_role(m.role), ips, {}, static_cast<int>(days));
    if (!kc.ok()) return fail("issuing the certificate for " + m.name + ": " + kc.error());
    // A CA whose key does not match its certificate signs certificates nobody accepts.
    if (auto id = pki::verify_identity(ca.cert_pem, kc->cert_pem); !id.ok())
      return fail(dir + "/ca.key does not sign certificates that " + dir + "/ca.crt verifies (" + id.error() +
                  "); repair the CA or choose another --dir");
    certs.push_back(*kc);
  }

  if (auto st = ensure_dir(dir); !st.ok()) return fail(st.error());
  if (!have_ca)
    if (auto st = write_pair(dir, "ca", ca); !st.ok()) return fail(st.error());
  if (op)
    if (auto st = write_pair(dir, "operator", *op); !st.ok()) return fail(st.error());
  Json out_members = Json::array();
  for (size_t i = 0; i < in.members.size(); ++i) {
    const auto& m = in.members[i];
    const std::string mdir = dir + "/" + m.name, tls = mdir + "/tls";
    for (const auto& d : {mdir, tls})
      if (auto st = ensure_dir(d); !st.ok()) return fail(st.error());
    if (auto st = write_pair(tls, m.name, certs[i]); !st.ok()) return fail(st.error());
    if (auto st = pki::write_file_atomic(tls + "/ca.crt", ca.cert_pem, 0644); !st.ok()) return fail(st.error());
    out_members.push_back({{"name", m.name}, {"role", m.role}, {"ip", m.ip}, {"folder", mdir}});
  }
  for (const auto& f : *files) {
    const std::string path = f.member.empty() ? dir + "/" + f.name : dir + "/" + f.member + "/" + f.name;
    if (auto st = pki::write_file_atomic(path, f.content, 0644); !st.ok()) return fail(st.error());
  }

  if (c.json) {
    print_json({{"dir", dir}, {"ca_created", !have_ca}, {"members", out_members},
                {"agent_members", dir + "/agent-members.yaml"}, {"controller_vip", in.controller_vip}});
    return kExitOk;
  }
  std::printf("%s the cluster CA in %s; operator certificate %s/operator.crt (for --tls-dir %s)\n",
              have_ca ? "used" : "created", dir.c_str(), dir.c_str(), dir.c_str());
  for (const auto& f : *files) {
    if (f.member.empty()) continue;
    const std::string daemon = "poolha-" + f.name.substr(0, f.name.find('.'));
    std::printf("  %-12s copy %s/%s/ to the --etc-dir (%s) on that host; start %s (systemctl start %s)\n",
                f.member.c_str(), dir.c_str(), f.member.c_str(), in.etc_dir.c_str(), daemon.c_str(), daemon.c_str());
  }
  std::printf("agents: put the members: list of %s/agent-members.yaml into each agent.yaml\n"
              "The first start of the members' empty databases forms the cluster (one leader within about a\n"
              "second once two voters run). Check: poolhactl --tls-dir %s --api https://%s:%d cluster status\n",
              dir.c_str(), dir.c_str(),
              (in.controller_vip.empty() ? in.members.front().ip : vip_address(in.controller_vip)).c_str(),
              kBootstrapApiPort);
  return kExitOk;
}

}  // namespace poolha::cli
