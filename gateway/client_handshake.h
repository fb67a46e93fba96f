// A PostgreSQL client's start-up on the gateway, up to the Warden token, as an I/O-free state
// machine (https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-START-UP):
//
//   kStartup   SSLRequest      -> write 'S', run the TLS handshake, call TlsUp()
//              GSSENCRequest   -> write 'N' (once, and never over TLS)
//              CancelRequest   -> route it; close without a reply, as PostgreSQL does
//              StartupMessage  -> [NegotiateProtocolVersion] AuthenticationCleartextPassword
//   kPassword  PasswordMessage -> the token, for the control plane;
//              Terminate       -> close quietly
//   kDone      the caller authorizes the token; bytes the client pipelined behind its password
//              are in pipelined()
//   kFailed    write the FATAL and close
//
// ClientSession (client_session.h) does the reading, writing, TLS and authorization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/pgwire/startup.h"

namespace warden::gateway {

class ClientHandshake {
 public:
  struct Options {
    // Accept a token without TLS (warden-gateway --allow-tokens-without-tls).
    bool allow_tokens_without_tls = false;
  };

  enum class Step {
    kNeedMore,   // read more bytes and Feed() them
    kReply,      // write reply(), then call Next() again
    kStartTls,   // write reply() ('S'), run the server TLS handshake, TlsUp(), then Next()
    kCancel,     // route cancel(), then close without writing anything
    kAuthorize,  // authorize token() for connection() (the handshake is done)
    kClose,      // close without writing anything (the client sent Terminate)
    kFail,       // write reply() (a FATAL ErrorResponse), then close; sqlstate()/message() say why
  };

  explicit ClientHandshake(Options options) : options_(options) {}

  // Bytes from the client. False (and Next() returns kFail) when more arrived before
  // authentication than any start-up needs.
  bool Feed(std::string_view bytes);
  // The next thing to do with what has arrived.
  Step Next();
  // The TLS handshake after kStartTls succeeded: later bytes are read from the TLS stream.
  void TlsUp() { tls_ = true; }

  const std::string& reply() const { return reply_; }
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& message() const { return message_; }
  const pgwire::CancelRequest& cancel() const { return cancel_; }
  // After kAuthorize: the Warden connection the client named as its database, the token, the
  // settings to pass on to the agent (startup_settings.h), and bytes pipelined behind the token.
  const std::string& connection() const { return connection_; }
  std::string TakeToken() { return std::exchange(token_, {}); }
  const std::vector<std::pair<std::string, std::string>>& settings() const { return settings_; }
  std::string TakePipelined() { return std::exchange(in_, {}); }
  bool tls() const { return tls_; }

 private:
  enum class State { kStartup, kPassword, kDone, kFailed };
  Step OnStartupPacket();
  Step OnPassword();
  Step Fail(std::string sqlstate, std::string message);

  Options options_;
  State state_ = State::kStartup;
  bool tls_ = false;
  bool gssenc_refused_ = false;
  std::string in_;
  std::string reply_;
  std::string sqlstate_;
  std::string message_;
  pgwire::CancelRequest cancel_;
  std::string connection_;
  std::string token_;
  std::vector<std::pair<std::string, std::string>> settings_;
};

}  // namespace warden::gateway
