#include "host/linux/net_ops.h"

// <net/if.h> must precede the <linux/...> headers (see linux/libc-compat.h).
#include <net/if.h>

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <ctime>
#include <thread>

#include "common/net_address.h"

namespace poolha::host::linux_net {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kNetlinkTimeoutMs = 3000;  // receive timeout for every netlink socket
constexpr int kPacketTimeoutMs = 1000;   // SO_RCVTIMEO for packet/ICMPv6 sockets (poll bounds the rest)

std::string errno_text(int err) { return std::strerror(err); }

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

void set_recv_timeout(int fd, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// ---------------------------------------------------------------- addresses

using Addr = net::IpAddress;  // common/net_address.h: the one address parser

std::string format_mac(const uint8_t* p, size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ':';
    s += hex[p[i] >> 4];
    s += hex[p[i] & 0xf];
  }
  return s;
}

// Resolves an interface name in the current namespace; 0 and *err on failure.
int interface_index(const std::string& ifname, std::string* err) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('/') != std::string::npos) {
    *err = "invalid interface name \"" + ifname + "\"";
    return 0;
  }
  unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) {
    *err = "no such interface";
    return 0;
  }
  return static_cast<int>(idx);
}

// ---------------------------------------------------------------- netlink

// A NETLINK_ROUTE socket that sends one request at a time and reads the
// replies belonging to it (matched by sequence number).
class Netlink {
 public:
  Status open() {
    fd_ = std::make_unique<Fd>(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd_->valid()) return Status::Error("netlink: socket: " + errno_text(errno));
    set_recv_timeout(fd_->get(), kNetlinkTimeoutMs);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd_->get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      return Status::Error("netlink: bind: " + errno_text(errno));
    return Status::Ok();
  }

  // Sends a request with NLM_F_ACK and waits for its NLMSG_ERROR. Returns 0 on
  // success, the positive errno the kernel reported, or -1 with *err set on a
  // transport failure.
  int transact(nlmsghdr* req, std::string* err) {
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    req->nlmsg_seq = ++seq_;
    if (!send(req, err)) return -1;
    int result = -1;
    bool done = false;
    auto st = receive([&](const nlmsghdr* h) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        result = -e->error;
        done = true;
      }
      return done;
    });
    if (!st.ok()) {
      *err = st.error();
      return -1;
    }
    return result;
  }

  // Sends a dump request and calls on_msg for every reply until NLMSG_DONE.
  // *interrupted is set when the kernel flags the dump as inconsistent.
  template <class F>
  Status dump(nlmsghdr* req, F on_msg, bool* interrupted) {
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
    req->nlmsg_seq = ++seq_;
    std::string err;
    if (!send(req, &err)) return Status::Error(err);
    Status failure = Status::Ok();
    *interrupted = false;
    auto st = receive([&](const nlmsghdr* h) {
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) failure = Status::Error("netlink: " + errno_text(-e->error));
        return true;
      }
      on_msg(h);
      return false;
    });
    if (!st.ok()) return st;
    return failure;
  }

 private:
  bool send(nlmsghdr* req, std::string* err) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n = ::sendto(fd_->get(), req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                         sizeof kernel);
    if (n != static_cast<ssize_t>(req->nlmsg_len)) {
      *err = "netlink: send: " + (n < 0 ? errno_text(errno) : std::string("short write"));
      return false;
    }
    return true;
  }

  // Reads messages for the current sequence number until handler returns true.
  template <class F>
  Status receive(F handler) {
    alignas(nlmsghdr) static thread_local char buf[64 * 1024];
    for (;;) {
      sockaddr_nl from{};
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      ssize_t n = ::recvmsg(fd_->get(), &msg, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return Status::Error("netlink: no reply within " + std::to_string(kNetlinkTimeoutMs) +
                               " ms");
        return Status::Error("netlink: recv: " + errno_text(errno));
      }
      if (msg.msg_flags & MSG_TRUNC) return Status::Error("netlink: reply truncated");
      if (from.nl_pid != 0) continue;  // not from the kernel
      int len = static_cast<int>(n);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"  // the kernel's NLMSG_OK compares __u32 with int
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_seq != seq_) continue;  // stale reply to an earlier request
        if (handler(h)) return Status::Ok();
      }
#pragma GCC diagnostic pop
    }
  }

  std::unique_ptr<Fd> fd_;
  uint32_t seq_ = static_cast<uint32_t>(::time(nullptr));
};

// A netlink request with room for attributes.
struct AddrRequest {
  nlmsghdr hdr;
  ifaddrmsg ifa;
  char attrs[256];
};

void add_attr(nlmsghdr* h, size_t cap, uint16_t type, const void* data, size_t len) {
  size_t rta_len = RTA_LENGTH(len);
  if (NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta_len) > cap) return;  // cannot happen: fixed sizes
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(h) + NLMSG_ALIGN(h->nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = static_cast<uint16_t>(rta_len);
  if (len) std::memcpy(RTA_DATA(rta), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta_len);
}

// Builds RTM_NEWADDR / RTM_DELADDR for `addr/prefix` on interface `index`. A new
// address never gets a connected route (IFA_F_NOPREFIXROUTE): the host's own address
// in that subnet already has one, and a VIP with a wide prefix (x.x.x.x/1) must not
// capture half of the routing table (issue 9 §2).
void build_addr_request(AddrRequest* r, uint16_t type, int index, const Addr& addr, int prefix) {
  std::memset(r, 0, sizeof *r);
  r->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  r->hdr.nlmsg_type = type;
  r->ifa.ifa_family = addr.v6 ? AF_INET6 : AF_INET;
  r->ifa.ifa_prefixlen = static_cast<uint8_t>(prefix);
  r->ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  r->ifa.ifa_index = static_cast<uint32_t>(index);
  if (!addr.v6) {
    add_attr(&r->hdr, sizeof *r, IFA_LOCAL, addr.bytes.data(), 4);
    add_attr(&r->hdr, sizeof *r, IFA_ADDRESS, addr.bytes.data(), 4);
    if (type == RTM_NEWADDR && prefix < 31) {
      uint32_t a;
      std::memcpy(&a, addr.bytes.data(), 4);
      uint32_t host_mask = prefix == 0 ? 0xffffffffu : ((1u << (32 - prefix)) - 1);
      uint32_t brd = a | htonl(host_mask);
      add_attr(&r->hdr, sizeof *r, IFA_BROADCAST, &brd, 4);
    }
    if (type == RTM_NEWADDR) {
      uint32_t flags = IFA_F_NOPREFIXROUTE;
      add_attr(&r->hdr, sizeof *r, IFA_FLAGS, &flags, sizeof flags);
    }
  } else {
    add_attr(&r->hdr, sizeof *r, IFA_ADDRESS, addr.bytes.data(), 16);
    if (type == RTM_NEWADDR) {
      r->ifa.ifa_flags = IFA_F_NODAD;
      uint32_t flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE;
      add_attr(&r->hdr, sizeof *r, IFA_FLAGS, &flags, sizeof flags);
    }
  }
}

// Shared body of add_address / remove_address.
Status change_address(bool add, const std::string& ifname, const std::string& cidr) {
  const std::string what = std::string(add ? "add " : "remove ") + cidr + " on " + ifname;
  const auto parsed = net::parse_cidr(cidr);
  if (!parsed) return Status::Error(what + ": malformed address (want a.b.c.d/n or x::y/n)");
  const Addr addr = parsed->address;
  const int prefix = parsed->prefix;
  std::string err;
  int index = interface_index(ifname, &err);
  if (index == 0) return Status::Error(what + ": " + err);

  Netlink nl;
  if (auto st = nl.open(); !st.ok()) return Status::Error(what + ": " + st.error());
  AddrRequest req;
  build_addr_request(&req, add ? RTM_NEWADDR : RTM_DELADDR, index, addr, prefix);
  if (add) req.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  int rc = nl.transact(&req.hdr, &err);
  if (rc < 0) return Status::Error(what + ": " + err);
  if (rc == 0) return Status::Ok();
  if (add && rc == EEXIST) return Status::Ok();                 // already there
  if (!add && rc == EADDRNOTAVAIL) return Status::Ok();         // already gone
  return Status::Error(what + ": netlink: " + errno_text(rc));
}

// ---------------------------------------------------------------- packets

struct LinkHw {
  int index = 0;
  std::array<uint8_t, 6> mac{};
};

// Index and Ethernet MAC of `ifname`, via SIOCGIFHWADDR on socket `fd`.
Status link_hw(int fd, const std::string& ifname, LinkHw* out) {
  std::string err;
  out->index = interface_index(ifname, &err);
  if (out->index == 0) return Status::Error(err);
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (::ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
    return Status::Error("read hardware address: " + errno_text(errno));
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
    return Status::Error("not an Ethernet interface (hardware type " +
                         std::to_string(ifr.ifr_hwaddr.sa_family) + ")");
  std::memcpy(out->mac.data(), ifr.ifr_hwaddr.sa_data, 6);
  return Status::Ok();
}

// ARP payload for Ethernet/IPv4 (RFC 826), as carried by a SOCK_DGRAM packet socket.
struct __attribute__((packed)) ArpPacket {
  uint16_t htype;
  uint16_t ptype;
  uint8_t hlen;
  uint8_t plen;
  uint16_t op;
  uint8_t sha[6];
  uint8_t spa[4];
  uint8_t tha[6];
  uint8_t tpa[4];
};
static_assert(sizeof(ArpPacket) == 28);

ArpPacket make_arp_request(const LinkHw& hw, const uint8_t* sender_ip, const uint8_t* target_ip) {
  ArpPacket p{};
  p.htype = htons(ARPHRD_ETHER);
  p.ptype = htons(ETH_P_IP);
  p.hlen = 6;
  p.plen = 4;
  p.op = htons(ARPOP_REQUEST);
  std::memcpy(p.sha, hw.mac.data(), 6);
  std::memcpy(p.spa, sender_ip, 4);
  std::memset(p.tha, 0, 6);
  std::memcpy(p.tpa, target_ip, 4);
  return p;
}

// Opens an AF_PACKET/SOCK_DGRAM ARP socket bound to the interface.
Status open_arp_socket(const std::string& ifname, std::unique_ptr<Fd>* fd, LinkHw* hw) {
  // Protocol 0 at creation: the socket receives nothing until bind() attaches
  // it to ETH_P_ARP on this interface only (and bind then need not unhook a
  // live socket, which costs a synchronize_net()).
  *fd = std::make_unique<Fd>(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!(*fd)->valid()) return Status::Error("packet socket: " + errno_text(errno));
  set_recv_timeout((*fd)->get(), kPacketTimeoutMs);
  if (auto st = link_hw((*fd)->get(), ifname, hw); !st.ok()) return st;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = hw->index;
  if (::bind((*fd)->get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
    return Status::Error("bind packet socket: " + errno_text(errno));
  return Status::Ok();
}

Status send_arp_broadcast(int fd, const LinkHw& hw, const ArpPacket& p) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = hw.index;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  ssize_t n = ::sendto(fd, &p, sizeof p, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (n != static_cast<ssize_t>(sizeof p))
    return Status::Error("send ARP: " + (n < 0 ? errno_text(errno) : std::string("short write")));
  return Status::Ok();
}

// Reads ARP packets until `deadline`; true (and *mac) on a conflict for `ip`.
Expected<bool> watch_for_conflict(int fd, const LinkHw& hw, const uint8_t* ip,
                                  Clock::time_point deadline, std::string* mac) {
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - now).count() + 1;
    pollfd pfd{fd, POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return Expected<bool>::Error("poll: " + errno_text(errno));
    }
    if (pr == 0) continue;  // re-check the deadline
    ArpPacket p{};
    sockaddr_ll from{};
    socklen_t fromlen = sizeof from;
    ssize_t n = ::recvfrom(fd, &p, sizeof p, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
                           &fromlen);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return Expected<bool>::Error("recv ARP: " + errno_text(errno));
    }
    if (n < static_cast<ssize_t>(sizeof p)) continue;
    if (from.sll_pkttype == PACKET_OUTGOING) continue;  // our own frames
    if (ntohs(p.htype) != ARPHRD_ETHER || ntohs(p.ptype) != ETH_P_IP || p.hlen != 6 || p.plen != 4)
      continue;
    if (std::memcmp(p.sha, hw.mac.data(), 6) == 0) continue;  // from us
    static const uint8_t zero[4] = {0, 0, 0, 0};
    bool sender_is_ip = std::memcmp(p.spa, ip, 4) == 0;
    bool probe_for_ip = ntohs(p.op) == ARPOP_REQUEST && std::memcmp(p.spa, zero, 4) == 0 &&
                        std::memcmp(p.tpa, ip, 4) == 0;
    if (sender_is_ip || probe_for_ip) {
      *mac = format_mac(p.sha, 6);
      return true;
    }
  }
}

// Sleeps until `until` (steady clock).
void sleep_until(Clock::time_point until) { std::this_thread::sleep_until(until); }

Status announce_v4(const std::string& ifname, const Addr& ip, int count, milliseconds interval) {
  std::unique_ptr<Fd> fd;
  LinkHw hw;
  if (auto st = open_arp_socket(ifname, &fd, &hw); !st.ok()) return st;
  ArpPacket p = make_arp_request(hw, ip.bytes.data(), ip.bytes.data());
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (i) {
      next += interval;
      sleep_until(next);
    }
    if (auto st = send_arp_broadcast(fd->get(), hw, p); !st.ok()) return st;
  }
  return Status::Ok();
}

Status announce_v6(const std::string& ifname, const Addr& ip, int count, milliseconds interval) {
  Fd fd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  if (!fd.valid()) return Status::Error("ICMPv6 socket: " + errno_text(errno));
  set_recv_timeout(fd.get(), kPacketTimeoutMs);
  LinkHw hw;
  if (auto st = link_hw(fd.get(), ifname, &hw); !st.ok()) return st;
  int hops = 255;
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0)
    return Status::Error("set hop limit: " + errno_text(errno));
  unsigned ifidx = static_cast<unsigned>(hw.index);
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifidx, sizeof ifidx) != 0)
    return Status::Error("set multicast interface: " + errno_text(errno));
  int loop = 0;
  ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop);
  // Source the advertisement from the address itself when it is ours (as the
  // kernel does for its own unsolicited NAs); otherwise let the kernel choose.
  sockaddr_in6 src{};
  src.sin6_family = AF_INET6;
  std::memcpy(&src.sin6_addr, ip.bytes.data(), 16);
  src.sin6_scope_id = ifidx;
  (void)::bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src);

  struct __attribute__((packed)) {
    nd_neighbor_advert na;
    nd_opt_hdr opt;
    uint8_t mac[6];
  } msg{};
  msg.na.nd_na_type = ND_NEIGHBOR_ADVERT;
  msg.na.nd_na_code = 0;
  msg.na.nd_na_cksum = 0;  // the kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets
  msg.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
  std::memcpy(&msg.na.nd_na_target, ip.bytes.data(), 16);
  msg.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
  msg.opt.nd_opt_len = 1;  // in units of 8 octets
  std::memcpy(msg.mac, hw.mac.data(), 6);
  static_assert(sizeof msg == 32);

  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = ifidx;
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (i) {
      next += interval;
      sleep_until(next);
    }
    ssize_t n = ::sendto(fd.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (n != static_cast<ssize_t>(sizeof msg))
      return Status::Error("send neighbour advertisement: " +
                           (n < 0 ? errno_text(errno) : std::string("short write")));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- dumps

Status dump_links(Netlink& nl, std::map<int, InterfaceInfo>* links, bool* interrupted) {
  struct {
    nlmsghdr hdr;
    ifinfomsg ifi;
  } req{};
  req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.hdr.nlmsg_type = RTM_GETLINK;
  req.ifi.ifi_family = AF_UNSPEC;
  return nl.dump(
      &req.hdr,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWLINK) return;
        auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
        InterfaceInfo info;
        info.index = ifi->ifi_index;
        info.up = ifi->ifi_flags & IFF_UP;
        info.carrier = ifi->ifi_flags & IFF_LOWER_UP;
        int len = static_cast<int>(IFLA_PAYLOAD(h));
        for (auto* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
          auto* data = static_cast<const uint8_t*>(RTA_DATA(a));
          size_t n = RTA_PAYLOAD(a);
          switch (a->rta_type) {
            case IFLA_IFNAME:
              info.name.assign(reinterpret_cast<const char*>(data), strnlen(reinterpret_cast<const char*>(data), n));
              break;
            case IFLA_ADDRESS:
              if (n > 0 && std::any_of(data, data + n, [](uint8_t b) { return b != 0; }))
                info.mac = format_mac(data, n);
              break;
            case IFLA_CARRIER:
              if (n >= 1) info.carrier = data[0] != 0;
              break;
          }
        }
        (*links)[info.index] = std::move(info);
      },
      interrupted);
}

Status dump_addresses(Netlink& nl, std::map<int, InterfaceInfo>* links, bool* interrupted) {
  struct {
    nlmsghdr hdr;
    ifaddrmsg ifa;
  } req{};
  req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  req.hdr.nlmsg_type = RTM_GETADDR;
  req.ifa.ifa_family = AF_UNSPEC;
  return nl.dump(
      &req.hdr,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWADDR) return;
        auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return;
        size_t want = ifa->ifa_family == AF_INET ? 4 : 16;
        const void* local = nullptr;
        const void* address = nullptr;
        int len = static_cast<int>(IFA_PAYLOAD(h));
        for (auto* a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
          if (RTA_PAYLOAD(a) != want) continue;
          if (a->rta_type == IFA_LOCAL) local = RTA_DATA(a);
          if (a->rta_type == IFA_ADDRESS) address = RTA_DATA(a);
        }
        // IFA_LOCAL is our address; IFA_ADDRESS is the peer on point-to-point links.
        const void* ours = local ? local : address;
        if (!ours) return;
        Addr addr;
        addr.v6 = ifa->ifa_family == AF_INET6;
        std::memcpy(addr.bytes.data(), ours, want);
        auto it = links->find(static_cast<int>(ifa->ifa_index));
        if (it == links->end()) return;  // link appeared after the link dump
        it->second.addresses.push_back(net::Cidr{addr, ifa->ifa_prefixlen}.str());
      },
      interrupted);
}

}  // namespace

// ---------------------------------------------------------------- public API

Expected<std::vector<InterfaceInfo>> list_interfaces() {
  constexpr int kAttempts = 3;  // a dump interrupted by a concurrent change is retried
  for (int attempt = 1;; ++attempt) {
    Netlink nl;
    if (auto st = nl.open(); !st.ok()) return Status::Error("list interfaces: " + st.error());
    std::map<int, InterfaceInfo> links;
    bool intr_links = false, intr_addrs = false;
    if (auto st = dump_links(nl, &links, &intr_links); !st.ok())
      return Status::Error("list interfaces: links: " + st.error());
    if (auto st = dump_addresses(nl, &links, &intr_addrs); !st.ok())
      return Status::Error("list interfaces: addresses: " + st.error());
    if ((intr_links || intr_addrs) && attempt < kAttempts) continue;
    std::vector<InterfaceInfo> out;
    out.reserve(links.size());
    for (auto& [index, info] : links) out.push_back(std::move(info));
    return out;
  }
}

Status add_address(const std::string& ifname, const std::string& cidr) {
  return change_address(true, ifname, cidr);
}

Status remove_address(const std::string& ifname, const std::string& cidr) {
  return change_address(false, ifname, cidr);
}

Expected<ProbeResult> arp_probe(const std::string& ifname, const std::string& ip, int probes,
                                milliseconds interval, milliseconds wait) {
  const std::string what = "ARP probe " + ip + " on " + ifname;
  const auto host = net::parse_address_or_cidr(ip);
  if (!host) return Status::Error(what + ": malformed address");
  const Addr addr = host->address;
  if (probes < 1 || interval.count() < 0 || wait.count() < 0)
    return Status::Error(what + ": need probes >= 1 and non-negative interval and wait");
  if (addr.v6) return ProbeResult{};  // DAD is out of scope
  std::unique_ptr<Fd> fd;
  LinkHw hw;
  if (auto st = open_arp_socket(ifname, &fd, &hw); !st.ok())
    return Status::Error(what + ": " + st.error());
  static const uint8_t zero[4] = {0, 0, 0, 0};
  ArpPacket p = make_arp_request(hw, zero, addr.bytes.data());
  ProbeResult result;
  auto next = Clock::now();
  for (int i = 0; i < probes; ++i) {
    if (auto st = send_arp_broadcast(fd->get(), hw, p); !st.ok())
      return Status::Error(what + ": " + st.error());
    next += (i + 1 < probes) ? interval : wait;
    auto conflict = watch_for_conflict(fd->get(), hw, addr.bytes.data(), next,
                                       &result.conflicting_mac);
    if (!conflict.ok()) return Status::Error(what + ": " + conflict.error());
    if (conflict.value()) {
      result.conflict = true;
      return result;
    }
  }
  result.conflicting_mac.clear();
  return result;
}

Status announce(const std::string& ifname, const std::string& ip, int count,
                milliseconds interval) {
  const std::string what = "announce " + ip + " on " + ifname;
  const auto host = net::parse_address_or_cidr(ip);
  if (!host) return Status::Error(what + ": malformed address");
  const Addr addr = host->address;
  if (count < 1 || interval.count() < 0)
    return Status::Error(what + ": need count >= 1 and a non-negative interval");
  Status st = addr.v6 ? announce_v6(ifname, addr, count, interval)
                      : announce_v4(ifname, addr, count, interval);
  if (!st.ok()) return Status::Error(what + ": " + st.error());
  return st;
}

}  // namespace poolha::host::linux_net
