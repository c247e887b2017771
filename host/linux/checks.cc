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

#include <re2/re2.h>

#include "host/linux/script_runner.h"
#include "common/text_encoding.h"
#include "common/utf8.h"

namespace poolha::host::linux_checks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kMaxTimeout{600000};

struct KindName {
  CheckKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {CheckKind::Process, "process"},     {CheckKind::Service, "service"},   {CheckKind::TcpPort, "tcp_port"},
    {CheckKind::Http, "http"},           {CheckKind::Cpu, "cpu"},           {CheckKind::Memory, "memory"},
    {CheckKind::Disk, "disk"},           {CheckKind::NicLink, "nic_link"},  {CheckKind::Gateway, "gateway"},
    {CheckKind::LogPattern, "log_pattern"}, {CheckKind::Script, "script"},
};

std::string errno_text(int e) { return std::strerror(e); }

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

std::string fmt_pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string fmt_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// One-line summary of program output for a detail string: valid UTF-8 (other bytes
// become U+FFFD), cut on a character boundary.
std::string summarize(const std::string& s, std::size_t cap = 200) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return text::clean_text(out, cap + 3, "...");
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

std::optional<long> parse_long(const std::string& s, long lo, long hi) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  long v = std::strtol(s.c_str(), nullptr, 10);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<double> parse_percent(const std::string& s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0 || v > 100) return std::nullopt;
  return v;
}

const std::string* param(const CheckSpec& spec, const std::string& key) {
  auto it = spec.params.find(key);
  return it == spec.params.end() ? nullptr : &it->second;
}

std::string get(const CheckSpec& spec, const std::string& key, const std::string& dflt = "") {
  const std::string* p = param(spec, key);
  return p ? *p : dflt;
}

bool has_ctl_or_nul(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// ---- addresses and URLs ---------------------------------------------------

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};

std::optional<SockAddr> make_addr(const std::string& host, int port) {
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
    return a;
  }
  a.ss = {};
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::string host_port(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct Url {
  std::string host;  // literal, without brackets
  int port = 80;
  std::string path = "/";
};

Expected<Url> parse_url(const std::string& s) {
  const std::string scheme = "http://";
  if (s.compare(0, 8, "https://") == 0) return Expected<Url>::Error("param 'url': https is not supported");
  if (s.compare(0, scheme.size(), scheme) != 0) return Expected<Url>::Error("param 'url' must start with http://");
  if (has_ctl_or_nul(s) || s.find(' ') != std::string::npos)
    return Expected<Url>::Error("param 'url' contains spaces or control characters");
  std::string rest = s.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  Url u;
  if (slash != std::string::npos) u.path = rest.substr(slash);
  if (u.path.find('#') != std::string::npos) u.path = u.path.substr(0, u.path.find('#'));
  std::string port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return Expected<Url>::Error("param 'url': unterminated [IPv6] host");
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Expected<Url>::Error("param 'url': junk after [IPv6] host");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (u.host.empty()) return Expected<Url>::Error("param 'url' has no host");
  if (has_port) {
    auto p = parse_long(port_text, 1, 65535);
    if (!p) return Expected<Url>::Error("param 'url': bad port '" + port_text + "'");
    u.port = static_cast<int>(*p);
  }
  if (!make_addr(u.host, u.port))
    return Expected<Url>::Error("param 'url': host '" + u.host + "' is not an IP literal (no DNS lookups)");
  return u;
}

// ---- validation -----------------------------------------------------------

Status check_allowed(const CheckSpec& spec, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : spec.params) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) return Status::Error("unknown param '" + k + "' for " + to_string(spec.kind) + " check");
    if (v.find('\0') != std::string::npos) return Status::Error("param '" + k + "' contains a NUL byte");
  }
  return Status::Ok();
}

Status need(const CheckSpec& spec, const std::string& key) {
  const std::string* p = param(spec, key);
  if (!p || p->empty()) return Status::Error("missing param '" + key + "' for " + to_string(spec.kind) + " check");
  return Status::Ok();
}

Status need_percent(const CheckSpec& spec) {
  if (Status s = need(spec, "max_percent"); !s.ok()) return s;
  if (!parse_percent(get(spec, "max_percent")))
    return Status::Error("param 'max_percent' = '" + get(spec, "max_percent") + "' is not a number in (0, 100]");
  return Status::Ok();
}

Status need_abs_path(const CheckSpec& spec, const std::string& key) {
  if (Status s = need(spec, key); !s.ok()) return s;
  const std::string& p = *param(spec, key);
  if (p.front() != '/' || has_ctl_or_nul(p))
    return Status::Error("param '" + key + "' = '" + p + "' must be an absolute path");
  return Status::Ok();
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
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

// ---- tcp / http -----------------------------------------------------------

struct Conn {
  int fd = -1;
  std::string error;  // set when fd < 0
};

Conn connect_until(const std::string& host, int port, Clock::time_point deadline, Clock::time_point started) {
  auto addr = make_addr(host, port);
  if (!addr) return {-1, "host '" + host + "' is not an IP literal"};
  int fd = ::socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {-1, "socket: " + errno_text(errno)};
  const std::string hp = host_port(host, port);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr->ss), addr->len);
  if (rc != 0 && errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    return {-1, "port " + hp + (e == ECONNREFUSED ? " refused" : " connect failed: " + errno_text(e))};
  }
  if (rc != 0) {
    while (true) {
      pollfd p{fd, POLLOUT, 0};
      int pr = ::poll(&p, 1, ms_until(deadline));
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) {
        ::close(fd);
        return {-1, "port " + hp + " connect timed out after " + std::to_string(ms_since(started)) + " ms"};
      }
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ::close(fd);
      return {-1, "port " + hp + (err == ECONNREFUSED ? " refused" : " connect failed: " + errno_text(err))};
    }
  }
  return {fd, ""};
}

CheckOutcome check_tcp(const CheckSpec& spec, Clock::time_point deadline, Clock::time_point started) {
  std::string host = get(spec, "host", "127.0.0.1");
  int port = static_cast<int>(parse_long(get(spec, "port"), 1, 65535).value_or(0));
  Conn c = connect_until(host, port, deadline, started);
  if (c.fd < 0) return {false, c.error};
  ::close(c.fd);
  return {true, "port " + host_port(host, port) + " accepted a connection in " + std::to_string(ms_since(started)) +
                    " ms"};
}

CheckOutcome check_http(const CheckSpec& spec, Clock::time_point deadline, Clock::time_point started) {
  auto url = parse_url(get(spec, "url"));
  if (!url.ok()) return {false, url.error()};
  int expect = static_cast<int>(parse_long(get(spec, "expect_status", "200"), 100, 599).value_or(200));
  const std::string& u = get(spec, "url");
  Conn c = connect_until(url->host, url->port, deadline, started);
  if (c.fd < 0) return {false, "GET " + u + ": " + c.error};
  std::string host_hdr = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (url->port != 80) host_hdr += ":" + std::to_string(url->port);
  std::string req = "GET " + url->path + " HTTP/1.0\r\nHost: " + host_hdr +
                    "\r\nUser-Agent: poolha-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(c.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{c.fd, POLLOUT, 0};
      if (::poll(&p, 1, ms_until(deadline)) <= 0 && Clock::now() >= deadline) {
        ::close(c.fd);
        return {false, "GET " + u + ": timed out sending the request"};
      }
      continue;
    }
    int e = errno;
    ::close(c.fd);
    return {false, "GET " + u + ": send failed: " + errno_text(e)};
  }
  std::string resp;
  bool eof = false;
  while (resp.find("\r\n") == std::string::npos && resp.size() < 8192 && !eof) {
    pollfd p{c.fd, POLLIN, 0};
    int pr = ::poll(&p, 1, ms_until(deadline));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      ::close(c.fd);
      return {false, "GET " + u + ": no status line within " + std::to_string(ms_since(started)) + " ms"};
    }
    char buf[2048];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) resp.append(buf, static_cast<std::size_t>(n));
    else if (n == 0) eof = true;
    else if (errno != EINTR && errno != EAGAIN) {
      int e = errno;
      ::close(c.fd);
      return {false, "GET " + u + ": recv failed: " + errno_text(e)};
    }
  }
  ::close(c.fd);
  std::string line = resp.substr(0, resp.find("\r\n"));
  int status = 0;
  if (line.compare(0, 7, "HTTP/1.") == 0 && line.size() >= 12 && line[8] == ' ' && std::isdigit(line[9]) &&
      std::isdigit(line[10]) && std::isdigit(line[11]))
    status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status == 0) return {false, "GET " + u + ": malformed status line '" + summarize(line, 80) + "'"};
  std::string detail = "GET " + u + " -> " + std::to_string(status) + " (expect " + std::to_string(expect) + ") in " +
                       std::to_string(ms_since(started)) + " ms";
  return {status == expect, detail};
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

constexpr std::size_t kLogScanBudget = 8u << 20;
constexpr std::size_t kLogMaxLine = 4096;  // longer lines: only the first 4096 bytes are matched
constexpr std::size_t kLogMaxPending = 64u << 10;

struct LogWatch {
  std::mutex mu;
  bool seen = false;
  bool absent = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t offset = 0;
  std::unique_ptr<re2::RE2> re;
};

std::mutex g_log_mu;
std::map<std::string, std::shared_ptr<LogWatch>>& log_watches() {
  static auto* m = new std::map<std::string, std::shared_ptr<LogWatch>>();
  return *m;
}

// Patterns are RE2 (linear time in the line's length, no backtracking), compiled with
// a memory bound, so no pattern can stall the agent's workers.
constexpr std::size_t kMaxPatternBytes = 1024;
constexpr int64_t kPatternMaxMem = 1 << 20;

std::unique_ptr<re2::RE2> compile_pattern(const std::string& pattern, std::string* error) {
  if (pattern.size() > kMaxPatternBytes) {
    *error = "longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    return nullptr;
  }
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(kPatternMaxMem);
  auto re = std::make_unique<re2::RE2>(pattern, o);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

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

CheckOutcome check_log(const CheckSpec& spec, const CheckPolicy& policy, Clock::time_point deadline) {
  const std::string path = get(spec, "path");
  const std::string pattern = get(spec, "pattern");
  const text::Encoding encoding = text::parse_encoding(get(spec, "encoding", "utf-8")).value_or(text::Encoding::Utf8);
  std::shared_ptr<LogWatch> w;
  {
    std::lock_guard<std::mutex> lk(g_log_mu);
    auto& slot = log_watches()[path + '\n' + pattern + '\n' + text::to_string(encoding)];
    if (!slot) slot = std::make_shared<LogWatch>();
    w = slot;
  }
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->re) {
    std::string err;
    w->re = compile_pattern(pattern, &err);
    if (!w->re) return {false, "bad pattern: " + err};
  }
  auto real = allowed_log_file(path, policy.log_dirs);
  if (!real.ok()) return {false, real.error()};
  if (real->empty()) {
    w->seen = true;
    w->absent = true;
    return {true, "log " + path + " absent; nothing to scan"};
  }
  // Nothing but a regular file is opened: a device node (a watchdog, a tape) can act
  // on open. lstat first, then open without following a link, then the same inode.
  struct stat lst {};
  if (::lstat(real->c_str(), &lst) != 0 || !S_ISREG(lst.st_mode))
    return {false, "log " + path + " is not a regular file; refused"};
  int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) return {false, "open log " + path + ": " + errno_text(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
    ::close(fd);
    return {false, "log " + path + " changed while being opened; refused"};
  }
  if (!w->seen) {
    w->seen = true;
    w->absent = false;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->offset = st.st_size;
    ::close(fd);
    return {true, "log " + path + ": watching from offset " + std::to_string(st.st_size)};
  }
  off_t start = w->offset;
  std::string restart;
  if (w->absent) {
    start = 0;
    restart = " (file appeared; read from start)";
  } else if (st.st_dev != w->dev || st.st_ino != w->ino) {
    start = 0;
    restart = " (file replaced; read from start)";
  } else if (st.st_size < start) {
    start = 0;
    restart = " (file truncated; read from start)";
  }
  w->absent = false;
  w->dev = st.st_dev;
  w->ino = st.st_ino;

  std::size_t matches = 0, lines = 0, scanned = 0;
  std::string first_match;
  std::string pending;
  off_t consumed = start;  // offset just past the last processed line
  off_t pos = start;
  bool budget_hit = false, deadline_hit = false;
  char buf[65536];
  auto handle_line = [&](std::string_view line) {
    ++lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kLogMaxLine) line = line.substr(0, kLogMaxLine);
    // Matched as UTF-8 text: a GBK log (encoding: gbk) is decoded first, so a pattern
    // in Chinese matches it; other bytes that are not UTF-8 become U+FFFD.
    const std::string text_line = text::decode_to_utf8(line, encoding);
    if (re2::RE2::PartialMatch(text_line, *w->re)) {
      if (matches++ == 0) first_match = summarize(text_line);
    }
  };
  while (true) {
    if (scanned >= kLogScanBudget) {
      budget_hit = true;
      break;
    }
    if (Clock::now() >= deadline) {
      deadline_hit = true;
      break;
    }
    ssize_t n = ::pread(fd, buf, sizeof buf, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pos += n;
    scanned += static_cast<std::size_t>(n);
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    std::size_t at = 0;
    while (at < chunk.size()) {
      auto nl = chunk.find('\n', at);
      if (nl == std::string_view::npos) {
        pending.append(chunk.substr(at));
        if (pending.size() >= kLogMaxPending) {  // absurdly long line: take it as is
          handle_line(pending);
          consumed += static_cast<off_t>(pending.size());
          pending.clear();
        }
        break;
      }
      if (pending.empty()) {
        handle_line(chunk.substr(at, nl - at));
      } else {
        pending.append(chunk.substr(at, nl - at));
        handle_line(pending);
        pending.clear();
      }
      consumed = pos - static_cast<off_t>(chunk.size() - nl - 1);
      at = nl + 1;
    }
  }
  ::close(fd);
  w->offset = consumed;  // an incomplete last line is read again next time
  std::string detail;
  if (matches > 0) {
    detail = "log " + path + ": " + std::to_string(matches) + " new line(s) match /" + pattern + "/; first: " +
             first_match;
  } else {
    detail = "log " + path + ": no new line matches /" + pattern + "/ (" + std::to_string(lines) + " line(s), " +
             std::to_string(scanned) + " bytes scanned)";
  }
  detail += restart;
  if (budget_hit) detail += "; scan stopped at 8 MiB, continues next call";
  if (deadline_hit) detail += "; scan stopped at timeout, continues next call";
  return {matches == 0, detail};
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
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (left < milliseconds(1)) left = milliseconds(1);
  auto r = run_program(systemctl, {"is-active", unit}, left);
  if (!r.ok()) return {false, "service " + unit + ": " + r.error()};
  if (r->timed_out) return {false, "service " + unit + ": systemctl timed out after " +
                                       std::to_string(r->duration.count()) + " ms"};
  std::string out = summarize(r->output);
  return {r->exit_code == 0, "service " + unit + ": " + (out.empty() ? "(no output)" : out) + " (exit " +
                                 std::to_string(r->exit_code) + ")"};
}

CheckOutcome check_script(const CheckSpec& spec, const CheckPolicy& policy, Clock::time_point deadline) {
  std::string name = get(spec, "name");
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (left < milliseconds(1)) left = milliseconds(1);
  auto r = run_script(policy.script_dir, name, split_ws(get(spec, "args")), {{"POOLHA_CHECK", "1"}}, left);
  if (!r.ok()) return {false, "script " + name + " not run: " + r.error()};
  std::string out = summarize(text::decode_to_utf8(r->output, policy.script_output_encoding));
  if (r->timed_out)
    return {false, "script " + name + " timed out after " + std::to_string(r->duration.count()) + " ms" +
                       (out.empty() ? "" : ": " + out)};
  return {r->exit_code == 0, "script " + name + " exited " + std::to_string(r->exit_code) + " in " +
                                 std::to_string(r->duration.count()) + " ms" + (out.empty() ? "" : ": " + out)};
}

}  // namespace

std::optional<CheckKind> parse_check_kind(const std::string& s) {
  for (const auto& kn : kKindNames)
    if (s == kn.name) return kn.kind;
  return std::nullopt;
}

std::string to_string(CheckKind k) {
  for (const auto& kn : kKindNames)
    if (k == kn.kind) return kn.name;
  return "unknown";
}

Status validate(const CheckSpec& spec, const CheckPolicy& policy) {
  if (spec.timeout < milliseconds(1) || spec.timeout > kMaxTimeout)
    return Status::Error("timeout " + std::to_string(spec.timeout.count()) + " ms for " + to_string(spec.kind) +
                         " check is outside 1..600000 ms");
  switch (spec.kind) {
    case CheckKind::Process: {
      if (Status s = check_allowed(spec, {"name", "cmdline", "min_count"}); !s.ok()) return s;
      const std::string* n = param(spec, "name");
      const std::string* c = param(spec, "cmdline");
      if ((!n || n->empty()) && (!c || c->empty()))
        return Status::Error("process check needs param 'name' or 'cmdline'");
      if (n && (n->empty() || n->find('/') != std::string::npos || has_ctl_or_nul(*n)))
        return Status::Error("param 'name' = '" + *n + "' is not a valid process name");
      if (c && c->empty()) return Status::Error("param 'cmdline' is empty");
      if (const std::string* m = param(spec, "min_count"); m && !parse_long(*m, 1, 1000000))
        return Status::Error("param 'min_count' = '" + *m + "' is not an integer in 1..1000000");
      return Status::Ok();
    }
    case CheckKind::Service: {
      if (Status s = check_allowed(spec, {"unit"}); !s.ok()) return s;
      if (Status s = need(spec, "unit"); !s.ok()) return s;
      const std::string& u = *param(spec, "unit");
      bool ok = u.front() != '-' && u.size() <= 256;
      for (char c : u) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr(":_.@-\\", c));
      if (!ok) return Status::Error("param 'unit' = '" + u + "' is not a valid systemd unit name");
      return Status::Ok();
    }
    case CheckKind::TcpPort: {
      if (Status s = check_allowed(spec, {"host", "port"}); !s.ok()) return s;
      if (Status s = need(spec, "port"); !s.ok()) return s;
      if (!parse_long(get(spec, "port"), 1, 65535))
        return Status::Error("param 'port' = '" + get(spec, "port") + "' is not in 1..65535");
      std::string host = get(spec, "host", "127.0.0.1");
      if (!make_addr(host, 1))
        return Status::Error("param 'host' = '" + host + "' is not an IPv4/IPv6 literal (no DNS lookups)");
      return Status::Ok();
    }
    case CheckKind::Http: {
      if (Status s = check_allowed(spec, {"url", "expect_status"}); !s.ok()) return s;
      if (Status s = need(spec, "url"); !s.ok()) return s;
      if (auto u = parse_url(get(spec, "url")); !u.ok()) return u.status();
      if (const std::string* e = param(spec, "expect_status"); e && !parse_long(*e, 100, 599))
        return Status::Error("param 'expect_status' = '" + *e + "' is not in 100..599");
      return Status::Ok();
    }
    case CheckKind::Cpu:
    case CheckKind::Memory:
      if (Status s = check_allowed(spec, {"max_percent"}); !s.ok()) return s;
      return need_percent(spec);
    case CheckKind::Disk:
      if (Status s = check_allowed(spec, {"path", "max_percent"}); !s.ok()) return s;
      if (Status s = need_abs_path(spec, "path"); !s.ok()) return s;
      return need_percent(spec);
    case CheckKind::NicLink: {
      if (Status s = check_allowed(spec, {"interface"}); !s.ok()) return s;
      if (Status s = need(spec, "interface"); !s.ok()) return s;
      const std::string& i = *param(spec, "interface");
      bool ok = i.size() <= 15 && i != "." && i != "..";
      for (char c : i) ok = ok && c != '/' && !std::isspace(static_cast<unsigned char>(c)) && !has_ctl_or_nul({c});
      if (!ok) return Status::Error("param 'interface' = '" + i + "' is not a valid interface name");
      return Status::Ok();
    }
    case CheckKind::Gateway: {
      if (Status s = check_allowed(spec, {"address"}); !s.ok()) return s;
      if (Status s = need(spec, "address"); !s.ok()) return s;
      in_addr a{};
      if (::inet_pton(AF_INET, get(spec, "address").c_str(), &a) != 1)
        return Status::Error("param 'address' = '" + get(spec, "address") + "' is not an IPv4 address");
      return Status::Ok();
    }
    case CheckKind::LogPattern: {
      if (Status s = check_allowed(spec, {"path", "pattern", "encoding"}); !s.ok()) return s;
      if (Status s = need_abs_path(spec, "path"); !s.ok()) return s;
      if (Status s = need(spec, "pattern"); !s.ok()) return s;
      const std::string& path = *param(spec, "path");
      for (const auto& comp : {std::string("/../"), std::string("/./"), std::string("//")})
        if ((path + "/").find(comp) != std::string::npos)
          return Status::Error("param 'path' = '" + path + "' contains a '" + comp.substr(1, comp.size() - 2) +
                               "' path component");
      if (policy.log_dirs.empty())
        return Status::Error("log_pattern monitors are refused: this host's agent.yaml lists no log_dirs");
      bool inside = false;
      for (const auto& dir : policy.log_dirs) {
        const std::string root = dir == "/" ? "/" : dir + "/";
        inside = inside || (path.size() > root.size() && path.compare(0, root.size(), root) == 0);
      }
      if (!inside) return Status::Error("param 'path' = '" + path + "' is outside this host's log_dirs");
      std::string err;
      if (!compile_pattern(get(spec, "pattern"), &err))
        return Status::Error("param 'pattern' = '" + text::log_safe(get(spec, "pattern"), 64) + "' is not a valid RE2 pattern: " + err);
      if (const std::string* e = param(spec, "encoding"); e && !text::parse_encoding(*e))
        return Status::Error("param 'encoding' = '" + *e + "': expected utf-8 or gbk");
      return Status::Ok();
    }
    case CheckKind::Script: {
      if (Status s = check_allowed(spec, {"name", "args"}); !s.ok()) return s;
      if (Status s = need(spec, "name"); !s.ok()) return s;
      const std::string& n = *param(spec, "name");
      if (n.front() == '/') return Status::Error("param 'name' = '" + n + "' must be relative to the script directory");
      for (const auto& comp : {std::string("/../"), std::string("/./"), std::string("//")})
        if (("/" + n + "/").find(comp) != std::string::npos)
          return Status::Error("param 'name' = '" + n + "' contains a '" + comp.substr(1, comp.size() - 2) +
                               "' path component");
      if (has_ctl_or_nul(n) || has_ctl_or_nul(get(spec, "args")))
        return Status::Error("param 'name' or 'args' contains control characters");
      // Arguments come from the controller: an admin's wrapper that passes "$@" on
      // would run what the controller says (issue 9 §3). Only where agent.yaml allows.
      const auto args = split_ws(get(spec, "args"));
      if (!args.empty() && !policy.script_args)
        return Status::Error("param 'args': script monitors may not take arguments on this host "
                             "(agent.yaml script_monitor_args: false)");
      if (args.size() > 16) return Status::Error("param 'args': at most 16 arguments");
      for (const auto& a : args) {
        bool ok = a.size() <= 128;
        for (char c : a) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._:=@%+,/-", c));
        if (!ok) return Status::Error("param 'args': '" + a + "' is not a plain argument (letters, digits, ._:=@%+,/-)");
      }
      return Status::Ok();
    }
  }
  return Status::Error("unknown check kind");
}

CheckOutcome run_check(const CheckSpec& spec, const CheckPolicy& policy) {
  if (Status s = validate(spec, policy); !s.ok()) return {false, "invalid " + to_string(spec.kind) + " check: " + s.error()};
  const auto started = Clock::now();
  const auto deadline = started + spec.timeout;
  switch (spec.kind) {
    case CheckKind::Process: return check_process(spec, deadline);
    case CheckKind::Service: return check_service(spec, deadline);
    case CheckKind::TcpPort: return check_tcp(spec, deadline, started);
    case CheckKind::Http: return check_http(spec, deadline, started);
    case CheckKind::Cpu: return check_cpu(spec, deadline);
    case CheckKind::Memory: return check_memory(spec);
    case CheckKind::Disk: return check_disk(spec);
    case CheckKind::NicLink: return check_nic(spec);
    case CheckKind::Gateway: return check_gateway(spec);
    case CheckKind::LogPattern: return check_log(spec, policy, deadline);
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
