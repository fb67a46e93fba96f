// Parsing and building of SCRAM messages (RFC 5802 §7 grammar), pure functions.
//
// PostgreSQL's framing of these messages inside SASLInitialResponse / AuthenticationSASL*
// is https://www.postgresql.org/docs/15/sasl-authentication.html ; this file only deals with
// the SCRAM text itself, which is handed over without the length prefix.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::pgauth {

// No legitimate SCRAM message from PostgreSQL comes near this (a server-first message is
// about 90 bytes); anything larger is refused before it is parsed.
inline constexpr size_t kMaxServerMessageSize = 4096;

struct ServerFirstMessage {
  std::string nonce;   // the combined nonce, "r=" value (client nonce + server nonce)
  std::string salt;    // decoded from base64, non-empty
  int iterations = 0;  // 1 .. max_iterations
};

// RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt ","
//                                     iteration-count ["," extensions]
// A leading "m=" (mandatory extension) is refused since we support none (RFC 5802 §5.1 "m:").
// Unknown trailing extensions are ignored. Does not check the nonce against ours.
[[nodiscard]] absl::StatusOr<ServerFirstMessage> ParseServerFirst(absl::string_view message,
                                                                  int max_iterations);

// RFC 5802 §7: server-final-message = (server-error / verifier) ["," extensions]
// Returns the decoded "v=" ServerSignature. "e=<reason>" becomes an Unauthenticated error
// naming the server's (sanitized) reason.
[[nodiscard]] absl::StatusOr<std::string> ParseServerFinal(absl::string_view message);

// RFC 5802 §5.1 "n": the username as a saslname, with ',' -> "=2C" and '=' -> "=3D".
std::string EscapeSaslName(absl::string_view username);

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (what a nonce may contain). Non-empty.
bool IsPrintableNonce(absl::string_view nonce);

}  // namespace warden::pgauth
