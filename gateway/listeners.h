// The gateway's data-plane listeners: PostgreSQL clients and agent tunnels, served by one small
// pool of Asio threads (no thread per connection). Both kinds of socket live on the same
// io_context so that a client session drives its client socket and its agent tunnel on one
// executor, with no hand-off between threads on the hot path.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log/rate_limit.h"
#include "gateway/client_session.h"
#include "gateway/tcp_acceptor.h"

namespace warden::gateway {

struct ListenerOptions {
  std::string postgres;  // HOST:PORT for PostgreSQL clients
  std::string tunnels;   // HOST:PORT agents dial for session tunnels
  int threads = 2;
};

class Listeners {
 public:
  // `tunnel_tls` serves the agents' tunnels (the same certificate as their control stream).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Listeners>> Start(
      const ListenerOptions& opts, GatewayContext& ctx, asio::ssl::context& tunnel_tls);
  ~Listeners();
  void Stop();
  int postgres_port() const { return postgres_.port(); }
  int tunnel_port() const { return tunnels_.port(); }

 private:
  Listeners(GatewayContext& ctx, asio::ssl::context& tunnel_tls, int threads);

  asio::io_context io_;
  log::RateLimit client_refusal_logged_;  // refusals are logged within these limits
  log::RateLimit tunnel_refusal_logged_;
  TcpAcceptor postgres_;
  TcpAcceptor tunnels_;
  std::vector<std::thread> threads_;
};

}  // namespace warden::gateway
