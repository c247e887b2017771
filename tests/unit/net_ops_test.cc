// Tests for host/linux/net_ops. The pure helpers run anywhere; the rest needs
// root: each test builds two "hosts" as network namespaces (pht-<pid>-<n>-a/b)
// joined by a veth pair (vha <-> vhb), addressed only from 198.18.0.0/15
// (RFC 2544 benchmarking space). Functions under test run inside a namespace
// in a forked child (setns into /var/run/netns/NAME) that reports through a
// pipe. `ip` is used here only to build and inspect the namespaces.
//
// Cleanup: every namespace is registered in a process-wide list and deleted by
// the fixture's TearDown, by the fixture's guard destructor, by a gtest
// Environment at the end, at exit, and on SIGINT/SIGTERM/SIGABRT; deleting a
// namespace deletes its veth end, which deletes the pair.
#include "host/linux/net_ops.h"

#include "host/addresses.h"
#include "host/linux/host_ops_linux.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace poolha::host::linux_net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------ shell helpers (test only)

int sh(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// ------------------------------------------------------------ namespace registry

std::mutex g_ns_mu;
std::set<std::string>& live_namespaces() {
  static auto* s = new std::set<std::string>;
  return *s;
}

void delete_namespace(const std::string& ns) { sh("ip netns del " + ns); }

void delete_all_namespaces() {
  std::set<std::string> copy;
  {
    std::lock_guard<std::mutex> lock(g_ns_mu);
    copy.swap(live_namespaces());
  }
  for (const auto& ns : copy) delete_namespace(ns);
}

void on_fatal_signal(int sig) {
  delete_all_namespaces();  // not async-signal-safe, but this process is about to die anyway
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class CleanupEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::atexit(delete_all_namespaces);
    for (int sig : {SIGINT, SIGTERM, SIGABRT, SIGSEGV, SIGHUP}) ::signal(sig, on_fatal_signal);
  }
  void TearDown() override { delete_all_namespaces(); }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new CleanupEnvironment);

// ------------------------------------------------------------ running code inside a namespace

struct Child {
  pid_t pid = -1;
  int fd = -1;
};

// Starts fn() in a child process inside namespace `ns`; its return value comes
// back through a pipe.
Child start_in_ns(const std::string& ns, const std::function<std::string()>& fn) {
  int p[2];
  if (::pipe(p) != 0) return {};
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // The child must never run the parent's namespace cleanup.
    for (int sig : {SIGINT, SIGTERM, SIGABRT, SIGSEGV, SIGHUP}) ::signal(sig, SIG_DFL);
    ::close(p[0]);
    std::string result;
    int nsfd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) {
      result = "SETNS-FAILED";
    } else {
      result = fn();
    }
    size_t off = 0;
    while (off < result.size()) {
      ssize_t n = ::write(p[1], result.data() + off, result.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  return {pid, p[0]};
}

std::string finish(Child c) {
  if (c.pid < 0) return "FORK-FAILED";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(c.fd);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  if (!WIFEXITED(status)) out += " [child died]";
  return out;
}

std::string in_ns(const std::string& ns, const std::function<std::string()>& fn) {
  return finish(start_in_ns(ns, fn));
}

std::string status_text(const Status& st) { return st.ok() ? "OK" : "ERR " + st.error(); }

std::string probe_text(const Expected<ProbeResult>& r, long ms) {
  if (!r.ok()) return "ERR " + r.error();
  std::ostringstream os;
  os << "conflict=" << (r->conflict ? 1 : 0) << " mac=" << r->conflicting_mac << " ms=" << ms;
  return os.str();
}

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

long field_ms(const std::string& s) {
  auto pos = s.find("ms=");
  return pos == std::string::npos ? -1 : std::stol(s.substr(pos + 3));
}

// ------------------------------------------------------------ fixture

constexpr const char* kAddrA = "198.18.200.1/24";
constexpr const char* kAddrB = "198.18.200.2/24";

class TwoHostTest : public ::testing::Test {
 protected:
  // Deletes this test's namespaces however the test ends.
  struct Guard {
    std::vector<std::string> names;
    void release() {
      for (const auto& ns : names) {
        delete_namespace(ns);
        std::lock_guard<std::mutex> lock(g_ns_mu);
        live_namespaces().erase(ns);
      }
      names.clear();
    }
    ~Guard() { release(); }
  };

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    static int counter = 0;
    std::string base = "pht-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    a_ = base + "-a";
    b_ = base + "-b";
    for (const auto& ns : {a_, b_}) {
      {
        std::lock_guard<std::mutex> lock(g_ns_mu);
        live_namespaces().insert(ns);
      }
      guard_.names.push_back(ns);
      ASSERT_EQ(sh("ip netns add " + ns), 0) << "ip netns add " << ns;
    }
    ASSERT_EQ(sh("ip link add vha netns " + a_ + " type veth peer name vhb netns " + b_), 0);
    // No automatic IPv6 link-local address: the kernel then sends no DAD/RS
    // traffic of its own on the pair.
    sh("ip -n " + a_ + " link set vha addrgenmode none");
    sh("ip -n " + b_ + " link set vhb addrgenmode none");
    ASSERT_EQ(sh("ip -n " + a_ + " addr add " + kAddrA + " dev vha"), 0);
    ASSERT_EQ(sh("ip -n " + b_ + " addr add " + kAddrB + " dev vhb"), 0);
    ASSERT_EQ(sh("ip -n " + a_ + " link set vha up"), 0);
    ASSERT_EQ(sh("ip -n " + b_ + " link set vhb up"), 0);
    sh("ip -n " + a_ + " link set lo up");
    sh("ip -n " + b_ + " link set lo up");
    auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline &&
           !(contains(sh_out("ip -n " + a_ + " link show vha"), "LOWER_UP") &&
             contains(sh_out("ip -n " + b_ + " link show vhb"), "LOWER_UP")))
      std::this_thread::sleep_for(10ms);
    mac_a_ = link_mac(a_, "vha");
    mac_b_ = link_mac(b_, "vhb");
    ASSERT_FALSE(mac_a_.empty());
    ASSERT_FALSE(mac_b_.empty());
  }

  void TearDown() override { guard_.release(); }

  static std::string link_mac(const std::string& ns, const std::string& dev) {
    std::string out = sh_out("ip -n " + ns + " link show " + dev);
    auto pos = out.find("link/ether ");
    return pos == std::string::npos ? "" : out.substr(pos + 11, 17);
  }

  std::string a_, b_, mac_a_, mac_b_;
  Guard guard_;
};

// ------------------------------------------------------------ pure helpers


// The kernel's view through the OS seam the agent and the controller VIP use.
bool seam_has(const std::string& ifname, const std::string& cidr) {
  auto ifs = host::LinuxHostOps().list_interfaces();
  return ifs.ok() && host::has_address(*ifs, ifname, cidr);
}
std::string seam_subnet(const std::string& cidr) {
  auto ifs = host::LinuxHostOps().list_interfaces();
  return ifs.ok() ? host::interface_for_subnet(*ifs, cidr) : "";
}

// ------------------------------------------------------------ against the kernel

TEST_F(TwoHostTest, ListInterfacesSeesVethMacStateAndAddresses) {
  std::string r = in_ns(a_, [] {
    auto ifs = list_interfaces();
    if (!ifs.ok()) return "ERR " + ifs.error();
    std::string s;
    for (const auto& i : *ifs) {
      s += i.name + " idx=" + std::to_string(i.index) + " mac=" + i.mac +
           " up=" + std::to_string(i.up) + " carrier=" + std::to_string(i.carrier) + " addrs=";
      for (const auto& a : i.addresses) s += a + ",";
      s += "\n";
    }
    auto seen = host::LinuxHostOps().list_interfaces();  // the seam's view of the same links
    s += "subnet=" + (seen.ok() ? host::interface_for_subnet(*seen, "198.18.200.99/24") : "") + "\n";
    s += "other=" + (seen.ok() ? host::interface_for_subnet(*seen, "198.19.1.1/24") : "") + "\n";
    return s;
  });
  std::cout << "[ list in " << a_ << " ]\n" << r;
  EXPECT_TRUE(contains(r, "lo idx=1 mac= up=1")) << r;
  EXPECT_TRUE(contains(r, "127.0.0.1/8")) << r;
  EXPECT_TRUE(contains(r, "vha idx=")) << r;
  EXPECT_TRUE(contains(r, "mac=" + mac_a_ + " up=1 carrier=1 addrs=198.18.200.1/24,")) << r;
  EXPECT_TRUE(contains(r, "subnet=vha\n")) << r;
  EXPECT_TRUE(contains(r, "other=\n")) << r;
}

TEST_F(TwoHostTest, AddRemoveV4IsIdempotentAndVisible) {
  const std::string vip = "198.18.200.10/24";
  std::string r = in_ns(a_, [&] {
    std::string s;
    s += "add1=" + status_text(add_address("vha", vip)) + "\n";
    s += "add2=" + status_text(add_address("vha", vip)) + "\n";
    auto ifs = list_interfaces();
    s += "has=" + std::to_string(seam_has("vha", vip)) + "\n";
    return s;
  });
  EXPECT_TRUE(contains(r, "add1=OK\n")) << r;
  EXPECT_TRUE(contains(r, "add2=OK\n")) << r;
  EXPECT_TRUE(contains(r, "has=1\n")) << r;
  std::string shown = sh_out("ip -n " + a_ + " -4 addr show dev vha");
  EXPECT_TRUE(contains(shown, "inet 198.18.200.10/24 brd 198.18.200.255 scope global secondary noprefixroute vha"))
      << shown;

  r = in_ns(a_, [&] {
    std::string s;
    s += "del1=" + status_text(remove_address("vha", vip)) + "\n";
    s += "del2=" + status_text(remove_address("vha", vip)) + "\n";
    auto ifs = list_interfaces();
    s += "has=" + std::to_string(seam_has("vha", vip)) + "\n";
    s += "primary=" + std::to_string(seam_has("vha", kAddrA)) + "\n";
    return s;
  });
  EXPECT_TRUE(contains(r, "del1=OK\n")) << r;
  EXPECT_TRUE(contains(r, "del2=OK\n")) << r;
  EXPECT_TRUE(contains(r, "has=0\n")) << r;
  EXPECT_TRUE(contains(r, "primary=1\n")) << r;
  EXPECT_FALSE(contains(sh_out("ip -n " + a_ + " -4 addr show dev vha"), "198.18.200.10")) << r;
}

// Issue 9 §2: an address poolha adds never installs a connected route, so even a VIP
// with an absurd prefix (which the agent's policy refuses before it gets here) cannot
// capture the host's routing table.
TEST_F(TwoHostTest, AddedAddressInstallsNoConnectedRoute) {
  const std::string before = sh_out("ip -n " + a_ + " -4 route show");
  std::string r = in_ns(a_, [&] { return status_text(add_address("vha", "198.18.201.10/1")) + "\n"; });
  EXPECT_TRUE(contains(r, "OK")) << r;
  const std::string routes = sh_out("ip -n " + a_ + " -4 route show");
  EXPECT_EQ(routes, before) << "adding 198.18.201.10/1 changed the routes:\n" << routes;
  EXPECT_FALSE(contains(routes, "128.0.0.0/1")) << routes;
  r = in_ns(a_, [&] { return status_text(remove_address("vha", "198.18.201.10/1")) + "\n"; });
  EXPECT_TRUE(contains(r, "OK")) << r;
}

TEST_F(TwoHostTest, AddRemoveV6IsIdempotentAndUsableAtOnce) {
  const std::string vip6 = "2001:db8:c612:c800::10/64";  // documentation prefix; sends nothing
  std::string r = in_ns(a_, [&] {
    std::string s;
    s += "add1=" + status_text(add_address("vha", vip6)) + "\n";
    s += "add2=" + status_text(add_address("vha", vip6)) + "\n";
    auto ifs = list_interfaces();
    s += "has=" + std::to_string(seam_has("vha", vip6)) + "\n";
    auto seen = host::LinuxHostOps().list_interfaces();
    s += "subnet=" + (seen.ok() ? host::interface_for_subnet(*seen, "2001:db8:c612:c800::99/64") : "") + "\n";
    return s;
  });
  EXPECT_TRUE(contains(r, "add1=OK\n")) << r;
  EXPECT_TRUE(contains(r, "add2=OK\n")) << r;
  EXPECT_TRUE(contains(r, "has=1\n")) << r;
  EXPECT_TRUE(contains(r, "subnet=vha\n")) << r;
  std::string shown = sh_out("ip -n " + a_ + " -6 addr show dev vha");
  EXPECT_TRUE(contains(shown, "inet6 2001:db8:c612:c800::10/64")) << shown;
  EXPECT_TRUE(contains(shown, "nodad")) << shown;
  EXPECT_FALSE(contains(shown, "tentative")) << shown;

  r = in_ns(a_, [&] {
    std::string s;
    s += "del1=" + status_text(remove_address("vha", vip6)) + "\n";
    s += "del2=" + status_text(remove_address("vha", vip6)) + "\n";
    auto ifs = list_interfaces();
    s += "has=" + std::to_string(seam_has("vha", vip6)) + "\n";
    return s;
  });
  EXPECT_TRUE(contains(r, "del1=OK\n")) << r;
  EXPECT_TRUE(contains(r, "del2=OK\n")) << r;
  EXPECT_TRUE(contains(r, "has=0\n")) << r;
  EXPECT_FALSE(contains(sh_out("ip -n " + a_ + " -6 addr show dev vha"), "c800::10")) << r;
}

TEST_F(TwoHostTest, BadInputsGiveClearErrors) {
  std::string r = in_ns(a_, [] {
    std::string s;
    s += "a=" + status_text(add_address("nosuch0", "198.18.200.10/24")) + "\n";
    s += "b=" + status_text(add_address("vha", "198.18.200.10")) + "\n";
    s += "c=" + status_text(remove_address("nosuch0", "198.18.200.10/24")) + "\n";
    s += "d=" + status_text(add_address("", "198.18.200.10/24")) + "\n";
    s += "e=" + status_text(add_address("waytoolonginterfacename", "198.18.200.10/24")) + "\n";
    auto p = arp_probe("nosuch0", "198.18.200.10", 1, 10ms, 10ms);
    s += "f=" + (p.ok() ? std::string("OK") : "ERR " + p.error()) + "\n";
    p = arp_probe("vha", "198.18.200.300", 1, 10ms, 10ms);
    s += "g=" + (p.ok() ? std::string("OK") : "ERR " + p.error()) + "\n";
    p = arp_probe("vha", "198.18.200.10", 0, 10ms, 10ms);
    s += "h=" + (p.ok() ? std::string("OK") : "ERR " + p.error()) + "\n";
    s += "i=" + status_text(announce("nosuch0", "198.18.200.10", 1, 10ms)) + "\n";
    s += "j=" + status_text(announce("nosuch0", "2001:db8::1", 1, 10ms)) + "\n";
    s += "k=" + status_text(announce("vha", "not-an-ip", 1, 10ms)) + "\n";
    s += "l=" + status_text(announce("lo", "198.18.200.10", 1, 10ms)) + "\n";
    return s;
  });
  std::cout << r;
  EXPECT_TRUE(contains(r, "a=ERR add 198.18.200.10/24 on nosuch0: no such interface\n")) << r;
  EXPECT_TRUE(contains(r, "b=ERR add 198.18.200.10 on vha: malformed address")) << r;
  EXPECT_TRUE(contains(r, "c=ERR remove 198.18.200.10/24 on nosuch0: no such interface\n")) << r;
  EXPECT_TRUE(contains(r, "d=ERR add 198.18.200.10/24 on : invalid interface name")) << r;
  EXPECT_TRUE(contains(r, "e=ERR add 198.18.200.10/24 on waytoolonginterfacename: invalid")) << r;
  EXPECT_TRUE(contains(r, "f=ERR ARP probe 198.18.200.10 on nosuch0: no such interface")) << r;
  EXPECT_TRUE(contains(r, "g=ERR ARP probe 198.18.200.300 on vha: malformed address")) << r;
  EXPECT_TRUE(contains(r, "h=ERR ARP probe 198.18.200.10 on vha: need probes >= 1")) << r;
  EXPECT_TRUE(contains(r, "i=ERR announce 198.18.200.10 on nosuch0: no such interface")) << r;
  EXPECT_TRUE(contains(r, "j=ERR announce 2001:db8::1 on nosuch0: no such interface")) << r;
  EXPECT_TRUE(contains(r, "k=ERR announce not-an-ip on vha: malformed address")) << r;
  EXPECT_TRUE(contains(r, "l=ERR announce 198.18.200.10 on lo: not an Ethernet interface")) << r;
}

TEST_F(TwoHostTest, ProbeFindsNoConflictForAFreeAddress) {
  std::string r = in_ns(a_, [] {
    auto t0 = Clock::now();
    auto p = arp_probe("vha", "198.18.200.77", 2, 50ms, 100ms);
    return probe_text(p, elapsed_ms(t0));
  });
  std::cout << "[ free-address probe (2 probes, 50 ms apart, 100 ms wait) ] " << r << "\n";
  EXPECT_TRUE(contains(r, "conflict=0 mac= ")) << r;
  long ms = field_ms(r);
  EXPECT_GE(ms, 150) << r;
  EXPECT_LT(ms, 400) << r;
}

TEST_F(TwoHostTest, ProbeOfIPv6SendsNothingAndReportsNoConflict) {
  std::string r = in_ns(a_, [] {
    auto t0 = Clock::now();
    auto p = arp_probe("vha", "2001:db8::10", 2, 50ms, 100ms);
    return probe_text(p, elapsed_ms(t0));
  });
  EXPECT_TRUE(contains(r, "conflict=0")) << r;
  EXPECT_LT(field_ms(r), 50) << r;
}

TEST_F(TwoHostTest, ProbeFindsConflictWhenPeerHoldsTheAddress) {
  ASSERT_EQ(sh("ip -n " + b_ + " addr add 198.18.200.50/24 dev vhb"), 0);
  std::string r = in_ns(a_, [] {
    auto t0 = Clock::now();
    auto p = arp_probe("vha", "198.18.200.50/24", 2, 50ms, 100ms);
    return probe_text(p, elapsed_ms(t0));
  });
  std::cout << "[ conflict probe; peer " << mac_b_ << " holds the address ] " << r << "\n";
  EXPECT_TRUE(contains(r, "conflict=1 mac=" + mac_b_ + " ")) << r;
  EXPECT_LT(field_ms(r), 150) << "should return as soon as the peer answers: " << r;
  // The probe must not have taught the peer anything about 198.18.200.50 nor
  // put an entry for our MAC under 0.0.0.0 (sender IP of a probe is 0.0.0.0).
  std::string neigh = sh_out("ip -n " + b_ + " neigh show dev vhb");
  EXPECT_FALSE(contains(neigh, "198.18.200.50")) << neigh;
}

TEST_F(TwoHostTest, AnotherHostsProbeForTheSameAddressIsAConflict) {
  // A probes with a long wait; 100 ms in, B sends one probe for the same
  // address (sender IP 0.0.0.0). A must treat it as a conflict.
  Child ca = start_in_ns(a_, [] {
    auto t0 = Clock::now();
    auto p = arp_probe("vha", "198.18.200.60", 1, 0ms, 800ms);
    return probe_text(p, elapsed_ms(t0));
  });
  std::this_thread::sleep_for(100ms);
  std::string rb = in_ns(b_, [] {
    auto t0 = Clock::now();
    auto p = arp_probe("vhb", "198.18.200.60", 1, 0ms, 0ms);
    return probe_text(p, elapsed_ms(t0));
  });
  std::string ra = finish(ca);
  std::cout << "[ probe vs. late single probe ] a: " << ra << " | b: " << rb << "\n";
  EXPECT_TRUE(contains(ra, "conflict=1 mac=" + mac_b_)) << ra;
  long ms = field_ms(ra);
  EXPECT_GE(ms, 50) << ra;
  EXPECT_LT(ms, 700) << "should stop at the other probe, not at the deadline: " << ra;
  EXPECT_TRUE(contains(rb, "conflict=0")) << rb;  // A's probe came before B listened
}

TEST_F(TwoHostTest, SimultaneousProbesMakeAtLeastOneSideBackOff) {
  // Whichever host opens its socket first hears the other's probe, so at least
  // one side reports a conflict (the first to hear stops probing, so the other
  // may not hear a second probe).
  auto probe_on = [](std::string dev) {
    return [dev] {
      auto t0 = Clock::now();
      auto p = arp_probe(dev, "198.18.200.61", 3, 100ms, 200ms);
      return probe_text(p, elapsed_ms(t0));
    };
  };
  Child ca = start_in_ns(a_, probe_on("vha"));
  Child cb = start_in_ns(b_, probe_on("vhb"));
  std::string ra = finish(ca), rb = finish(cb);
  std::cout << "[ simultaneous probes ] a: " << ra << " | b: " << rb << "\n";
  EXPECT_TRUE(contains(ra, "conflict=1 mac=" + mac_b_) || contains(rb, "conflict=1 mac=" + mac_a_))
      << ra << " | " << rb;
  EXPECT_FALSE(contains(ra, "ERR")) << ra;
  EXPECT_FALSE(contains(rb, "ERR")) << rb;
}

TEST_F(TwoHostTest, AnnounceUpdatesPeerNeighbourTable) {
  const std::string vip = "198.18.200.30";
  ASSERT_EQ(sh("ip -n " + b_ + " neigh replace " + vip + " lladdr 02:00:5e:00:00:99 dev vhb nud stale"),
            0);
  std::string before = sh_out("ip -n " + b_ + " neigh show " + vip + " dev vhb");
  ASSERT_TRUE(contains(before, "02:00:5e:00:00:99")) << before;

  std::string r = in_ns(a_, [&] {
    std::string s = "add=" + status_text(add_address("vha", vip + "/24")) + "\n";
    auto t0 = Clock::now();
    Status st = announce("vha", vip + "/24", 3, 20ms);
    s += "announce=" + status_text(st) + " ms=" + std::to_string(elapsed_ms(t0)) + "\n";
    return s;
  });
  EXPECT_TRUE(contains(r, "add=OK\n")) << r;
  EXPECT_TRUE(contains(r, "announce=OK")) << r;

  auto t0 = Clock::now();
  std::string after;
  while (elapsed_ms(t0) < 1000) {
    after = sh_out("ip -n " + b_ + " neigh show " + vip + " dev vhb");
    if (contains(after, mac_a_)) break;
    std::this_thread::sleep_for(10ms);
  }
  std::cout << "[ announce 3x20ms ] " << r << "  peer before: " << before
            << "  peer after:  " << after;
  EXPECT_TRUE(contains(after, "lladdr " + mac_a_)) << after;
  EXPECT_FALSE(contains(after, "02:00:5e:00:00:99")) << after;
  EXPECT_GE(field_ms(r), 40) << r;
}

TEST_F(TwoHostTest, FullTakeoverSequenceWithTimings) {
  // What the agent does on a takeover: choose the NIC, probe, add, announce.
  const std::string vip = "198.18.200.40/24";
  std::string r = in_ns(a_, [&] {
    std::ostringstream os;
    auto t0 = Clock::now();
    auto ifs = list_interfaces();
    if (!ifs.ok()) return "ERR " + ifs.error();
    std::string nic = seam_subnet(vip);
    auto t1 = Clock::now();
    auto p = arp_probe(nic, vip, 2, 50ms, 100ms);
    if (!p.ok()) return "ERR " + p.error();
    auto t2 = Clock::now();
    Status add = add_address(nic, vip);
    auto t3 = Clock::now();
    Status ann = announce(nic, vip, 1, 0ms);
    auto t4 = Clock::now();
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    os << "nic=" << nic << " conflict=" << p->conflict << " add=" << status_text(add)
       << " announce=" << status_text(ann) << " | list+choose " << ms(t0, t1) << " ms, probe "
       << ms(t1, t2) << " ms, add " << ms(t2, t3) << " ms, announce " << ms(t3, t4)
       << " ms, total " << ms(t0, t4) << " ms";
    return os.str();
  });
  std::cout << "[ takeover ] " << r << "\n";
  EXPECT_TRUE(contains(r, "nic=vha conflict=0 add=OK announce=OK")) << r;
  EXPECT_TRUE(contains(sh_out("ip -n " + a_ + " -4 addr show dev vha"), "198.18.200.40/24"));
  // A second would-be holder (the peer) now finds the VIP taken, by our MAC.
  std::string rb = in_ns(b_, [&] {
    auto t0 = Clock::now();
    auto p = arp_probe("vhb", vip, 2, 50ms, 100ms);
    return probe_text(p, elapsed_ms(t0));
  });
  std::cout << "[ peer probes the held VIP ] " << rb << "\n";
  EXPECT_TRUE(contains(rb, "conflict=1 mac=" + mac_a_)) << rb;
}

}  // namespace
}  // namespace poolha::host::linux_net
