#include "agent/runtime/upstream_stream.h"

#include <openssl/ssl.h>

namespace warden::agent {

void UpstreamStream::StartTls(asio::ssl::context& ctx, const std::string& host, bool verify) {
  auto& tls = net::MaybeTlsStream::StartTls(ctx);
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  bool is_ip = !ec;
  if (!is_ip) SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());
  if (verify) {
    tls.set_verify_mode(asio::ssl::verify_peer);
    tls.set_verify_callback(asio::ssl::host_name_verification(host));
  } else {
    tls.set_verify_mode(asio::ssl::verify_none);
  }
}

UpstreamTlsContexts::UpstreamTlsContexts()
    : verifying(asio::ssl::context::tls_client), unverified(asio::ssl::context::tls_client) {
  for (auto* ctx : {&verifying, &unverified}) {
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  }
  asio::error_code ignored;
  verifying.set_default_verify_paths(ignored);
  verifying.set_verify_mode(asio::ssl::verify_peer);
  unverified.set_verify_mode(asio::ssl::verify_none);
}

}  // namespace warden::agent
