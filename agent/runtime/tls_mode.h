// The connection's tls_mode and what the SSLRequest answer means for it, with libpq's semantics:
// https://www.postgresql.org/docs/15/libpq-ssl.html#LIBPQ-SSL-PROTECTION
// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.11 (SSL session encryption)
#pragma once

#include <optional>

#include "absl/strings/string_view.h"

namespace warden::agent {

enum class TlsMode {
  kDisable,     // plain TCP, no SSLRequest
  kPrefer,      // SSLRequest; 'S' -> TLS without verification, 'N' -> plain
  kRequire,     // SSLRequest; 'S' -> TLS without verification, 'N' -> fail
  kVerifyFull,  // SSLRequest; 'S' -> TLS, chain and host name verified, 'N' -> fail
};

// "" means prefer (libpq's default). Unknown names are nullopt.
std::optional<TlsMode> ParseTlsMode(absl::string_view name);
absl::string_view TlsModeName(TlsMode mode);

enum class TlsDecision { kUseTls, kPlain, kFail };

// What to do with the server's one-byte answer to SSLRequest.
TlsDecision DecideTls(TlsMode mode, char answer);

}  // namespace warden::agent
