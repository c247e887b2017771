#include "agent/windows/installer_setup.h"

#include <windows.h>

#include <filesystem>

#include "agent/config.h"
#include "agent/enrol.h"
#include "agent/first_config.h"
#include "common/fs_path.h"
#include "common/windows/wide.h"
#include "wire/pki.h"

namespace poolha::agent::windows {

namespace {

std::string value(const wchar_t* name) {
  wchar_t buf[4096];
  DWORD size = sizeof buf;
  if (RegGetValueW(HKEY_LOCAL_MACHINE, kInstallerKey, name, RRF_RT_REG_SZ, nullptr, buf, &size) != ERROR_SUCCESS) return "";
  return win::narrow(buf);
}

void forget(const wchar_t* name) {
  HKEY k = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kInstallerKey, 0, KEY_SET_VALUE, &k) != ERROR_SUCCESS) return;
  RegDeleteValueW(k, name);
  RegCloseKey(k);
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(fs_path(path), ec);
}

}  // namespace

Status prepare_from_installer(const std::string& config_path, std::string& lines) {
  if (!exists(config_path)) {
    InstallerValues v{value(L"NodeId"), value(L"Controllers"), value(L"Arbiter"), value(L"VipInterfaces")};
    if (v.node_id.empty() && v.controllers.empty()) return Status::Ok();  // not installed by the MSI: nothing to do
    auto yaml = first_agent_yaml(v);
    if (!yaml.ok()) return Status::Error("installer properties: " + yaml.error());
    std::error_code ec;
    std::filesystem::create_directories(fs_path(config_path).parent_path(), ec);
    if (auto st = pki::write_file_atomic(config_path, *yaml, 0600); !st.ok()) return st;
    lines += "wrote " + config_path + " from the installer's properties\n";
  }
  auto cfg = load_config(config_path);
  if (!cfg.ok()) return cfg.status();
  std::error_code ec;
  std::filesystem::create_directories(fs_path(cfg->state_dir), ec);
  if (const std::string ca = value(L"CaFile"); !ca.empty() && !exists(cfg->tls.ca)) {
    auto pem = pki::read_file(ca);
    if (!pem.ok()) return Status::Error("CA_FILE: " + pem.error());
    if (auto st = pki::write_file_atomic(cfg->tls.ca, *pem, 0644); !st.ok()) return st;
    lines += "copied the cluster CA from " + ca + " to " + cfg->tls.ca + "\n";
  }
  // The registry is readable by Users: the token moves at once into a file only SYSTEM
  // and Administrators may read, beside agent.yaml, until an enrolment uses it.
  const auto slash = config_path.find_last_of("\\/");
  const std::string token_file = (slash == std::string::npos ? "" : config_path.substr(0, slash + 1)) + "enrol.token";
  if (const std::string fresh = value(L"EnrolToken"); !fresh.empty()) {
    if (auto st = pki::write_file_atomic(token_file, fresh, 0600); !st.ok()) return st;
    forget(L"EnrolToken");
  }
  auto token = pki::read_file(token_file, 4096);
  if (exists(cfg->tls.cert) || !token.ok() || token->empty()) {
    if (token.ok()) std::filesystem::remove(fs_path(token_file), ec);  // enrolled already: it must not linger
    return Status::Ok();
  }
  // The enrolment port (listen_enrol) is its own; through the controller VIP it reaches
  // the active controller, which issued the token.
  const std::string where = value(L"EnrolAddress");
  if (where.empty()) return Status::Error("ENROL_ADDRESS: required with ENROL_TOKEN (the controllers' enrolment port)");
  auto out = enrol(*cfg, where, *token);
  if (!out.ok()) return Status::Error("enrolment with " + where + " failed (will retry): " + out.error());
  std::filesystem::remove(fs_path(token_file), ec);
  lines += "enrolled with " + where + ":\n" + *out;
  return Status::Ok();
}

}  // namespace poolha::agent::windows
