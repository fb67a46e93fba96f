// The PostgreSQL listener: accepts clients and runs their sessions on a small pool of Asio
// threads (no thread per connection).
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/client_session.h"

namespace warden::gateway {

class PgListener {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgListener>> Start(const std::string& listen,
                                                                         GatewayContext& ctx,
                                                                         int threads);
  ~PgListener();
  void Stop();
  int port() const { return port_; }

 private:
  explicit PgListener(GatewayContext& ctx) : ctx_(ctx), acceptor_(io_), retry_(io_) {}
  void Accept();

  GatewayContext& ctx_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

// Splits "host:port"; an empty host means all interfaces.
absl::StatusOr<asio::ip::tcp::endpoint> ParseEndpoint(const std::string& hostport);

}  // namespace warden::gateway
