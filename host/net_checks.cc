#include "host/net_checks.h"

#include <utility>  // before Asio (Boost 1.74 + GCC 12)

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>

#include "common/net_address.h"
#include "common/utf8.h"

namespace poolha::host {

namespace {

using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace checks;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// The system's text for an error, as valid UTF-8 (Windows' may be in the ANSI code page).
std::string error_text(const boost::system::error_code& ec) { return text::clean_text(ec.message(), 200); }

// One connection bounded by a deadline: every operation runs on `io` until it
// completes or the deadline closes the socket.
struct Conn {
  asio::io_context io;
  tcp::socket socket{io};
  asio::steady_timer timer{io};
  bool expired = false;

  explicit Conn(Clock::time_point deadline) {
    timer.expires_at(deadline);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      expired = true;
      boost::system::error_code ignored;
      socket.close(ignored);
    });
  }
  // Runs until `done` is set (or nothing is left to run).
  void run_until(const bool& done) {
    while (!done && io.run_one() > 0) {
    }
  }
};

// Connects `c` to host:port; empty on success, else the failure's detail.
std::string connect(Conn& c, const std::string& host, int port, Clock::time_point started) {
  const auto ip = net::parse_ip(host);
  if (!ip) return "host '" + host + "' is not an IP literal";
  boost::system::error_code ec_addr;
  const tcp::endpoint ep(asio::ip::make_address(host, ec_addr), static_cast<unsigned short>(port));
  bool done = false;
  boost::system::error_code result;
  c.socket.async_connect(ep, [&](const boost::system::error_code& ec) {
    result = ec;
    done = true;
  });
  c.run_until(done);
  const std::string hp = host_port(host, port);
  if (c.expired) return "port " + hp + " connect timed out after " + std::to_string(ms_since(started)) + " ms";
  if (result == asio::error::connection_refused) return "port " + hp + " refused";
  if (result) return "port " + hp + " connect failed: " + error_text(result);
  return "";
}

}  // namespace

CheckOutcome check_tcp_port(const CheckSpec& spec, Clock::time_point started, Clock::time_point deadline) {
  const std::string host = get(spec, "host", "127.0.0.1");
  const int port = static_cast<int>(parse_long(get(spec, "port"), 1, 65535).value_or(0));
  Conn c(deadline);
  if (auto failed = connect(c, host, port, started); !failed.empty()) return {false, failed};
  return {true, "port " + host_port(host, port) + " accepted a connection in " + std::to_string(ms_since(started)) + " ms"};
}

CheckOutcome check_http(const CheckSpec& spec, Clock::time_point started, Clock::time_point deadline) {
  const std::string& u = get(spec, "url");
  auto url = parse_url(u);
  if (!url.ok()) return {false, url.error()};
  const int expect = static_cast<int>(parse_long(get(spec, "expect_status", "200"), 100, 599).value_or(200));
  Conn c(deadline);
  if (auto failed = connect(c, url->host, url->port, started); !failed.empty()) return {false, "GET " + u + ": " + failed};
  std::string host_hdr = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (url->port != 80) host_hdr += ":" + std::to_string(url->port);
  const std::string req = "GET " + url->path + " HTTP/1.0\r\nHost: " + host_hdr +
                          "\r\nUser-Agent: poolha-agent\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  bool done = false;
  boost::system::error_code result;
  asio::async_write(c.socket, asio::buffer(req), [&](const boost::system::error_code& ec, std::size_t) {
    result = ec;
    done = true;
  });
  c.run_until(done);
  if (c.expired) return {false, "GET " + u + ": timed out sending the request"};
  if (result) return {false, "GET " + u + ": send failed: " + error_text(result)};
  asio::streambuf in(8192);
  done = false;
  asio::async_read_until(c.socket, in, "\r\n", [&](const boost::system::error_code& ec, std::size_t) {
    result = ec;
    done = true;
  });
  c.run_until(done);
  if (c.expired) return {false, "GET " + u + ": no status line within " + std::to_string(ms_since(started)) + " ms"};
  const std::string resp(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
  const std::string line = resp.substr(0, resp.find("\r\n"));
  int status = 0;
  if (line.compare(0, 7, "HTTP/1.") == 0 && line.size() >= 12 && line[8] == ' ' && std::isdigit(line[9]) &&
      std::isdigit(line[10]) && std::isdigit(line[11]))
    status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status == 0) {
    if (result && resp.empty()) return {false, "GET " + u + ": recv failed: " + error_text(result)};
    return {false, "GET " + u + ": malformed status line '" + summarize(line, 80) + "'"};
  }
  return {status == expect, "GET " + u + " -> " + std::to_string(status) + " (expect " + std::to_string(expect) + ") in " +
                                std::to_string(ms_since(started)) + " ms"};
}

}  // namespace poolha::host
