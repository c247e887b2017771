#include "host/windows/checks_win.h"

#include <winsock2.h>
#include <windows.h>
#include <icmpapi.h>
#include <pdh.h>
#include <tlhelp32.h>
#include <winternl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <thread>
#include <vector>

#include "common/net_address.h"
#include "common/text_encoding.h"
#include "common/windows/handle.h"
#include "common/windows/wide.h"
#include "host/log_scan.h"
#include "host/net_checks.h"
#include "host/windows/net_ops_win.h"
#include "host/windows/script_runner_win.h"

namespace poolha::host::windows {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace host::checks;
using win::Handle;

std::wstring lower(std::wstring s) {
  CharLowerBuffW(s.data(), static_cast<DWORD>(s.size()));
  return s;
}

// ---- process --------------------------------------------------------------

// The command line of a process (Windows 8.1 / 2012 R2: ProcessCommandLineInformation),
// or nullopt where the system does not answer.
std::optional<std::wstring> command_line_of(DWORD pid) {
  using Query = LONG(NTAPI*)(HANDLE, ULONG, PVOID, ULONG, PULONG);
  static const auto query = reinterpret_cast<Query>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationProcess")));
  if (!query) return std::nullopt;
  Handle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process) return std::nullopt;
  constexpr ULONG kProcessCommandLineInformation = 60;
  std::vector<char> buf(4096);
  ULONG need = 0;
  LONG st = query(process.get(), kProcessCommandLineInformation, buf.data(), static_cast<ULONG>(buf.size()), &need);
  if (st < 0 && need > buf.size() && need < (1u << 20)) {
    buf.resize(need);
    st = query(process.get(), kProcessCommandLineInformation, buf.data(), static_cast<ULONG>(buf.size()), &need);
  }
  if (st < 0) return std::nullopt;
  const auto* us = reinterpret_cast<const UNICODE_STRING*>(buf.data());
  return std::wstring(us->Buffer, us->Length / sizeof(wchar_t));
}

CheckOutcome check_process(const CheckSpec& spec, Clock::time_point deadline) {
  const std::string* name = param(spec, "name");
  const std::string* cmd = param(spec, "cmdline");
  const long min_count = parse_long(get(spec, "min_count", "1"), 1, 1000000).value_or(1);
  std::string what = name ? "image=" + *name : "";
  if (cmd) what += std::string(what.empty() ? "" : " ") + "cmdline~'" + *cmd + "'";
  const std::wstring want_name = name ? lower(win::widen(*name)) : L"";
  const std::wstring want_cmd = cmd ? win::widen(*cmd) : L"";
  Handle snap(CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
  if (!snap) return {false, "process list: " + win::last_error_text()};
  PROCESSENTRY32W e{};
  e.dwSize = sizeof e;
  long count = 0;
  size_t unreadable = 0;
  bool timed_out = false;
  for (BOOL ok = Process32FirstW(snap.get(), &e); ok; ok = Process32NextW(snap.get(), &e)) {
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    if (name && lower(std::wstring(e.szExeFile)) != want_name) continue;
    if (cmd) {
      auto cl = command_line_of(e.th32ProcessID);
      if (!cl) {
        ++unreadable;
        continue;
      }
      if (cl->find(want_cmd) == std::wstring::npos) continue;
    }
    ++count;
  }
  std::string detail = "process " + what + ": " + std::to_string(count) + " running (need >= " + std::to_string(min_count) + ")";
  if (cmd && unreadable > 0) detail += "; " + std::to_string(unreadable) + " command line(s) could not be read";
  if (timed_out) return {false, detail + "; the process scan timed out before completing"};
  return {count >= min_count, detail};
}

// ---- service --------------------------------------------------------------

const char* service_state_name(DWORD s) {
  switch (s) {
    case SERVICE_STOPPED: return "stopped";
    case SERVICE_START_PENDING: return "starting";
    case SERVICE_STOP_PENDING: return "stopping";
    case SERVICE_RUNNING: return "running";
    case SERVICE_CONTINUE_PENDING: return "continuing";
    case SERVICE_PAUSE_PENDING: return "pausing";
    case SERVICE_PAUSED: return "paused";
  }
  return "unknown";
}

CheckOutcome check_service(const CheckSpec& spec) {
  const std::string name = get(spec, "name");
  SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!scm) return {false, "service " + name + ": cannot open the service manager: " + win::last_error_text()};
  SC_HANDLE svc = OpenServiceW(scm, win::widen(name).c_str(), SERVICE_QUERY_STATUS);
  if (!svc) {
    const DWORD e = GetLastError();
    CloseServiceHandle(scm);
    if (e == ERROR_SERVICE_DOES_NOT_EXIST) return {false, "service " + name + " is not installed"};
    return {false, "service " + name + ": " + win::error_text(e)};
  }
  SERVICE_STATUS_PROCESS st{};
  DWORD need = 0;
  const BOOL ok = QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st, &need);
  const DWORD e = GetLastError();
  CloseServiceHandle(svc);
  CloseServiceHandle(scm);
  if (!ok) return {false, "service " + name + ": " + win::error_text(e)};
  std::string detail = "service " + name + ": " + service_state_name(st.dwCurrentState);
  if (st.dwCurrentState == SERVICE_RUNNING) detail += " (pid " + std::to_string(st.dwProcessId) + ")";
  return {st.dwCurrentState == SERVICE_RUNNING, detail};
}

// ---- cpu / memory / disk --------------------------------------------------

CheckOutcome check_cpu(const CheckSpec& spec, Clock::time_point deadline) {
  const double max = parse_percent(get(spec, "max_percent")).value_or(100);
  PDH_HQUERY query = nullptr;
  if (PdhOpenQueryW(nullptr, 0, &query) != ERROR_SUCCESS) return {false, "cpu: PDH query could not be opened"};
  struct Closer {
    PDH_HQUERY q;
    ~Closer() { PdhCloseQuery(q); }
  } closer{query};
  PDH_HCOUNTER counter = nullptr;
  // The English name: a Chinese Windows names it "\处理器(_Total)\% 处理器时间".
  if (const PDH_STATUS s = PdhAddEnglishCounterW(query, L"\\Processor(_Total)\\% Processor Time", 0, &counter);
      s != ERROR_SUCCESS)
    return {false, "cpu: PDH counter \\Processor(_Total)\\% Processor Time: status 0x" + [&] {
              char b[16];
              std::snprintf(b, sizeof b, "%lx", static_cast<unsigned long>(s));
              return std::string(b);
            }()};
  PdhCollectQueryData(query);
  auto interval = std::min<milliseconds>(milliseconds(200),
                                         std::chrono::duration_cast<milliseconds>((deadline - Clock::now()) * 3 / 4));
  if (interval < milliseconds(1)) interval = milliseconds(1);
  std::this_thread::sleep_for(interval);
  PdhCollectQueryData(query);
  PDH_FMT_COUNTERVALUE v{};
  if (PdhGetFormattedCounterValue(counter, PDH_FMT_DOUBLE | PDH_FMT_NOCAP100, nullptr, &v) != ERROR_SUCCESS ||
      v.CStatus != ERROR_SUCCESS)
    return {false, "cpu: PDH gave no value over " + std::to_string(interval.count()) + " ms"};
  const double busy = std::clamp(v.doubleValue, 0.0, 100.0);
  return {busy <= max, "cpu " + fmt_pct(busy) + " busy over " + std::to_string(interval.count()) + " ms (max " +
                           fmt_num(max) + "%)"};
}

CheckOutcome check_memory(const CheckSpec& spec) {
  const double max = parse_percent(get(spec, "max_percent")).value_or(100);
  MEMORYSTATUSEX m{};
  m.dwLength = sizeof m;
  if (!GlobalMemoryStatusEx(&m) || m.ullTotalPhys == 0) return {false, "memory: " + win::last_error_text()};
  const double used = 100.0 * static_cast<double>(m.ullTotalPhys - std::min(m.ullAvailPhys, m.ullTotalPhys)) /
                      static_cast<double>(m.ullTotalPhys);
  return {used <= max, "memory " + fmt_pct(used) + " used of " + std::to_string(m.ullTotalPhys >> 20) + " MiB (max " +
                           fmt_num(max) + "%)"};
}

CheckOutcome check_disk(const CheckSpec& spec) {
  const double max = parse_percent(get(spec, "max_percent")).value_or(100);
  const std::string path = get(spec, "path");
  ULARGE_INTEGER avail{}, total{}, free_bytes{};
  if (!GetDiskFreeSpaceExW(win::widen(path).c_str(), &avail, &total, &free_bytes) || total.QuadPart == 0)
    return {false, "disk " + path + ": " + win::last_error_text()};
  const double pct = 100.0 * static_cast<double>(total.QuadPart - std::min(free_bytes.QuadPart, total.QuadPart)) /
                     static_cast<double>(total.QuadPart);
  return {pct <= max, "disk " + path + " " + fmt_pct(pct) + " used (max " + fmt_num(max) + "%)"};
}

// ---- nic link -------------------------------------------------------------

CheckOutcome check_nic(const CheckSpec& spec, const NetApi& api) {
  const std::string alias = get(spec, "interface");
  auto ifaces = list_interfaces(api);
  if (!ifaces.ok()) return {false, "interface " + alias + ": " + ifaces.error()};
  for (const auto& i : *ifaces)
    if (i.name == alias) return {i.up, "interface " + alias + (i.up ? " is up" : " is not up")};
  return {false, "interface " + alias + " not found"};
}

// ---- log pattern ----------------------------------------------------------

// The path as the file system resolves it ("\\?\C:\logs\gw.log" -> "C:\logs\gw.log").
std::optional<std::string> final_path(HANDLE h) {
  wchar_t buf[1024];
  const DWORD n = GetFinalPathNameByHandleW(h, buf, 1024, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0 || n >= 1024) return std::nullopt;
  std::wstring p(buf, n);
  if (p.rfind(L"\\\\?\\UNC\\", 0) == 0) return std::nullopt;  // a network share: never a log here
  if (p.rfind(L"\\\\?\\", 0) == 0) p.erase(0, 4);
  return win::narrow(p);
}

Expected<std::optional<OpenLog>> open_log(const std::string& path, const CheckPolicy& policy) {
  // Links are not followed: a reparse point is opened as itself, and refused.
  auto h = std::make_shared<Handle>(CreateFileW(win::widen(path).c_str(), GENERIC_READ,
                                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                                                FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!*h) {
    const DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return std::optional<OpenLog>();
    return Status::Error("open log " + path + ": " + win::error_text(e));
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (GetFileType(h->get()) != FILE_TYPE_DISK || !GetFileInformationByHandle(h->get(), &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)))
    return Status::Error("log " + path + " is not a regular file; refused");
  const auto real = final_path(h->get());
  if (!real) return Status::Error("log " + path + ": cannot tell where it resolves; refused");
  bool inside = false;
  for (const auto& dir : policy.log_dirs) {
    Handle d(CreateFileW(win::widen(dir).c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    const auto root = d ? final_path(d.get()) : std::nullopt;
    if (!root) continue;
    inside = inside || inside_dir(*real, *root, HostOs::Windows);
  }
  if (!inside) return Status::Error("log " + path + " resolves to " + *real + ", outside this host's log_dirs; refused");
  OpenLog log;
  log.volume = info.dwVolumeSerialNumber;
  log.file = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  log.size = static_cast<int64_t>((static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow);
  log.read_at = [h](int64_t offset, char* buf, size_t n) -> int64_t {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD got = 0;
    if (!ReadFile(h->get(), buf, static_cast<DWORD>(n), &got, &at)) return GetLastError() == ERROR_HANDLE_EOF ? 0 : -1;
    return got;
  };
  return std::optional<OpenLog>(std::move(log));
}

// ---- script ---------------------------------------------------------------

CheckOutcome check_script(const CheckSpec& spec, const CheckPolicy& policy, Clock::time_point deadline) {
  const std::string name = get(spec, "name");
  auto r = run_script(policy.script_dir, name, split_ws(get(spec, "args")), {{"POOLHA_CHECK", "1"}}, time_left(deadline));
  if (!r.ok()) return {false, "script " + name + " not run: " + r.error()};
  return script_outcome(name, *r, policy.script_output_encoding);
}

}  // namespace

Expected<bool> ping(const std::string& ipv4, milliseconds timeout) {
  const auto ip = net::parse_ip(ipv4);
  if (!ip || ip->v6) return Status::Error("ping: '" + ipv4 + "' is not an IPv4 address");
  if (timeout <= milliseconds::zero()) return Status::Error("ping " + ipv4 + ": timeout must be positive");
  HANDLE icmp = IcmpCreateFile();
  if (icmp == INVALID_HANDLE_VALUE) return Status::Error("ping " + ipv4 + ": " + win::last_error_text());
  IPAddr dst = 0;
  std::copy_n(ip->bytes.begin(), 4, reinterpret_cast<uint8_t*>(&dst));
  char payload[] = "poolha-ping";
  alignas(8) char reply[sizeof(ICMP_ECHO_REPLY) + sizeof payload + 64];
  const DWORD n = IcmpSendEcho2(icmp, nullptr, nullptr, nullptr, dst, payload, sizeof payload - 1, nullptr, reply,
                                sizeof reply, static_cast<DWORD>(std::max<long long>(timeout.count(), 1)));
  const DWORD e = GetLastError();
  IcmpCloseHandle(icmp);
  if (n > 0) return reinterpret_cast<ICMP_ECHO_REPLY*>(reply)->Status == IP_SUCCESS;
  if (e == IP_REQ_TIMED_OUT || e == IP_DEST_HOST_UNREACHABLE || e == IP_DEST_NET_UNREACHABLE || e == ERROR_NETWORK_UNREACHABLE ||
      e == ERROR_HOST_UNREACHABLE)
    return false;
  return Status::Error("ping " + ipv4 + ": " + win::error_text(e));
}

CheckOutcome run_check(const CheckSpec& spec, const CheckPolicy& policy, const NetApi& api) {
  if (Status s = validate_spec(spec, policy, HostOs::Windows); !s.ok())
    return {false, "invalid " + to_string(spec.kind) + " check: " + s.error()};
  const auto started = Clock::now();
  const auto deadline = started + spec.timeout;
  switch (spec.kind) {
    case CheckKind::Process: return check_process(spec, deadline);
    case CheckKind::Service: return check_service(spec);
    case CheckKind::TcpPort: return check_tcp_port(spec, started, deadline);
    case CheckKind::Http: return check_http(spec, started, deadline);
    case CheckKind::Cpu: return check_cpu(spec, deadline);
    case CheckKind::Memory: return check_memory(spec);
    case CheckKind::Disk: return check_disk(spec);
    case CheckKind::NicLink: return check_nic(spec, api);
    case CheckKind::Gateway: {
      const std::string address = get(spec, "address");
      auto r = ping(address, spec.timeout);
      if (!r.ok()) return {false, r.error()};
      return {*r, "ping " + address + (*r ? ": reply" : ": no reply within " + std::to_string(spec.timeout.count()) + " ms")};
    }
    case CheckKind::LogPattern:
      return check_log_pattern(spec, deadline, [&](const std::string& path) { return open_log(path, policy); });
    case CheckKind::Script: return check_script(spec, policy, deadline);
  }
  return {false, "unknown check kind"};
}

}  // namespace poolha::host::windows
