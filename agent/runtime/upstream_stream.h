// The byte stream to the database: a TCP socket, optionally upgraded to TLS after the server
// accepted an SSLRequest. All operations run on the owning session's executor (the socket is
// created with it, so completion handlers land there too: net::SessionExecutor).
#pragma once

#include <string>

#include "common/net/maybe_tls_stream.h"

namespace warden::agent {

class UpstreamStream : public net::MaybeTlsStream {
 public:
  explicit UpstreamStream(const asio::any_io_executor& ex) : net::MaybeTlsStream(ex) {}

  // Layers TLS over the connected socket. With `verify`, the server's chain must lead to
  // `ctx`'s trust store and its certificate must name `host` (libpq's verify-full); SNI is sent
  // for host names (not for IP addresses, RFC 6066 §3).
  void StartTls(asio::ssl::context& ctx, const std::string& host, bool verify);

  template <typename Handler>
  void AsyncTlsHandshake(Handler&& h) {
    AsyncHandshake(asio::ssl::stream_base::client, std::forward<Handler>(h));
  }
};

// Client TLS contexts for the database: one verifying against the system trust store
// (verify-full), one not verifying (prefer, require: libpq's behaviour without a root cert).
struct UpstreamTlsContexts {
  UpstreamTlsContexts();
  asio::ssl::context verifying;
  asio::ssl::context unverified;
};

}  // namespace warden::agent
