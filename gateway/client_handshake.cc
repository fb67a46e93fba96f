#include "gateway/client_handshake.h"

#include "absl/strings/str_cat.h"
#include "common/pgwire/pgwire.h"
#include "gateway/startup_settings.h"

namespace warden::gateway {

namespace {

// PostgreSQL 15's PG_PROTOCOL_LATEST, which it puts in NegotiateProtocolVersion (the whole
// version, 3.0, not the bare minor number: libpq compares it with the version it asked for).
constexpr int32_t kNewestProtocol = static_cast<int32_t>(pgwire::kProtocolVersion30);

}  // namespace

bool ClientHandshake::Feed(std::string_view bytes) {
  // A start-up is one packet and one password message; a client sending more before it has
  // authenticated is refused rather than buffered.
  if (in_.size() + bytes.size() > pgwire::kMaxStartupPacket * 2) {
    Fail("08P01", "too much data before authentication");
    return false;
  }
  in_.append(bytes);
  return true;
}

ClientHandshake::Step ClientHandshake::Fail(std::string sqlstate, std::string message) {
  state_ = State::kFailed;
  sqlstate_ = std::move(sqlstate);
  message_ = std::move(message);
  reply_ = pgwire::BuildErrorResponse("FATAL", sqlstate_, message_);
  return Step::kFail;
}

ClientHandshake::Step ClientHandshake::Next() {
  reply_.clear();
  switch (state_) {
    case State::kStartup:
      return OnStartupPacket();
    case State::kPassword:
      return OnPassword();
    case State::kDone:
      return Step::kAuthorize;
    case State::kFailed:
      reply_ = pgwire::BuildErrorResponse("FATAL", sqlstate_, message_);
      return Step::kFail;
  }
  return Step::kNeedMore;
}

ClientHandshake::Step ClientHandshake::OnStartupPacket() {
  auto r = pgwire::DecodeStartup(in_);
  if (r.need_more()) return Step::kNeedMore;
  if (r.is_error()) {
    return Fail("08P01", absl::StrCat("invalid startup packet: ", r.status().message()));
  }
  const size_t used = r.consumed();
  if (std::holds_alternative<pgwire::SSLRequest>(r.message())) {
    in_.erase(0, used);
    // Bytes sent after SSLRequest but before the handshake would be read as if they had been
    // encrypted (CVE-2021-23214): refuse them.
    if (tls_ || !in_.empty()) return Fail("08P01", "unexpected data around SSLRequest");
    reply_.assign(1, pgwire::kEncryptionAccepted);
    return Step::kStartTls;
  }
  if (std::holds_alternative<pgwire::GSSENCRequest>(r.message())) {
    in_.erase(0, used);
    // As PostgreSQL: one GSSENCRequest, and none once TLS is up.
    if (std::exchange(gssenc_refused_, true) || tls_) {
      return Fail("08P01", "unexpected GSSENCRequest");
    }
    reply_.assign(1, pgwire::kEncryptionRefused);  // the client goes on with SSL or a startup
    return Step::kReply;
  }
  if (const auto* cancel = std::get_if<pgwire::CancelRequest>(&r.message())) {
    cancel_ = *cancel;
    in_.clear();
    state_ = State::kFailed;  // nothing else is read on this connection
    sqlstate_ = "08P01";
    message_ = "nothing may follow a CancelRequest";
    return Step::kCancel;
  }
  const auto& startup = std::get<pgwire::StartupMessage>(r.message());
  auto database = startup.Get("database");
  if (!database || database->empty()) database = startup.Get("user");
  if (!database || database->empty()) {
    return Fail("08P01", "no database given: use the Warden connection name as the database");
  }
  // A token in clear text is accepted only where the listener is configured for it, never
  // because of the peer's address (a local proxy or port forward looks local too).
  if (!tls_ && !options_.allow_tokens_without_tls) {
    return Fail("28000", "Warden requires TLS for tokens: connect with sslmode=require");
  }
  // Settings pass on to the agent, which decides those beyond ordinary session settings by
  // policy; what cannot pass is refused here, named, never dropped silently.
  auto settings = ReviewStartupSettings(startup.parameters);
  if (!settings.ok()) return Fail("42501", std::string(settings.status().message()));
  // As PostgreSQL 15 (ProcessStartupPacket): a newer minor version, or protocol options
  // (`_pq_.name`), get NegotiateProtocolVersion naming what it does not offer, and the session
  // goes on with protocol 3.0.
  std::vector<std::string_view> unrecognized;
  for (const auto& p : startup.parameters) {
    if (p.name.starts_with("_pq_.")) unrecognized.push_back(p.name);
  }
  if (startup.minor_version > 0 || !unrecognized.empty()) {
    reply_ = pgwire::BuildNegotiateProtocolVersion(kNewestProtocol, unrecognized);
  }
  connection_ = std::string(*database);
  settings_.assign(settings->begin(), settings->end());
  reply_ += pgwire::BuildAuthenticationCleartextPassword();
  in_.erase(0, used);
  state_ = State::kPassword;
  return Step::kReply;
}

ClientHandshake::Step ClientHandshake::OnPassword() {
  auto r = pgwire::DecodeFrontend(in_, pgwire::kMaxPreAuthMessage);
  if (r.need_more()) return Step::kNeedMore;
  if (r.is_error()) return Fail("08P01", absl::StrCat("invalid message: ", r.status().message()));
  if (std::holds_alternative<pgwire::Terminate>(r.message())) {
    in_.clear();
    state_ = State::kFailed;
    sqlstate_ = "08P01";
    message_ = "the client terminated the connection";
    return Step::kClose;
  }
  const auto* pw = std::get_if<pgwire::PasswordMessage>(&r.message());
  auto token = pw ? pgwire::ParsePassword(*pw) : absl::InvalidArgumentError("");
  if (!token.ok()) return Fail("08P01", "expected a password message carrying the Warden token");
  token_ = std::string(*token);
  in_.erase(0, r.consumed());
  state_ = State::kDone;
  return Step::kAuthorize;
}

}  // namespace warden::gateway
