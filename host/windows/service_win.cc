#include "host/windows/service_win.h"

#include <windows.h>
#include <knownfolders.h>
#include <shlobj.h>

#include <mutex>
#include <thread>

#include "common/windows/wide.h"

namespace poolha::host::windows {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct ScHandle {
  SC_HANDLE h = nullptr;
  explicit ScHandle(SC_HANDLE x) : h(x) {}
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  ~ScHandle() {
    if (h) CloseServiceHandle(h);
  }
  explicit operator bool() const { return h != nullptr; }
};

Status scm_error(const std::string& what) { return Status::Error(what + ": " + win::last_error_text()); }

// The one service this process runs (SCM callbacks are plain functions).
struct Running : ServiceControl {
  std::string name;
  std::function<int(ServiceControl&)> body;
  SERVICE_STATUS_HANDLE status_handle = nullptr;
  SERVICE_STATUS status{};
  std::mutex mu;
  std::function<void()> stop;
  bool stop_requested = false;
  int exit_code = 0;

  void report(DWORD state, DWORD exit = 0, DWORD wait_hint = 0) {
    std::lock_guard<std::mutex> lk(mu);
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = state;
    status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN : 0;
    status.dwWin32ExitCode = exit ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
    status.dwServiceSpecificExitCode = exit;
    status.dwWaitHint = wait_hint;
    status.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : status.dwCheckPoint + 1;
    SetServiceStatus(status_handle, &status);
  }
  void running() override {
    if (!stopping()) report(SERVICE_RUNNING);
  }
  bool stopping() override {
    std::lock_guard<std::mutex> lk(mu);
    return stop_requested;
  }
  void on_stop(std::function<void()> f) override {
    bool already = false;
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = std::move(f);
      already = stop_requested;
    }
    if (already && stop) stop();
  }
  void request_stop() {
    std::function<void()> f;
    {
      std::lock_guard<std::mutex> lk(mu);
      stop_requested = true;
      f = stop;
    }
    report(SERVICE_STOP_PENDING, 0, 15000);
    if (f) f();
  }
};

Running* g_service = nullptr;

DWORD WINAPI control_handler(DWORD control, DWORD, LPVOID, LPVOID) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_PRESHUTDOWN:
    case SERVICE_CONTROL_SHUTDOWN:
      g_service->request_stop();
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
  }
  return ERROR_CALL_NOT_IMPLEMENTED;
}

void WINAPI service_main(DWORD, LPWSTR*) {
  Running& s = *g_service;
  s.status_handle = RegisterServiceCtrlHandlerExW(win::widen(s.name).c_str(), control_handler, nullptr);
  if (!s.status_handle) return;
  s.report(SERVICE_START_PENDING, 0, 30000);
  s.exit_code = s.body(s);
  s.report(SERVICE_STOPPED, static_cast<DWORD>(s.exit_code));
}

Status wait_for(SC_HANDLE svc, DWORD want, milliseconds wait, const std::string& what) {
  const auto deadline = Clock::now() + wait;
  SERVICE_STATUS_PROCESS st{};
  DWORD need = 0;
  while (QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st, &need)) {
    if (st.dwCurrentState == want) return Status::Ok();
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return Status::Error(what + ": still " + to_string(st.dwCurrentState == SERVICE_STOPPED ? ServiceState::Stopped
                                                      : st.dwCurrentState == SERVICE_RUNNING ? ServiceState::Running
                                                                                               : ServiceState::Other) +
                       " after " + std::to_string(wait.count()) + " ms");
}

ScHandle open_service(const std::string& name, DWORD access) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm) return ScHandle(nullptr);
  return ScHandle(OpenServiceW(scm.h, win::widen(name).c_str(), access));
}

}  // namespace

std::optional<int> run_as_service(const std::string& name, const std::function<int(ServiceControl&)>& body) {
  static Running running;
  running.name = name;
  running.body = body;
  g_service = &running;
  std::wstring wname = win::widen(name);
  SERVICE_TABLE_ENTRYW table[] = {{wname.data(), service_main}, {nullptr, nullptr}};
  if (!StartServiceCtrlDispatcherW(table)) {
    if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) return std::nullopt;
    return 1;
  }
  return running.exit_code;
}

Status install_service(const ServiceSpec& spec) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE | SC_MANAGER_CONNECT));
  if (!scm) return scm_error("service manager");
  std::wstring deps;
  for (const auto& d : spec.depends_on) deps += win::widen(d) + L'\0';
  deps += L'\0';
  const std::wstring name = win::widen(spec.name), display = win::widen(spec.display_name),
                     cmd = win::widen(spec.command_line);
  ScHandle svc(CreateServiceW(scm.h, name.c_str(), display.c_str(), SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                              SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd.c_str(), nullptr, nullptr, deps.c_str(), nullptr,
                              nullptr));
  if (!svc && GetLastError() == ERROR_SERVICE_EXISTS) {
    svc.h = OpenServiceW(scm.h, name.c_str(), SERVICE_ALL_ACCESS);
    if (!svc) return scm_error("service " + spec.name);
    if (!ChangeServiceConfigW(svc.h, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd.c_str(),
                              nullptr, nullptr, deps.c_str(), nullptr, nullptr, display.c_str()))
      return scm_error("service " + spec.name + ": update");
  }
  if (!svc) return scm_error("service " + spec.name + ": create");
  std::wstring description = win::widen(spec.description);
  SERVICE_DESCRIPTIONW d{description.data()};
  ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DESCRIPTION, &d);
  return Status::Ok();
}

Status uninstall_service(const std::string& name, milliseconds wait) {
  ScHandle svc = open_service(name, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
  if (!svc) return GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST ? Status::Ok() : scm_error("service " + name);
  SERVICE_STATUS st{};
  if (ControlService(svc.h, SERVICE_CONTROL_STOP, &st)) (void)wait_for(svc.h, SERVICE_STOPPED, wait, "stop " + name);
  if (!DeleteService(svc.h) && GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE) return scm_error("delete service " + name);
  return Status::Ok();
}

Status start_service(const std::string& name, milliseconds wait) {
  ScHandle svc = open_service(name, SERVICE_START | SERVICE_QUERY_STATUS);
  if (!svc) return scm_error("service " + name);
  if (!StartServiceW(svc.h, 0, nullptr) && GetLastError() != ERROR_SERVICE_ALREADY_RUNNING)
    return scm_error("start service " + name);
  return wait_for(svc.h, SERVICE_RUNNING, wait, "start " + name);
}

Status stop_service(const std::string& name, milliseconds wait) {
  ScHandle svc = open_service(name, SERVICE_STOP | SERVICE_QUERY_STATUS);
  if (!svc) return scm_error("service " + name);
  SERVICE_STATUS st{};
  if (!ControlService(svc.h, SERVICE_CONTROL_STOP, &st) && GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
    return scm_error("stop service " + name);
  return wait_for(svc.h, SERVICE_STOPPED, wait, "stop " + name);
}

Expected<ServiceState> service_state(const std::string& name) {
  ScHandle svc = open_service(name, SERVICE_QUERY_STATUS);
  if (!svc) {
    if (GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) return ServiceState::NotInstalled;
    return scm_error("service " + name);
  }
  SERVICE_STATUS_PROCESS st{};
  DWORD need = 0;
  if (!QueryServiceStatusEx(svc.h, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st, &need))
    return scm_error("service " + name);
  switch (st.dwCurrentState) {
    case SERVICE_STOPPED: return ServiceState::Stopped;
    case SERVICE_START_PENDING: return ServiceState::Starting;
    case SERVICE_STOP_PENDING: return ServiceState::Stopping;
    case SERVICE_RUNNING: return ServiceState::Running;
  }
  return ServiceState::Other;
}

const char* to_string(ServiceState s) {
  switch (s) {
    case ServiceState::NotInstalled: return "not installed";
    case ServiceState::Stopped: return "stopped";
    case ServiceState::Starting: return "starting";
    case ServiceState::Stopping: return "stopping";
    case ServiceState::Running: return "running";
    case ServiceState::Other: return "paused or changing";
  }
  return "unknown";
}

Status ensure_recovery(const std::string& name, milliseconds preshutdown) {
  ScHandle svc = open_service(name, SERVICE_CHANGE_CONFIG | SERVICE_START);
  if (!svc) return scm_error("service " + name);
  std::string refused;
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000}};
  SERVICE_FAILURE_ACTIONSW fa{};
  fa.dwResetPeriod = 24 * 3600;
  fa.cActions = 3;
  fa.lpsaActions = actions;
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS, &fa)) refused += " failure actions (" + win::last_error_text() + ");";
  SERVICE_FAILURE_ACTIONS_FLAG flag{TRUE};
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag))
    refused += " restart after a failed stop (" + win::last_error_text() + ");";
  SERVICE_PRESHUTDOWN_INFO pre{static_cast<DWORD>(preshutdown.count())};
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre))
    refused += " pre-shutdown timeout (" + win::last_error_text() + ");";
  if (!refused.empty()) return Status::Error("service " + name + ": the system refused" + refused);
  return Status::Ok();
}

Status register_event_source(const std::string& name, const std::string& exe) {
  const std::wstring key = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + win::widen(name);
  HKEY k = nullptr;
  const LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key.c_str(), 0, nullptr, 0, KEY_SET_VALUE, nullptr, &k, nullptr);
  if (rc != ERROR_SUCCESS) return Status::Error("event source " + name + ": " + win::error_text(static_cast<uint32_t>(rc)));
  const std::wstring file = win::widen(exe);
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ, reinterpret_cast<const BYTE*>(file.c_str()),
                 static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t)));
  RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types), sizeof types);
  RegCloseKey(k);
  return Status::Ok();
}

std::string this_executable() {
  std::wstring buf(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  return win::narrow(std::wstring_view(buf.data(), n));
}

std::string program_data() {
  // The known folder, as the MSI's CommonAppDataFolder resolves it (the environment
  // variable may differ, or be missing in a service's environment).
  PWSTR path = nullptr;
  std::string out = "C:\\ProgramData";
  if (SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &path) == S_OK) out = win::narrow(path);
  CoTaskMemFree(path);
  return out;
}

}  // namespace poolha::host::windows
