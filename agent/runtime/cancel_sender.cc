#include "agent/runtime/cancel_sender.h"

#include <memory>

#include "common/log/log.h"
#include "common/pgwire/startup.h"

namespace warden::agent {

namespace {

struct CancelOp : std::enable_shared_from_this<CancelOp> {
  CancelOp(asio::io_context& io, std::string id)
      : strand(asio::make_strand(io)), socket(strand), timer(strand), session_id(std::move(id)) {}

  void Run(const asio::ip::tcp::endpoint& endpoint, std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](asio::error_code ec) {
      if (!ec) self->Close();
    });
    socket.async_connect(endpoint, [self](asio::error_code ec) {
      if (ec) return self->Done(ec);
      asio::async_write(self->socket, asio::buffer(self->request),
                        [self](asio::error_code ec, size_t) { self->Done(ec); });
    });
  }

  void Done(asio::error_code ec) {
    if (ec) {
      spdlog::warn("session {}: cancel request not delivered: {}", session_id, ec.message());
    } else {
      spdlog::info("session {}: cancel request sent to the database", session_id);
    }
    Close();
  }

  void Close() {
    asio::error_code ignored;
    timer.cancel();
    socket.close(ignored);
  }

  asio::any_io_executor strand;  // a strand: a cancel is not on the hot path
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  std::string session_id;
  std::string request;
};

}  // namespace

void SendCancelRequest(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                       int32_t process_id, int32_t secret_key, const std::string& session_id,
                       std::chrono::milliseconds timeout) {
  auto op = std::make_shared<CancelOp>(io, session_id);
  op->request = pgwire::BuildCancelRequest(process_id, secret_key);
  asio::post(op->strand, [op, endpoint, timeout] { op->Run(endpoint, timeout); });
}

}  // namespace warden::agent
