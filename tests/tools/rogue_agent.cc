// A compromised or broken agent, for the e2e scenario hostile_agent (issue 9 §5): with a
// real agent certificate it connects to control-plane members and sends what a careful
// daemon must survive, over and over until --seconds run out:
//   - reports that break every bound (20,000 held addresses, 2,000 monitors of unknown
//     rules, actions_done = 2^64-1), then valid reports flapping a real VIP every 5 ms;
//   - results for actions nobody asked for, with 60 KiB of Chinese output;
//   - a heartbeat whose text is not UTF-8 (GBK bytes), a frame header announcing 2 GiB,
//     garbage bytes: each costs its own session, and it reconnects;
//   - with --enrol: unauthenticated requests to the enrolment port (a 1 MiB node_id,
//     a burst of connections).
// Blocking I/O, one thread: it is a test tool. Prints one JSON line of what it did.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "wire/frame.h"
#include "wire/session.h"

namespace {

using namespace poolha;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Stats {
  long connections = 0, refused = 0, frames = 0, closed_by_peer = 0, enrol_attempts = 0, enrol_closed = 0;
};

std::string frame_of(const std::string& body) {
  const auto n = static_cast<uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + body;
}

// One mutually authenticated connection as `node`, through the Hello. Null if refused.
std::unique_ptr<asio::ssl::stream<tcp::socket>> dial(asio::io_context& io, asio::ssl::context& ctx,
                                                      const wire::Endpoint& ep, const std::string& node) {
  auto s = std::make_unique<asio::ssl::stream<tcp::socket>>(io, ctx);
  boost::system::error_code ec;
  s->lowest_layer().connect({asio::ip::make_address(ep.host), ep.port}, ec);
  if (!ec) s->handshake(asio::ssl::stream_base::client, ec);
  if (ec) return nullptr;
  wire::Envelope hello;
  auto* h = hello.mutable_hello();
  h->set_protocol_version(wire::kProtocolVersion);
  h->set_node_id(node);
  h->mutable_facts()->set_hostname("\x1b[31mrogue\nFAKE LOG LINE");  // log injection attempt
  h->mutable_facts()->set_agent_version(std::string(2000, 'v'));
  asio::write(*s, asio::buffer(wire::encode_frame(hello)), ec);
  std::array<unsigned char, 4> hdr{};
  asio::read(*s, asio::buffer(hdr), ec);
  if (ec) return nullptr;
  std::string body(std::min<uint32_t>(wire::decode_length(hdr, 1 << 20).ok() ? *wire::decode_length(hdr, 1 << 20) : 0, 1 << 20), '\0');
  asio::read(*s, asio::buffer(body), ec);
  auto ack = wire::decode_body(body);
  if (ec || !ack.ok() || !ack->has_hello_ack() || !ack->hello_ack().error().empty()) return nullptr;
  s->lowest_layer().non_blocking(true);
  return s;
}

// Writes; reads whatever the peer sent meanwhile (so its queue to us does not fill).
// False once the peer has closed the connection.
bool send(asio::ssl::stream<tcp::socket>& s, const std::string& bytes, Stats& st) {
  boost::system::error_code ec;
  s.lowest_layer().non_blocking(false);
  asio::write(s, asio::buffer(bytes), ec);
  s.lowest_layer().non_blocking(true);
  char sink[16384];
  for (int i = 0; i < 64 && !ec; ++i) {
    s.read_some(asio::buffer(sink), ec);
    if (ec == asio::error::would_block || ec == asio::ssl::error::stream_truncated) {
      if (ec == asio::error::would_block) ec = {};
      break;
    }
  }
  if (ec) {
    ++st.closed_by_peer;
    return false;
  }
  ++st.frames;
  return true;
}

std::string oversized_report(uint64_t seq) {
  wire::Envelope e;
  auto* hb = e.mutable_heartbeat();
  hb->set_seq(seq);
  hb->set_actions_done(UINT64_MAX);
  for (int i = 0; i < 20000; ++i) hb->add_held_vips("198.18." + std::to_string(i % 250) + "." + std::to_string(i / 250) + "/24");
  for (int i = 0; i < 2000; ++i) {
    auto* m = hb->add_monitors();
    m->set_name("m");
    m->set_rule("ghost-" + std::to_string(seq) + "-" + std::to_string(i));
    m->set_healthy(false);
  }
  return wire::encode_frame(e);
}

std::string flapping_report(uint64_t seq, const std::string& vip) {
  wire::Envelope e;
  auto* hb = e.mutable_heartbeat();
  hb->set_seq(seq);
  hb->set_actions_done(UINT64_MAX);
  hb->add_subnets("198.18.0.0/24");
  if (seq % 2) hb->add_held_vips(vip);
  return wire::encode_frame(e);
}

std::string bogus_result(uint64_t id) {
  wire::Envelope e;
  auto* r = e.mutable_result();
  r->set_action_id(id);
  r->set_outcome(wire::CommandResult::OK);
  std::string cjk;
  while (cjk.size() < 60 * 1024) cjk += "\xE5\x90\xAF";  // 启
  r->set_script_output(cjk);
  r->set_detail("\x1b]0;pwned\x07");
  return wire::encode_frame(e);
}

// A heartbeat whose monitor detail is GBK bytes: serialized with a placeholder, then
// patched, since the Protobuf writer itself would complain.
std::string non_utf8_report(uint64_t seq) {
  wire::Envelope e;
  auto* m = e.mutable_heartbeat()->add_monitors();
  e.mutable_heartbeat()->set_seq(seq);
  m->set_name("log");
  m->set_detail("ZZZZ ERROR");
  std::string body = e.SerializeAsString();
  body.replace(body.find("ZZZZ"), 4, "\xB4\xED\xCE\xF3");  // 错误 in GBK
  return frame_of(body);
}

void enrol_attack(asio::io_context& io, const wire::Endpoint& ep, Stats& st) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  for (int i = 0; i < 20; ++i) {
    ++st.enrol_attempts;
    asio::ssl::stream<tcp::socket> s(io, ctx);
    boost::system::error_code ec;
    s.lowest_layer().connect({asio::ip::make_address(ep.host), ep.port}, ec);
    if (!ec) s.handshake(asio::ssl::stream_base::client, ec);
    if (ec) {
      ++st.enrol_closed;  // refused by the gate before TLS, or the handshake cut
      continue;
    }
    wire::Envelope e;
    e.mutable_enrol_request()->set_node_id("\x1b[31m" + std::string(1 << 20, 'A'));
    e.mutable_enrol_request()->set_token("x");
    asio::write(s, asio::buffer(wire::encode_frame(e)), ec);
    char b[64];
    s.read_some(asio::buffer(b), ec);
    if (ec) ++st.enrol_closed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string ca, cert, key, node = "h9", vip = "198.18.0.101/24", enrol;
  std::vector<wire::Endpoint> members;
  int seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--ca") ca = v;
    else if (k == "--cert") cert = v;
    else if (k == "--key") key = v;
    else if (k == "--node") node = v;
    else if (k == "--vip") vip = v;
    else if (k == "--member") members.push_back(*wire::parse_endpoint(v));
    else if (k == "--enrol") enrol = v;
    else if (k == "--seconds") seconds = std::stoi(v);
  }
  if (members.empty() || ca.empty()) {
    std::fprintf(stderr, "usage: rogue_agent --ca F --cert F --key F --node ID --member ADDR:PORT... [--enrol ADDR:PORT] "
                         "[--vip CIDR] [--seconds N]\n");
    return 2;
  }
  auto ctx = wire::mutual_tls_context({ca, cert, key}, false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "rogue_agent: %s\n", ctx.error().c_str());
    return 1;
  }
  asio::io_context io;
  Stats st;
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  uint64_t seq = 1;
  for (int round = 0; Clock::now() < until; ++round) {
    if (!enrol.empty() && round % 8 == 0) enrol_attack(io, *wire::parse_endpoint(enrol), st);
    for (const auto& ep : members) {
      auto s = dial(io, **ctx, ep, node);
      if (!s) {
        ++st.refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      ++st.connections;
      bool open = true;
      for (int i = 0; i < 3 && open; ++i) open = send(*s, oversized_report(seq++), st);
      for (int i = 0; i < 100 && open && Clock::now() < until; ++i) {
        open = send(*s, flapping_report(seq++, vip), st);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      for (int i = 0; i < 10 && open; ++i) open = send(*s, bogus_result(1000 + seq++), st);
      switch (round % 3) {  // one session-ending frame per connection
        case 0: open = send(*s, non_utf8_report(seq++), st); break;
        case 1: open = send(*s, std::string("\x7f\xff\xff\xff", 4) + std::string(64, 'x'), st); break;
        case 2: open = send(*s, frame_of(std::string(300, '\xff')), st); break;
      }
      // The peer closes on its own schedule: wait a little for the verdict.
      for (int i = 0; i < 20 && open; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        open = send(*s, "", st);
      }
    }
  }
  std::printf("{\"connections\": %ld, \"refused\": %ld, \"frames\": %ld, \"closed_by_peer\": %ld, "
              "\"enrol_attempts\": %ld, \"enrol_closed\": %ld}\n",
              st.connections, st.refused, st.frames, st.closed_by_peer, st.enrol_attempts, st.enrol_closed);
  return 0;
}
