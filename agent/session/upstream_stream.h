// The byte stream to the database: a TCP socket, optionally upgraded to TLS after the server
// accepted an SSLRequest. All operations run on the owning session's strand (the socket is
// created with it as executor, so completion handlers land there too).
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE 1
#endif
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>

namespace warden::agent {

using Strand = asio::strand<asio::io_context::executor_type>;

class UpstreamStream {
 public:
  explicit UpstreamStream(const Strand& strand) : socket_(strand) {}
  ~UpstreamStream() { Close(); }

  asio::ip::tcp::socket& socket() { return socket_; }
  bool tls() const { return tls_ != nullptr; }
  bool is_open() const { return socket_.is_open(); }

  // Layers TLS over the connected socket. With `verify`, the server's chain must lead to
  // `ctx`'s trust store and its certificate must name `host` (libpq's verify-full); SNI is sent
  // for host names (not for IP addresses, RFC 6066 §3).
  void StartTls(asio::ssl::context& ctx, const std::string& host, bool verify);

  template <typename Handler>
  void AsyncTlsHandshake(Handler&& h) {
    tls_->async_handshake(asio::ssl::stream_base::client, std::forward<Handler>(h));
  }

  template <typename Buffer, typename Handler>
  void AsyncReadSome(const Buffer& buf, Handler&& h) {
    if (tls_) {
      tls_->async_read_some(buf, std::forward<Handler>(h));
    } else {
      socket_.async_read_some(buf, std::forward<Handler>(h));
    }
  }

  template <typename Buffer, typename Handler>
  void AsyncRead(const Buffer& buf, Handler&& h) {
    if (tls_) {
      asio::async_read(*tls_, buf, std::forward<Handler>(h));
    } else {
      asio::async_read(socket_, buf, std::forward<Handler>(h));
    }
  }

  template <typename Buffer, typename Handler>
  void AsyncWrite(const Buffer& buf, Handler&& h) {
    if (tls_) {
      asio::async_write(*tls_, buf, std::forward<Handler>(h));
    } else {
      asio::async_write(socket_, buf, std::forward<Handler>(h));
    }
  }

  // Closes the socket at once; pending operations complete with operation_aborted. (No TLS
  // close_notify: the database treats a closed socket as the end of the session either way.)
  void Close();

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

// Client TLS contexts for the database: one verifying against the system trust store
// (verify-full), one not verifying (prefer, require: libpq's behaviour without a root cert).
struct UpstreamTlsContexts {
  UpstreamTlsContexts();
  asio::ssl::context verifying;
  asio::ssl::context unverified;
};

}  // namespace warden::agent
