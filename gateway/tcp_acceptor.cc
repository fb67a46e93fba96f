#include "gateway/tcp_acceptor.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/net/session_executor.h"

namespace warden::gateway {

absl::StatusOr<asio::ip::tcp::endpoint> ParseEndpoint(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(hostport.substr(colon + 1), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", hostport, "\" is not HOST:PORT"));
  }
  std::string host = hostport.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("\"", host, "\" is not an IP address"));
  return asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(port));
}

absl::Status TcpAcceptor::Listen(const std::string& hostport, const char* what) {
  auto ep = ParseEndpoint(hostport);
  if (!ep.ok()) return ep.status();
  asio::error_code ec;
  acceptor_.open(ep->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for ", what, " on ", hostport, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  spdlog::info("listening for {} on {}", what,
               hostport.substr(0, hostport.rfind(':') + 1) + std::to_string(port_));
  Accept();
  return absl::OkStatus();
}

void TcpAcceptor::Accept() {
  acceptor_.async_accept(net::SessionExecutor(io_, io_threads_),
                         [this](auto ec, asio::ip::tcp::socket socket) {
                           if (ec == asio::error::operation_aborted) return;
                           if (!ec) {
                             asio::error_code ignored;
                             // Small messages both ways: never wait for Nagle.
                             socket.set_option(asio::ip::tcp::no_delay(true), ignored);
                             on_socket_(std::move(socket));
                             return Accept();
                           }
                           // Out of file descriptors and the like: retrying at once would spin.
                           spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
                           retry_.expires_after(std::chrono::milliseconds(100));
                           retry_.async_wait([this](auto wait_ec) {
                             if (!wait_ec) Accept();
                           });
                         });
}

void TcpAcceptor::Close() {
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

}  // namespace warden::gateway
