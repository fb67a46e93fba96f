// The agent's side of PostgreSQL's start-up with the real database, I/O-free: from the
// StartupMessage through authentication to the first ReadyForQuery.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-START-UP
//
// The caller writes StartupBytes(), then feeds every byte the server sends to Feed(), writing
// whatever Feed() appends to `out` after each call, until state() is kReady or kFailed.
//
//   kAwaitingAuthRequest --Ok (trust)-------------------------------------> kAwaitingReady
//                        --CleartextPassword / MD5Password --> kAwaitingAuthOk --Ok--^
//                        --SASL --> kAwaitingSaslContinue --> kAwaitingSaslFinal --^ (via
//                                   kAwaitingAuthOk, only once the server signature checks)
//   kAwaitingReady: BackendKeyData kept, ParameterStatus / NoticeResponse collected,
//                   ReadyForQuery --> kReady.  ErrorResponse or anything unexpected --> kFailed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/runtime/credential.h"
#include "common/pgauth/scram_client.h"
#include "common/pgwire/backend_messages.h"

namespace warden::agent {

// Bound on one server message during start-up: none legitimately comes near it.
inline constexpr size_t kMaxHandshakeMessage = 64 * 1024;
// Bound on everything the server sends between AuthenticationOk and ReadyForQuery.
inline constexpr size_t kMaxStartupMessages = 256 * 1024;

struct HandshakeParams {
  std::string database;
  // Parameters the client sent (without user and database), passed through in order.
  std::vector<std::pair<std::string, std::string>> client_parameters;
};

// Why the start-up failed, as the client's FATAL ErrorResponse will say it. Never holds secrets.
struct HandshakeError {
  std::string sqlstate;
  std::string message;
};

class UpstreamHandshake {
 public:
  enum class State {
    kAwaitingAuthRequest,
    kAwaitingSaslContinue,
    kAwaitingSaslFinal,
    kAwaitingAuthOk,
    kAwaitingReady,
    kReady,
    kFailed,
  };

  // Takes ownership of the secret; the password is wiped once the server has accepted it.
  UpstreamHandshake(std::unique_ptr<DatabaseSecret> secret, HandshakeParams params);
  ~UpstreamHandshake();

  // Whether the connection to the database is TLS. Without it, a server (or a machine in the
  // middle) asking for the password in clear text is refused: the credential must not cross
  // the network readable.
  void set_transport_encrypted(bool encrypted) { encrypted_ = encrypted; }

  // The StartupMessage (user = credential username, database, client parameters).
  std::string StartupBytes() const;

  // Consumes server bytes and appends the replies to `out` (which may hold secret material:
  // wipe it once written). Returns the new state.
  State Feed(std::string_view bytes, std::string* out);

  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }
  bool failed() const { return state_ == State::kFailed; }
  const HandshakeError& error() const { return error_; }
  // kReady: every ParameterStatus, NoticeResponse and the ReadyForQuery, as the server sent them.
  const std::string& startup_messages() const { return startup_messages_; }
  // The server's cancel key, when it sent one.
  const std::optional<pgwire::BackendKeyData>& backend_key() const { return backend_key_; }
  // kReady: bytes the server sent after ReadyForQuery (normally none); they belong to the pump.
  std::string TakeLeftover();
  // Which method the server asked for ("trust", "password", "md5", "SCRAM-SHA-256").
  std::string_view auth_method() const { return auth_method_; }

 private:
  void Handle(const pgwire::BackendMessage& msg, std::string_view raw, std::string* out);
  void OnAuthRequest(const pgwire::Authentication& auth, std::string* out);
  void OnSasl(const pgwire::Authentication& auth, std::string* out);
  void OnSaslContinue(const pgwire::Authentication& auth, std::string* out);
  void OnSaslFinal(const pgwire::Authentication& auth);
  void OnAuthOk(const pgwire::Authentication& auth);
  void OnStartupMessage(const pgwire::BackendMessage& msg, std::string_view raw);
  void OnServerError(const pgwire::ErrorResponse& err);
  void Fail(std::string sqlstate, std::string message);

  std::unique_ptr<DatabaseSecret> secret_;
  bool encrypted_ = false;
  HandshakeParams params_;
  State state_ = State::kAwaitingAuthRequest;
  std::unique_ptr<pgauth::ScramSha256Client> scram_;
  std::string buffer_;  // undecoded server bytes
  std::string startup_messages_;
  std::optional<pgwire::BackendKeyData> backend_key_;
  HandshakeError error_;
  std::string_view auth_method_ = "trust";
};

}  // namespace warden::agent
