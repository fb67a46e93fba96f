// MaybeTlsStream's TLS buffers: given back while a connection authenticates, kept once a
// session relays statements (common/net/maybe_tls_stream.h).
#include "common/net/maybe_tls_stream.h"

#include <catch2/catch.hpp>

TEST_CASE("TLS buffers: released until KeepTlsBuffers, then kept", "[net]") {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  warden::net::MaybeTlsStream stream(io.get_executor());
  SSL* ssl = stream.StartTls(ctx).native_handle();
  // What a new connection starts with: Asio asks OpenSSL to free the buffers when they empty.
  CHECK((SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS) != 0);
  stream.KeepTlsBuffers();
  CHECK((SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS) == 0);
  // The modes Asio's reads and writes rely on stay.
  CHECK((SSL_get_mode(ssl) & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) != 0);
}

TEST_CASE("TLS buffers: kept also when TLS starts after KeepTlsBuffers", "[net]") {
  // The agent's tunnel may still be connecting when the database accepts the session.
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  warden::net::MaybeTlsStream stream(io.get_executor());
  stream.KeepTlsBuffers();
  CHECK_FALSE(stream.tls());  // no TLS appears for it
  SSL* ssl = stream.StartTls(ctx).native_handle();
  CHECK((SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS) == 0);
}
