// HTTPS for the REST API and the console (Boost.Beast, one session object per
// connection, a timeout on every step, a body limit on every parser). A client either
// presents an operator certificate of the cluster CA (poolhactl; its CN is the
// account) or none (a browser, which signs in with a password and a session cookie):
// the TLS context asks for a certificate without requiring one (wire::api_server_context).
#pragma once
#include "controller/api_routes.h"
#include "controller/live_feed.h"
#include "controller/static_assets.h"
#include "wire/session.h"

namespace poolha::controller {

class ApiServer : public std::enable_shared_from_this<ApiServer> {
 public:
  // Operators are few but script and poll (poolhactl opens a connection per call, and
  // every operator behind one bastion host shares its address): a small connection
  // cap and handshake cap, a generous per-address rate (wire/connection_gate.h).
  static constexpr wire::GateLimits kGate{256, 32, 100, 200, 1024};

  // `assets` (the console) and `feed` (GET /v1/stream) may be null: API only.
  ApiServer(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, ApiRoutes& routes,
            const StaticAssets* assets = nullptr, LiveFeed* feed = nullptr);
  Status listen(const wire::Endpoint& ep);

 private:
  void accept_next();
  void on_accept(boost::system::error_code ec, wire::tcp::socket sock);

  wire::asio::io_context& io_;
  std::shared_ptr<wire::asio::ssl::context> ctx_;
  ApiRoutes& routes_;
  const StaticAssets* assets_;
  LiveFeed* feed_;
  wire::tcp::acceptor acceptor_;
  std::shared_ptr<wire::ConnectionGate> gate_ = wire::ConnectionGate::make(kGate);
};

}  // namespace poolha::controller
