#include "host/linux/checks.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "host/linux/script_runner.h"
#include "host/log_scan.h"
#include "host/net_checks.h"
#include "common/text_encoding.h"
#include "common/utf8.h"

namespace poolha::host::linux_checks {
namespace {

using namespace host::checks;

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string errno_text(int e) { return std::strerror(e); }

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

std::optional<std::string> read_small_file(const std::string& path, std::size_t max = 1 << 20) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data;
  char buf[4096];
  while (data.size() < max) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) {
        ::close(fd);
        return std::nullopt;
      }
      break;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// ---- process --------------------------------------------------------------

CheckOutcome check_process(const CheckSpec& spec, Clock::time_point deadline) {
  const std::string* name = param(spec, "name");
  const std::string* cmd = param(spec, "cmdline");
  long min_count = parse_long(get(spec, "min_count", "1"), 1, 1000000).value_or(1);
  std::string want_comm = name ? name->substr(0, 15) : "";
  std::string what = name ? "comm=" + *name : "";
  if (cmd) what += std::string(what.empty() ? "" : " ") + "cmdline~'" + *cmd + "'";

  DIR* d = ::opendir("/proc");
  if (!d) return {false, "cannot read /proc: " + errno_text(errno)};
  long count = 0;
  std::size_t scanned = 0;
  bool timed_out = false;
  while (dirent* e = ::readdir(d)) {
    const char* n = e->d_name;
    if (*n < '0' || *n > '9') continue;
    if (++scanned % 64 == 0 && Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    std::string base = std::string("/proc/") + n;
    if (name) {
      auto comm = read_small_file(base + "/comm", 64);
      if (!comm) continue;
      if (!comm->empty() && comm->back() == '\n') comm->pop_back();
      if (*comm != want_comm) continue;
    }
    if (cmd) {
      auto cl = read_small_file(base + "/cmdline", 1 << 16);
      if (!cl) continue;
      std::replace(cl->begin(), cl->end(), '\0', ' ');
      while (!cl->empty() && cl->back() == ' ') cl->pop_back();
      if (cl->find(*cmd) == std::string::npos) continue;
    }
    // Skip zombies: state is the first field after the last ')'.
    auto stat = read_small_file(base + "/stat", 4096);
    if (!stat) continue;
    auto rp = stat->rfind(')');
    if (rp != std::string::npos && rp + 2 < stat->size() && (*stat)[rp + 2] == 'Z') continue;
    ++count;
  }
  ::closedir(d);
  std::string detail = "process " + what + ": " + std::to_string(count) + " running (need >= " +
                       std::to_string(min_count) + ")";
  if (timed_out) return {false, detail + "; /proc scan timed out before completing"};
  return {count >= min_count, detail};
}

// ---- cpu / memory / disk --------------------------------------------------

struct CpuSample {
  unsigned long long total = 0, idle = 0;
};

std::optional<CpuSample> read_cpu() {
  auto data = read_small_file("/proc/stat", 1 << 16);
  if (!data || data->compare(0, 4, "cpu ") != 0) return std::nullopt;
  std::istringstream in(data->substr(4, data->find('\n') - 4));
  unsigned long long v[8] = {};
  int n = 0;
  while (n < 8 && (in >> v[n])) ++n;
  if (n < 4) return std::nullopt;
  CpuSample s;
  for (int i = 0; i < n; ++i) s.total += v[i];
  s.idle = v[3] + (n > 4 ? v[4] : 0);
  return s;
}

CheckOutcome check_cpu(const CheckSpec& spec, Clock::time_point deadline) {
  double max = parse_percent(get(spec, "max_percent")).value_or(100);
  auto a = read_cpu();
  if (!a) return {false, "cannot parse /proc/stat"};
  auto interval = std::min<milliseconds>(milliseconds(200),
                                         std::chrono::duration_cast<milliseconds>((deadline - Clock::now()) * 3 / 4));
  if (interval < milliseconds(1)) interval = milliseconds(1);
  std::this_thread::sleep_for(interval);
  auto b = read_cpu();
  if (!b) return {false, "cannot parse /proc/stat"};
  unsigned long long dt = b->total - a->total, di = b->idle - a->idle;
  if (dt == 0) return {true, "cpu: no ticks elapsed in " + std::to_string(interval.count()) + " ms sample; assuming idle"};
  double busy = 100.0 * static_cast<double>(dt - std::min(di, dt)) / static_cast<double>(dt);
  return {busy <= max, "cpu " + fmt_pct(busy) + " busy over " + std::to_string(interval.count()) + " ms (max " +
                           fmt_num(max) + "%)"};
}

CheckOutcome check_memory(const CheckSpec& spec) {
  double max = parse_percent(get(spec, "max_percent")).value_or(100);
  auto data = read_small_file("/proc/meminfo", 1 << 16);
  if (!data) return {false, "cannot read /proc/meminfo: " + errno_text(errno)};
  std::map<std::string, unsigned long long> kb;
  std::istringstream in(*data);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    kb[line.substr(0, colon)] = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
  }
  unsigned long long total = kb["MemTotal"];
  if (total == 0) return {false, "MemTotal missing from /proc/meminfo"};
  unsigned long long avail =
      kb.count("MemAvailable") ? kb["MemAvailable"] : kb["MemFree"] + kb["Buffers"] + kb["Cached"];
  double used = 100.0 * static_cast<double>(total - std::min(avail, total)) / static_cast<double>(total);
  return {used <= max, "memory " + fmt_pct(used) + " used of " + std::to_string(total / 1024) + " MiB (max " +
                           fmt_num(max) + "%)"};
}

CheckOutcome check_disk(const CheckSpec& spec) {
  double max = parse_percent(get(spec, "max_percent")).value_or(100);
  std::string path = get(spec, "path");
  struct statvfs v {};
  if (::statvfs(path.c_str(), &v) != 0) return {false, "statvfs " + path + ": " + errno_text(errno)};
  unsigned long long used = static_cast<unsigned long long>(v.f_blocks - v.f_bfree);
  unsigned long long avail = v.f_bavail;
  double pct = used + avail == 0 ? 0.0 : 100.0 * static_cast<double>(used) / static_cast<double>(used + avail);
  return {pct <= max, "disk " + path + " " + fmt_pct(pct) + " used (max " + fmt_num(max) + "%)"};
}

// ---- nic link -------------------------------------------------------------

CheckOutcome check_nic(const CheckSpec& spec) {
  std::string ifname = get(spec, "interface");
  std::string base = "/sys/class/net/" + ifname;
  auto oper = read_small_file(base + "/operstate", 64);
  if (!oper) return {false, "interface " + ifname + " not found (" + base + "/operstate: " + errno_text(errno) + ")"};
  std::string state = trim(*oper);
  auto car = read_small_file(base + "/carrier", 64);  // EINVAL while the interface is down
  std::string carrier = car ? trim(*car) : "n/a";
  bool up = state == "up" || (state == "unknown" && carrier == "1");
  return {up, "interface " + ifname + " operstate=" + state + " carrier=" + carrier};
}

// ---- ICMP -----------------------------------------------------------------

uint16_t icmp_checksum(const uint8_t* p, std::size_t n) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct PingResult {
  bool sent_any = false;
  bool reply = false;
  std::string detail;
  std::string error;  // no probe could be sent at all
};

std::atomic<uint16_t> g_ping_seq{1};

PingResult do_ping(const std::string& ipv4, milliseconds timeout) {
  PingResult r;
  in_addr dst{};
  if (::inet_pton(AF_INET, ipv4.c_str(), &dst) != 1) {
    r.error = "ping: '" + ipv4 + "' is not an IPv4 address";
    return r;
  }
  if (timeout <= milliseconds::zero()) {
    r.error = "ping " + ipv4 + ": timeout must be positive";
    return r;
  }
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  bool raw = false;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  int dgram_errno = errno;
  if (fd < 0) {
    fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    raw = true;
    if (fd < 0) {
      r.error = "ping " + ipv4 + ": no ICMP socket (datagram: " + errno_text(dgram_errno) +
                "; raw: " + errno_text(errno) + ")";
      return r;
    }
  }
  const uint16_t id = static_cast<uint16_t>(::getpid() ^ (g_ping_seq.load() << 7));
  std::set<uint16_t> seqs;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr = dst;
  const int probes = 3;
  int sent = 0;
  std::string last_send_error;
  auto next_send = started;
  while (true) {
    auto now = Clock::now();
    if (now >= deadline) break;
    if (sent < probes && now >= next_send) {
      uint8_t pkt[64] = {};
      uint16_t seq = g_ping_seq.fetch_add(1);
      pkt[0] = 8;  // echo request
      pkt[4] = static_cast<uint8_t>(id >> 8);
      pkt[5] = static_cast<uint8_t>(id);
      pkt[6] = static_cast<uint8_t>(seq >> 8);
      pkt[7] = static_cast<uint8_t>(seq);
      std::memcpy(pkt + 8, "poolha-ping", 11);
      uint16_t ck = icmp_checksum(pkt, sizeof pkt);
      pkt[2] = static_cast<uint8_t>(ck >> 8);
      pkt[3] = static_cast<uint8_t>(ck);
      ssize_t n = ::sendto(fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      ++sent;
      next_send = started + timeout * sent / probes;
      if (n < 0) {
        int e = errno;
        last_send_error = errno_text(e);
        if (e == ENETUNREACH || e == EHOSTUNREACH || e == EPERM || e == EACCES) {
          r.sent_any = true;  // the network answered for us: not reachable
          r.detail = "ping " + ipv4 + ": send failed: " + last_send_error;
          ::close(fd);
          return r;
        }
      } else {
        r.sent_any = true;
        seqs.insert(seq);
      }
    }
    auto wake = sent < probes ? std::min(next_send, deadline) : deadline;
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, std::max(1, ms_until(wake)));
    if (pr <= 0) continue;
    uint8_t buf[1500];
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) {
      int e = errno;
      if (e == EHOSTUNREACH || e == ENETUNREACH || e == ECONNREFUSED) {
        r.detail = "ping " + ipv4 + ": " + errno_text(e);
        ::close(fd);
        return r;
      }
      continue;
    }
    const uint8_t* icmp = buf;
    std::size_t len = static_cast<std::size_t>(n);
    if (raw) {
      if (len < 20) continue;
      std::size_t ihl = (buf[0] & 0x0f) * 4u;
      if (len < ihl + 8) continue;
      icmp = buf + ihl;
      len -= ihl;
    }
    if (len < 8) continue;
    uint16_t rid = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
    uint16_t rseq = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
    if (icmp[0] == 0 && from.sin_addr.s_addr == dst.s_addr && seqs.count(rseq) && (!raw || rid == id)) {
      r.reply = true;
      r.detail = "ping " + ipv4 + ": reply in " + std::to_string(ms_since(started)) + " ms";
      ::close(fd);
      return r;
    }
    if (raw && (icmp[0] == 3 || icmp[0] == 11) && len >= 8 + 20 + 8) {
      const uint8_t* inner = icmp + 8;
      std::size_t iihl = (inner[0] & 0x0f) * 4u;
      if (len >= 8 + iihl + 8) {
        const uint8_t* ie = inner + iihl;
        uint16_t iid = static_cast<uint16_t>(ie[4] << 8 | ie[5]);
        uint16_t iseq = static_cast<uint16_t>(ie[6] << 8 | ie[7]);
        if (ie[0] == 8 && iid == id && seqs.count(iseq)) {
          r.detail = "ping " + ipv4 + ": " + (icmp[0] == 3 ? "destination unreachable" : "time exceeded") +
                     " (code " + std::to_string(icmp[1]) + ") from " + ::inet_ntoa(from.sin_addr);
          ::close(fd);
          return r;
        }
      }
    }
  }
  ::close(fd);
  if (!r.sent_any) {
    r.error = "ping " + ipv4 + ": could not send: " + last_send_error;
    return r;
  }
  r.detail = "ping " + ipv4 + ": no reply to " + std::to_string(seqs.size()) + " probe(s) within " +
             std::to_string(timeout.count()) + " ms";
  return r;
}

CheckOutcome check_gateway(const CheckSpec& spec) {
  PingResult r = do_ping(get(spec, "address"), spec.timeout);
  if (!r.error.empty()) return {false, r.error};
  return {r.reply, r.detail};
}

// ---- log pattern ----------------------------------------------------------

// The log file a monitor may read (issue 9 §3: the controller names the path, the
// agent runs as root): it must resolve inside one of the configured log_dirs. Returns
// the resolved path, or an error; ENOENT comes back as an empty path (not there yet).
Expected<std::string> allowed_log_file(const std::string& path, const std::vector<std::string>& log_dirs) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) {
    if (errno == ENOENT) return std::string();
    return Expected<std::string>::Error("log " + path + ": " + errno_text(errno));
  }
  const std::string real = buf;
  for (const auto& dir : log_dirs) {
    if (!::realpath(dir.c_str(), buf)) continue;
    const std::string root = std::string(buf) == "/" ? "/" : std::string(buf) + "/";
    if (real.size() > root.size() && real.compare(0, root.size(), root) == 0) return real;
  }
  return Expected<std::string>::Error("log " + path + " resolves to " + real +
                                      ", outside this host's log_dirs; refused");
}

// Opens a log for host/log_scan.h: nothing but a regular file (a device node — a
// watchdog, a tape — can act on open): lstat first, then open without following a
// link, then the same inode.
Expected<std::optional<OpenLog>> open_log(const std::string& path, const CheckPolicy& policy) {
  auto real = allowed_log_file(path, policy.log_dirs);
  if (!real.ok()) return real.status();
  if (real->empty()) return std::optional<OpenLog>();
  struct stat lst {};
  if (::lstat(real->c_str(), &lst) != 0 || !S_ISREG(lst.st_mode))
    return Status::Error("log " + path + " is not a regular file; refused");
  const int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) return Status::Error("open log " + path + ": " + errno_text(errno));
  auto owned = std::shared_ptr<int>(new int(fd), [](int* f) {
    ::close(*f);
    delete f;
  });
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino)
    return Status::Error("log " + path + " changed while being opened; refused");
  OpenLog log;
  log.volume = static_cast<uint64_t>(st.st_dev);
  log.file = static_cast<uint64_t>(st.st_ino);
  log.size = static_cast<int64_t>(st.st_size);
  log.read_at = [owned](int64_t offset, char* buf, size_t n) -> int64_t {
    for (;;) {
      const ssize_t r = ::pread(*owned, buf, n, static_cast<off_t>(offset));
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  };
  return std::optional<OpenLog>(std::move(log));
}

// ---- service / script -----------------------------------------------------

CheckOutcome check_service(const CheckSpec& spec, Clock::time_point deadline) {
  std::string unit = get(spec, "unit");
  std::string systemctl;
  for (const char* p : {"/usr/bin/systemctl", "/bin/systemctl", "/usr/sbin/systemctl", "/sbin/systemctl"}) {
    if (::access(p, X_OK) == 0) {
      systemctl = p;
      break;
    }
  }
  if (systemctl.empty()) return {false, "service " + unit + ": systemctl not found"};
  auto r = run_program(systemctl, {"is-active", unit}, time_left(deadline));
  if (!r.ok()) return {false, "service " + unit + ": " + r.error()};
  if (r->timed_out) return {false, "service " + unit + ": systemctl timed out after " +
                                       std::to_string(r->duration.count()) + " ms"};
  std::string out = summarize(r->output);
  return {r->exit_code == 0, "service " + unit + ": " + (out.empty() ? "(no output)" : out) + " (exit " +
                                 std::to_string(r->exit_code) + ")"};
}

CheckOutcome check_script(const CheckSpec& spec, const CheckPolicy& policy, Clock::time_point deadline) {
  const std::string name = get(spec, "name");
  auto r = run_script(policy.script_dir, name, split_ws(get(spec, "args")), {{"POOLHA_CHECK", "1"}}, time_left(deadline));
  if (!r.ok()) return {false, "script " + name + " not run: " + r.error()};
  return script_outcome(name, ScriptRun{r->exit_code, r->timed_out, std::move(r->output), r->duration},
                        policy.script_output_encoding);
}

}  // namespace

Status validate(const CheckSpec& spec, const CheckPolicy& policy) { return validate_spec(spec, policy, HostOs::Linux); }

CheckOutcome run_check(const CheckSpec& spec, const CheckPolicy& policy) {
  if (Status s = validate(spec, policy); !s.ok()) return {false, "invalid " + to_string(spec.kind) + " check: " + s.error()};
  const auto started = Clock::now();
  const auto deadline = started + spec.timeout;
  switch (spec.kind) {
    case CheckKind::Process: return check_process(spec, deadline);
    case CheckKind::Service: return check_service(spec, deadline);
    case CheckKind::TcpPort: return check_tcp_port(spec, started, deadline);
    case CheckKind::Http: return check_http(spec, started, deadline);
    case CheckKind::Cpu: return check_cpu(spec, deadline);
    case CheckKind::Memory: return check_memory(spec);
    case CheckKind::Disk: return check_disk(spec);
    case CheckKind::NicLink: return check_nic(spec);
    case CheckKind::Gateway: return check_gateway(spec);
    case CheckKind::LogPattern:
      return check_log_pattern(spec, deadline, [&](const std::string& path) { return open_log(path, policy); });
    case CheckKind::Script: return check_script(spec, policy, deadline);
  }
  return {false, "unknown check kind"};
}

Expected<bool> ping(const std::string& ipv4, milliseconds timeout) {
  PingResult r = do_ping(ipv4, timeout);
  if (!r.error.empty()) return Expected<bool>::Error(r.error);
  return r.reply;
}

}  // namespace poolha::host::linux_checks
