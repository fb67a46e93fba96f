// A TCP connection that may be upgraded to TLS part-way, as PostgreSQL does after SSLRequest.
// Used on both sides of Warden: the gateway accepts TLS from clients, the agent starts TLS to
// the database. All operations run on the executor the socket was created with.
#pragma once

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE 1
#endif
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <utility>

#include "common/net/drain_aware_socket.h"

namespace warden::net {

class MaybeTlsStream {
 public:
  using TlsStream = asio::ssl::stream<DrainAwareSocket&>;

  explicit MaybeTlsStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  template <typename Executor>
  explicit MaybeTlsStream(const Executor& ex) : socket_(ex) {}
  ~MaybeTlsStream() { Close(); }

  DrainAwareSocket& socket() { return socket_; }
  bool tls() const { return tls_ != nullptr; }
  bool is_open() const { return socket_.is_open(); }

  // Layers TLS over the socket; the returned stream may be configured (SNI, verification)
  // before the handshake.
  TlsStream& StartTls(asio::ssl::context& ctx) {
    tls_ = std::make_unique<TlsStream>(socket_, ctx);
    if (keep_tls_buffers_) ClearReleaseBuffers();
    return *tls_;
  }

  // Asio has OpenSSL free a connection's read and write buffers whenever they empty, so an idle
  // or still-authenticating connection holds none; a session moving data then pays an
  // allocation and a free of each (about 17 KB) on every read and write (1-2% of a proxy's CPU
  // on small statements). Called once a session is authenticated and starts relaying: it keeps
  // them from then on, also for TLS started later (the agent's tunnel may still be connecting).
  void KeepTlsBuffers() {
    keep_tls_buffers_ = true;
    if (tls_) ClearReleaseBuffers();
  }

  template <typename Handler>
  void AsyncHandshake(asio::ssl::stream_base::handshake_type type, Handler&& h) {
    tls_->async_handshake(type, std::forward<Handler>(h));
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

  // Closes at once; pending operations complete with operation_aborted. No TLS close_notify:
  // PostgreSQL peers treat a closed socket as the end of the session either way, and waiting
  // for a peer's close_notify could hang.
  void Close() {
    if (!socket_.is_open()) return;
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void ClearReleaseBuffers() {
    SSL* ssl = tls_->native_handle();
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    // OpenSSL 3.2 and later copy the mode into the read record layer when it is set, not when
    // it is cleared: setting nothing more hands the cleared mode on (a no-op before 3.2).
    SSL_set_mode(ssl, 0);
  }

  DrainAwareSocket socket_;
  std::unique_ptr<TlsStream> tls_;
  bool keep_tls_buffers_ = false;
};

}  // namespace warden::net
