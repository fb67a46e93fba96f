// Client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it:
// https://www.postgresql.org/docs/15/sasl-authentication.html
//
// Pure state machine, no I/O. The caller (the agent's upstream authenticator) moves the
// strings in and out of the SASL protocol messages:
//
//   AuthenticationSASL (mechanisms)      -> pick Mechanism(), send SASLInitialResponse with
//                                           ClientFirstMessage()
//   AuthenticationSASLContinue (data)    -> HandleServerFirst(data) -> SASLResponse(result)
//   AuthenticationSASLFinal (data)       -> HandleServerFinal(data) must be OK before the
//                                           caller trusts the following AuthenticationOk
//
//   kInitial --ClientFirstMessage--> kAwaitingServerFirst --HandleServerFirst-->
//   kAwaitingServerFinal --HandleServerFinal--> kDone;  any error --> kFailed (terminal).
//
// Calls out of order are FailedPrecondition errors and fail the exchange.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::pgauth {

// Bound on the server-chosen PBKDF2 iteration count. PostgreSQL's default is 4096 and it does
// not require a minimum, so neither do we (beyond 1); the cap stops a hostile server from
// making us compute billions of HMACs.
inline constexpr int kDefaultMaxScramIterations = 10'000'000;

// RFC 5802 §6 / §7 (gs2-cbind-flag) and RFC 5929 §4 (tls-server-end-point).
enum class ChannelBindingType {
  kNone,               // gs2 header "n,,", mechanism SCRAM-SHA-256
  kTlsServerEndPoint,  // gs2 header "p=tls-server-end-point,,", mechanism SCRAM-SHA-256-PLUS
};

struct ChannelBinding {
  ChannelBindingType type = ChannelBindingType::kNone;
  // For kTlsServerEndPoint: the hash of the server's certificate per RFC 5929 §4.1 (SHA-256
  // if the certificate's signature uses MD5 or SHA-1, else its own hash). Computed by the
  // TLS layer. Not yet exercised against a server: only kNone is used today.
  std::string data;
};

struct ScramOptions {
  // PostgreSQL ignores the SCRAM username and uses the StartupMessage's user, and libpq sends
  // "n=" (empty); keep it empty for PostgreSQL. Set it only to check RFC test vectors.
  std::string username;
  // Empty: 18 random bytes, base64 (what libpq does). Set only in tests. Must be printable
  // (RFC 5802 §7) or the exchange fails at HandleServerFirst.
  std::string client_nonce;
  ChannelBinding channel_binding;
  int max_iterations = kDefaultMaxScramIterations;
};

class ScramSha256Client {
 public:
  enum class State { kInitial, kAwaitingServerFirst, kAwaitingServerFinal, kDone, kFailed };

  // `password` is SASLprep'd per PostgreSQL's rule (see saslprep.h).
  explicit ScramSha256Client(absl::string_view password, ScramOptions options = {});
  ~ScramSha256Client();  // wipes the password and derived keys

  // Holds secrets: neither copied nor moved (a moved-from std::string may leave bytes
  // behind). Hold it in a std::unique_ptr or std::optional.
  ScramSha256Client(const ScramSha256Client&) = delete;
  ScramSha256Client& operator=(const ScramSha256Client&) = delete;

  // "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS", for the SASLInitialResponse.
  absl::string_view Mechanism() const;

  // RFC 5802 §7 client-first-message: gs2-header + client-first-message-bare
  // ("n,,n=,r=<nonce>"). The message is fixed at construction; the first call moves the
  // state to kAwaitingServerFirst, later calls return the same bytes.
  std::string ClientFirstMessage();

  // Consumes the server-first-message and returns the client-final-message
  // ("c=<cbind>,r=<nonce>,p=<proof>").
  [[nodiscard]] absl::StatusOr<std::string> HandleServerFirst(absl::string_view server_first);

  // Consumes the server-final-message and verifies the server signature (constant time).
  // OK means the server knows the password's verifier: only then is it authenticated.
  [[nodiscard]] absl::Status HandleServerFinal(absl::string_view server_final);

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }

 private:
  absl::Status CheckState(State expected, absl::string_view call);
  absl::StatusOr<std::string> BuildClientFinal(absl::string_view server_first);
  absl::Status Fail(absl::Status status);

  ScramOptions options_;
  State state_ = State::kInitial;
  std::string password_;  // prepared (SASLprep'd) password
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
};

}  // namespace warden::pgauth
