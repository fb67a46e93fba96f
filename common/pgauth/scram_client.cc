#include "common/pgauth/scram_client.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pgauth/saslprep.h"
#include "common/pgauth/scram_crypto.h"
#include "common/pgauth/scram_messages.h"
#include "common/util/base64.h"

namespace warden::pgauth {
namespace {

// libpq uses 18 random bytes (SCRAM_RAW_NONCE_LEN), base64-encoded to 24 printable chars.
constexpr size_t kRawNonceLength = 18;

std::string RandomNonce() {
  unsigned char raw[kRawNonceLength];
  // No safe fallback for a nonce: a predictable one enables replay (RFC 5802 §9).
  if (RAND_bytes(raw, sizeof(raw)) != 1) std::abort();
  return Base64Encode(absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
}

// RFC 5802 §7 gs2-header = gs2-cbind-flag "," [authzid] ",". libpq never sends an authzid
// (https://www.postgresql.org/docs/15/sasl-authentication.html). This and
// ChannelBindingAttribute() are the only places the channel binding type shapes the wire.
std::string Gs2Header(const ChannelBinding& cb) {
  switch (cb.type) {
    case ChannelBindingType::kTlsServerEndPoint:
      return "p=tls-server-end-point,,";
    case ChannelBindingType::kNone:
      break;
  }
  return "n,,";
}

// RFC 5802 §7: channel-binding = "c=" base64(cbind-input);
// cbind-input = gs2-header [cbind-data] (cbind-data only with "p=").
std::string ChannelBindingAttribute(const ChannelBinding& cb) {
  std::string input = Gs2Header(cb);
  if (cb.type != ChannelBindingType::kNone) input += cb.data;
  return "c=" + Base64Encode(input);
}

std::string Xor(absl::string_view a, absl::string_view b) {
  std::string out(a.size(), '\0');
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

ScramSha256Client::ScramSha256Client(absl::string_view password, ScramOptions options)
    : options_(std::move(options)), password_(PreparePassword(password)) {
  client_nonce_ = options_.client_nonce.empty() ? RandomNonce() : options_.client_nonce;
  // RFC 5802 §7: client-first-message-bare = [reserved-mext ","] username "," nonce
  client_first_bare_ = absl::StrCat("n=", EscapeSaslName(options_.username), ",r=", client_nonce_);
}

ScramSha256Client::~ScramSha256Client() {
  Cleanse(password_);
  Cleanse(expected_server_signature_);
}

absl::string_view ScramSha256Client::Mechanism() const {
  return options_.channel_binding.type == ChannelBindingType::kNone ? "SCRAM-SHA-256"
                                                                    : "SCRAM-SHA-256-PLUS";
}

std::string ScramSha256Client::ClientFirstMessage() {
  if (state_ == State::kInitial) state_ = State::kAwaitingServerFirst;
  return Gs2Header(options_.channel_binding) + client_first_bare_;
}

absl::Status ScramSha256Client::Fail(absl::Status status) {
  state_ = State::kFailed;
  Cleanse(password_);
  Cleanse(expected_server_signature_);
  return status;
}

absl::Status ScramSha256Client::CheckState(State expected, absl::string_view call) {
  if (state_ == expected) return absl::OkStatus();
  if (state_ == State::kFailed) {
    return absl::FailedPreconditionError(
        absl::StrCat("SCRAM ", call, " called after the exchange failed"));
  }
  return Fail(absl::FailedPreconditionError(absl::StrCat("SCRAM ", call, " called out of order")));
}

absl::StatusOr<std::string> ScramSha256Client::HandleServerFirst(absl::string_view server_first) {
  if (absl::Status s = CheckState(State::kAwaitingServerFirst, "HandleServerFirst"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> client_final = BuildClientFinal(server_first);
  if (!client_final.ok()) return Fail(client_final.status());
  state_ = State::kAwaitingServerFinal;
  return client_final;
}

// RFC 5802 §3 "SCRAM Algorithm Overview":
//   SaltedPassword  := Hi(Normalize(password), salt, i)
//   ClientKey       := HMAC(SaltedPassword, "Client Key")
//   StoredKey       := H(ClientKey)
//   AuthMessage     := client-first-message-bare + "," + server-first-message + "," +
//                      client-final-message-without-proof
//   ClientSignature := HMAC(StoredKey, AuthMessage)
//   ClientProof     := ClientKey XOR ClientSignature
//   ServerKey       := HMAC(SaltedPassword, "Server Key")
//   ServerSignature := HMAC(ServerKey, AuthMessage)
absl::StatusOr<std::string> ScramSha256Client::BuildClientFinal(absl::string_view server_first) {
  if (!IsPrintableNonce(client_nonce_)) {
    return absl::InvalidArgumentError("SCRAM client nonce is not printable");
  }
  if (options_.max_iterations < 1) {
    return absl::InvalidArgumentError("SCRAM max_iterations must be at least 1");
  }
  const ChannelBinding& cb = options_.channel_binding;
  if (cb.type != ChannelBindingType::kNone && cb.data.empty()) {
    return absl::FailedPreconditionError("SCRAM channel binding requested without binding data");
  }
  absl::StatusOr<ServerFirstMessage> parsed =
      ParseServerFirst(server_first, options_.max_iterations);
  if (!parsed.ok()) return parsed.status();
  // RFC 5802 §5.1 "r": the server's nonce must start with ours; we also require it to add
  // something of its own, or a replayed/reflected exchange would go unnoticed.
  if (parsed->nonce.size() <= client_nonce_.size() ||
      !absl::StartsWith(parsed->nonce, client_nonce_)) {
    return absl::InvalidArgumentError("SCRAM server nonce does not extend the client nonce");
  }
  const std::string without_proof = absl::StrCat(ChannelBindingAttribute(cb), ",r=", parsed->nonce);
  const std::string auth_message =
      absl::StrCat(client_first_bare_, ",", server_first, ",", without_proof);

  std::string salted = Pbkdf2HmacSha256(password_, parsed->salt, parsed->iterations);
  std::string client_key = HmacSha256(salted, "Client Key");
  std::string stored_key = Sha256(client_key);
  std::string client_signature = HmacSha256(stored_key, auth_message);
  std::string proof = Xor(client_key, client_signature);
  std::string server_key = HmacSha256(salted, "Server Key");
  expected_server_signature_ = HmacSha256(server_key, auth_message);
  std::string client_final = absl::StrCat(without_proof, ",p=", Base64Encode(proof));
  for (std::string* secret :
       {&salted, &client_key, &stored_key, &client_signature, &proof, &server_key}) {
    Cleanse(*secret);
  }
  // The password is no longer needed: everything left to check derives from ServerKey.
  Cleanse(password_);
  return client_final;
}

absl::Status ScramSha256Client::HandleServerFinal(absl::string_view server_final) {
  if (absl::Status s = CheckState(State::kAwaitingServerFinal, "HandleServerFinal"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> signature = ParseServerFinal(server_final);
  if (!signature.ok()) return Fail(signature.status());
  // RFC 5802 §5.1 "v": the client verifies ServerSignature; compare in constant time.
  if (!ConstantTimeEquals(*signature, expected_server_signature_)) {
    return Fail(absl::UnauthenticatedError(
        "SCRAM server signature mismatch: the server does not know the password"));
  }
  Cleanse(expected_server_signature_);
  state_ = State::kDone;
  return absl::OkStatus();
}

}  // namespace warden::pgauth
