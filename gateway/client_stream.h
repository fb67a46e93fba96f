// A client connection that starts in plain TCP and may switch to TLS after SSLRequest.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

namespace warden::gateway {

class ClientStream {
 public:
  ClientStream(asio::ip::tcp::socket socket, asio::ssl::context& tls)
      : stream_(std::move(socket), tls) {}

  template <typename Buffer, typename Handler>
  void AsyncReadSome(const Buffer& b, Handler&& h) {
    if (tls_) {
      stream_.async_read_some(b, std::forward<Handler>(h));
    } else {
      stream_.next_layer().async_read_some(b, std::forward<Handler>(h));
    }
  }

  template <typename Buffer, typename Handler>
  void AsyncWrite(const Buffer& b, Handler&& h) {
    if (tls_) {
      asio::async_write(stream_, b, std::forward<Handler>(h));
    } else {
      asio::async_write(stream_.next_layer(), b, std::forward<Handler>(h));
    }
  }

  template <typename Handler>
  void AsyncHandshake(Handler&& h) {
    tls_ = true;
    stream_.async_handshake(asio::ssl::stream_base::server, std::forward<Handler>(h));
  }

  void Close() {
    asio::error_code ec;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
  }

  bool tls() const { return tls_; }
  asio::ip::tcp::socket& socket() { return stream_.next_layer(); }

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool tls_ = false;
};

}  // namespace warden::gateway
