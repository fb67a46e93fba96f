// A listening TCP socket that hands every accepted connection to a callback, on the Asio
// io_context it was made with. Shared by the PostgreSQL listener and the agent tunnel listener.
#pragma once

#include <asio.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::gateway {

// Splits "host:port"; an empty host means all interfaces.
absl::StatusOr<asio::ip::tcp::endpoint> ParseEndpoint(const std::string& hostport);

class TcpAcceptor {
 public:
  using OnSocket = std::function<void(asio::ip::tcp::socket)>;
  // Accepted sockets run on net::SessionExecutor(io, io_threads).
  TcpAcceptor(asio::io_context& io, int io_threads, OnSocket on_socket)
      : io_(io),
        io_threads_(io_threads),
        acceptor_(io),
        retry_(io),
        on_socket_(std::move(on_socket)) {}

  // Binds and starts accepting; `what` names the listener in errors and logs.
  absl::Status Listen(const std::string& hostport, const char* what);
  int port() const { return port_; }
  // Stops accepting (from any thread).
  void Close();

 private:
  void Accept();

  asio::io_context& io_;
  int io_threads_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  OnSocket on_socket_;
  int port_ = 0;
};

}  // namespace warden::gateway
