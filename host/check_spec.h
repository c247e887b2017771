// Health checks as both agents understand them (monitors, design §3.1): the kinds,
// their params and the rules for those params on each OS, plus the helpers both
// implementations share (host/linux/checks.cc, host/windows/checks_win.cc), so the
// Linux and the Windows agent accept, refuse and describe checks alike. Pure: address
// and RE2 parsing only, no I/O.
//
// Params per kind (all values are strings); where the OSes differ, both are given:
//   process     name: Linux, /proc/PID/comm (first 15 chars, as the kernel keeps it);
//               Windows, the image name ("gateway.exe", any case). And/or cmdline=
//               SUBSTR of the command line. min_count (default 1).
//   service     Linux unit=UNIT (systemctl is-active); Windows name=SERVICE (the key
//               name, as `sc query` takes it): running.
//   tcp_port    host (IPv4/IPv6 literal, default 127.0.0.1; no DNS), port.
//   http        url=http://HOST[:PORT][/PATH] (IP literal, no DNS, no https),
//               expect_status (default 200). HTTP/1.0 GET, status line only.
//   cpu         max_percent: busy share over a ~200 ms sample.
//   memory      max_percent: used share of physical memory.
//   disk        path (absolute: /data, C:\ or D:\data), max_percent: used share.
//   nic_link    interface: a Linux name or a Windows alias ("以太网 2"): link up.
//   gateway     address=IPv4 literal: ICMP echo answered within the timeout.
//   log_pattern path (absolute, inside one of the host's log_dirs), pattern (RE2, at
//               most 1 KiB), encoding (utf-8 default, gbk, utf-16: lines are decoded
//               before matching): unhealthy if a line appended since the last call
//               matches (host/log_scan.h).
//   script      name (relative to the script directory; on Windows a .bat, .cmd, .ps1
//               or .exe), args (only where agent.yaml allows; plain words).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "host/host_ops.h"

namespace re2 {
class RE2;
}

namespace poolha::host {

// Script stays last: tests/unit/checks_test.cc counts the kinds by it against rules::kMonitorKinds.
enum class CheckKind { Process, Service, TcpPort, Http, Cpu, Memory, Disk, NicLink, Gateway, LogPattern, Script };

struct CheckSpec {
  CheckKind kind;
  std::map<std::string, std::string> params;  // per kind, above
  std::chrono::milliseconds timeout{1000};
};

struct CheckOutcome {
  bool healthy = false;
  std::string detail;  // what was seen, e.g. "port 127.0.0.1:8080 refused"
};

// Whose rules apply to paths and names.
enum class HostOs { Linux, Windows };

// "process","service","tcp_port","http","cpu","memory","disk","nic_link",
// "gateway","log_pattern","script".
std::optional<CheckKind> parse_check_kind(const std::string&);
std::string to_string(CheckKind);

// Validates params (and timeout: 1 ms .. 10 min) for the kind, on `os`, against what
// the host allows; the error names the missing or bad param. Unknown params are refused.
Status validate_spec(const CheckSpec&, const CheckPolicy&, HostOs os);

// The check's spec from a HostOps request; error if the kind is unknown.
Expected<CheckSpec> to_spec(const CheckRequest& request, const char* os_name);

namespace checks {

constexpr std::chrono::milliseconds kMaxTimeout{600000};

const std::string* param(const CheckSpec& spec, const std::string& key);
std::string get(const CheckSpec& spec, const std::string& key, const std::string& dflt = "");
std::optional<long> parse_long(const std::string& s, long lo, long hi);
std::optional<double> parse_percent(const std::string& s);  // (0, 100]
std::vector<std::string> split_ws(const std::string& s);
std::string fmt_pct(double v);  // "12.5%"
std::string fmt_num(double v);
// One-line summary of program output for a detail string: valid UTF-8 (other bytes
// become U+FFFD), control characters as spaces, cut on a character boundary.
std::string summarize(const std::string& s, std::size_t cap = 200);
std::string host_port(const std::string& host, int port);  // "[::1]:80"

// `path` lies below `dir` (not `dir` itself), by the OS's rules: on Windows either slash
// in `dir`, and without regard to ASCII case.
bool inside_dir(const std::string& path, const std::string& dir, HostOs os);

struct Url {
  std::string host;  // literal, without brackets
  int port = 80;
  std::string path = "/";
};
Expected<Url> parse_url(const std::string& s);

// What is left of a check's time until `deadline`, at least 1 ms.
std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline);

// A script monitor's verdict from its run (exit 0 in time: healthy), the output decoded
// from `encoding` and summarised: "script check.sh exited 2 in 15 ms: gateway down".
CheckOutcome script_outcome(const std::string& name, const ScriptRun& run, text::Encoding encoding);

// RE2, compiled with a memory bound (linear time, no backtracking): no pattern can
// stall the agent's workers. Null with *error set if invalid or longer than 1 KiB.
std::unique_ptr<re2::RE2> compile_pattern(const std::string& pattern, std::string* error);

}  // namespace checks

}  // namespace poolha::host
