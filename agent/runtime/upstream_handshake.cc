#include "agent/runtime/upstream_handshake.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/pgauth/md5_password.h"
#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/startup.h"

namespace warden::agent {

namespace {

constexpr char kScramSha256[] = "SCRAM-SHA-256";

// pgwire speaks std::string_view; Debian's Abseil has its own string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view AuthName(pgwire::AuthCode code) {
  switch (code) {
    case pgwire::AuthCode::kKerberosV5:
      return "Kerberos V5";
    case pgwire::AuthCode::kSCMCredential:
      return "SCM credential";
    case pgwire::AuthCode::kGSS:
    case pgwire::AuthCode::kGSSContinue:
      return "GSSAPI";
    case pgwire::AuthCode::kSSPI:
      return "SSPI";
    default:
      return "unexpected";
  }
}

}  // namespace

UpstreamHandshake::UpstreamHandshake(std::unique_ptr<DatabaseSecret> secret, HandshakeParams params)
    : secret_(std::move(secret)), params_(std::move(params)) {}

UpstreamHandshake::~UpstreamHandshake() = default;  // DatabaseSecret and ScramSha256Client wipe

std::string UpstreamHandshake::StartupBytes() const {
  std::vector<pgwire::StartupParameter> ps;
  ps.push_back({"user", secret_->username});
  ps.push_back({"database", params_.database});
  for (const auto& [name, value] : params_.client_parameters) ps.push_back({name, value});
  return pgwire::BuildStartupMessage(ps);
}

std::string UpstreamHandshake::TakeLeftover() {
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

UpstreamHandshake::State UpstreamHandshake::Feed(std::string_view bytes, std::string* out) {
  if (state_ == State::kReady || state_ == State::kFailed) return state_;
  buffer_.append(bytes.data(), bytes.size());
  size_t pos = 0;
  while (state_ != State::kReady && state_ != State::kFailed) {
    std::string_view rest = std::string_view(buffer_).substr(pos);
    auto r = pgwire::DecodeBackend(rest, kMaxHandshakeMessage);
    if (r.need_more()) break;
    if (r.is_error()) {
      Fail("08P01", "the database sent a malformed message during start-up");
      break;
    }
    Handle(r.message(), rest.substr(0, r.consumed()), out);
    pos += r.consumed();
  }
  buffer_.erase(0, pos);
  if (state_ == State::kFailed) buffer_.clear();
  return state_;
}

void UpstreamHandshake::Handle(const pgwire::BackendMessage& msg, std::string_view raw,
                               std::string* out) {
  if (const auto* err = std::get_if<pgwire::ErrorResponse>(&msg)) return OnServerError(*err);
  if (state_ == State::kAwaitingReady) return OnStartupMessage(msg, raw);
  // Before AuthenticationOk a server may send a NoticeResponse; it is not the client's (the
  // client has not been authenticated by this database yet), so drop it.
  if (std::holds_alternative<pgwire::NoticeResponse>(msg)) return;
  const auto* auth = std::get_if<pgwire::Authentication>(&msg);
  if (!auth) {
    return Fail("08P01", "the database sent an unexpected message during authentication");
  }
  switch (state_) {
    case State::kAwaitingAuthRequest:
      return OnAuthRequest(*auth, out);
    case State::kAwaitingSaslContinue:
      return OnSaslContinue(*auth, out);
    case State::kAwaitingSaslFinal:
      return OnSaslFinal(*auth);
    case State::kAwaitingAuthOk:
      return OnAuthOk(*auth);
    default:
      return;
  }
}

// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.3
void UpstreamHandshake::OnAuthRequest(const pgwire::Authentication& auth, std::string* out) {
  switch (auth.code) {
    case pgwire::AuthCode::kOk:  // trust: no password asked
      state_ = State::kAwaitingReady;
      secret_->WipePassword();
      return;
    case pgwire::AuthCode::kCleartextPassword:
      auth_method_ = "password";
      if (!encrypted_) {
        return Fail("28000",
                    "the database asked for the password in clear text over an unencrypted "
                    "connection; Warden refuses to send it (use scram-sha-256 on the server, or "
                    "a connection --tls-mode of require or verify-full)");
      }
      out->append(pgwire::BuildPasswordMessage(secret_->password));
      state_ = State::kAwaitingAuthOk;
      return;
    case pgwire::AuthCode::kMD5Password: {
      auth_method_ = "md5";
      pgauth::Md5Salt salt{};
      for (size_t i = 0; i < salt.size() && i < auth.salt.size(); ++i) {
        salt[i] = static_cast<uint8_t>(auth.salt[i]);
      }
      std::string reply = pgauth::Md5PasswordResponse(secret_->username, secret_->password, salt);
      out->append(pgwire::BuildPasswordMessage(reply));
      WipeString(reply);
      state_ = State::kAwaitingAuthOk;
      return;
    }
    case pgwire::AuthCode::kSASL:
      return OnSasl(auth, out);
    default:
      return Fail("08004", absl::StrCat("the database asked for ", Av(AuthName(auth.code)),
                                        " authentication, which Warden does not support"));
  }
}

// https://www.postgresql.org/docs/15/sasl-authentication.html. Channel binding is not used
// ("n,," gs2 header), which PostgreSQL accepts even when it offers SCRAM-SHA-256-PLUS.
void UpstreamHandshake::OnSasl(const pgwire::Authentication& auth, std::string* out) {
  bool offered = false;
  for (auto m : auth.mechanisms) offered = offered || m == kScramSha256;
  if (!offered) {
    return Fail("08004", "the database offered no SASL mechanism Warden supports");
  }
  auth_method_ = kScramSha256;
  scram_ = std::make_unique<pgauth::ScramSha256Client>(secret_->password);
  std::string first = scram_->ClientFirstMessage();
  std::string_view mech(scram_->Mechanism().data(), scram_->Mechanism().size());
  out->append(pgwire::BuildSASLInitialResponse(mech, first));
  state_ = State::kAwaitingSaslContinue;
}

void UpstreamHandshake::OnSaslContinue(const pgwire::Authentication& auth, std::string* out) {
  if (auth.code != pgwire::AuthCode::kSASLContinue) {
    return Fail("08P01", "the database broke off the SCRAM exchange");
  }
  auto final_msg = scram_->HandleServerFirst(absl::string_view(auth.data.data(), auth.data.size()));
  if (!final_msg.ok()) {
    return Fail("08P01", absl::StrCat("SCRAM exchange with the database failed: ",
                                      final_msg.status().message()));
  }
  out->append(pgwire::BuildSASLResponse(*final_msg));
  WipeString(*final_msg);
  state_ = State::kAwaitingSaslFinal;
}

void UpstreamHandshake::OnSaslFinal(const pgwire::Authentication& auth) {
  if (auth.code != pgwire::AuthCode::kSASLFinal) {
    return Fail("08P01", "the database broke off the SCRAM exchange");
  }
  absl::Status st =
      scram_->HandleServerFinal(absl::string_view(auth.data.data(), auth.data.size()));
  if (!st.ok()) {
    // The server could not prove it knows the verifier: it is not the database we think.
    return Fail("08006",
                absl::StrCat("the database failed SCRAM server authentication: ", st.message()));
  }
  state_ = State::kAwaitingAuthOk;
}

void UpstreamHandshake::OnAuthOk(const pgwire::Authentication& auth) {
  if (auth.code != pgwire::AuthCode::kOk) {
    return Fail("08P01", "the database sent an unexpected authentication request");
  }
  if (scram_ && !scram_->done()) {
    return Fail("08006", "the database skipped SCRAM server authentication");
  }
  scram_.reset();  // wipes the SCRAM keys
  secret_->WipePassword();
  state_ = State::kAwaitingReady;
}

// Between AuthenticationOk and ReadyForQuery:
// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.3 (last paragraphs).
void UpstreamHandshake::OnStartupMessage(const pgwire::BackendMessage& msg, std::string_view raw) {
  if (const auto* key = std::get_if<pgwire::BackendKeyData>(&msg)) {
    backend_key_ = *key;  // the gateway gives the client its own key instead
    return;
  }
  if (std::holds_alternative<pgwire::NegotiateProtocolVersion>(msg)) return;
  bool forward = std::holds_alternative<pgwire::ParameterStatus>(msg) ||
                 std::holds_alternative<pgwire::NoticeResponse>(msg) ||
                 std::holds_alternative<pgwire::ReadyForQuery>(msg);
  if (!forward) return Fail("08P01", "the database sent an unexpected message during start-up");
  if (startup_messages_.size() + raw.size() > kMaxStartupMessages) {
    return Fail("08P01", "the database sent too many start-up messages");
  }
  startup_messages_.append(raw.data(), raw.size());
  if (std::holds_alternative<pgwire::ReadyForQuery>(msg)) state_ = State::kReady;
}

void UpstreamHandshake::OnServerError(const pgwire::ErrorResponse& err) {
  std::string sqlstate(err.sqlstate());
  if (sqlstate.size() != 5) sqlstate = "08006";
  // Class 28 (invalid authorization) messages name the database role: part of the credential,
  // which the client must never see.
  if (sqlstate.compare(0, 2, "28") == 0) {
    return Fail(sqlstate, absl::StrCat("the database rejected the connection's credential (",
                                       Av(auth_method_), " authentication)"));
  }
  // Other messages may still name the role ("too many connections for role ..."): the client
  // sees the connection's user only as a placeholder.
  std::string m(err.message());
  if (secret_ && !secret_->username.empty()) {
    m = absl::StrReplaceAll(m, {{secret_->username, "<connection user>"}});
  }
  Fail(sqlstate, absl::StrCat("the database refused the connection: ", m));
}

void UpstreamHandshake::Fail(std::string sqlstate, std::string message) {
  state_ = State::kFailed;
  error_ = {std::move(sqlstate), std::move(message)};
  scram_.reset();
  if (secret_) secret_->WipePassword();
}

}  // namespace warden::agent
