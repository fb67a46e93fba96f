// UpstreamHandshake: the agent's start-up with the database, driven by server messages built with
// pgwire's builders, each fed whole and split at every byte.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/runtime/upstream_handshake.h"
#include "common/pgauth/md5_password.h"
#include "common/pgauth/scram_crypto.h"
#include "common/pgwire/pgwire.h"
#include "common/util/base64.h"

using warden::agent::DatabaseSecret;
using warden::agent::HandshakeParams;
using warden::agent::UpstreamHandshake;
namespace pgwire = warden::pgwire;
namespace pgauth = warden::pgauth;
using State = UpstreamHandshake::State;

namespace {

constexpr char kUser[] = "app_owner";
constexpr char kPassword[] = "s3cret-pw";

std::unique_ptr<UpstreamHandshake> MakeHandshake(const std::string& password = kPassword) {
  auto secret = std::make_unique<DatabaseSecret>();
  secret->username = kUser;
  secret->password = password;
  HandshakeParams params;
  params.database = "appdb";
  params.client_parameters = {{"application_name", "psql"}, {"client_encoding", "UTF8"}};
  return std::make_unique<UpstreamHandshake>(std::move(secret), std::move(params));
}

// Feeds `bytes` cut at `cut` (two calls) and returns everything the handshake wants to send.
std::string FeedSplit(UpstreamHandshake& hs, const std::string& bytes, size_t cut) {
  std::string out;
  hs.Feed(std::string_view(bytes).substr(0, cut), &out);
  hs.Feed(std::string_view(bytes).substr(cut), &out);
  return out;
}

// The body of the single 'p' message in `bytes`.
pgwire::PasswordMessage OnlyPasswordMessage(const std::string& bytes) {
  auto r = pgwire::DecodeFrontend(bytes);
  REQUIRE(r.has_message());
  REQUIRE(r.consumed() == bytes.size());
  auto* p = std::get_if<pgwire::PasswordMessage>(&r.message());
  REQUIRE(p != nullptr);
  return *p;
}

std::string AfterAuthOk() {
  return pgwire::BuildParameterStatus("server_version", "15.6") +
         pgwire::BuildBackendKeyData(4242, -17) +
         pgwire::BuildNoticeResponse("NOTICE", "00000", "welcome") +
         pgwire::BuildParameterStatus("TimeZone", "UTC") + pgwire::BuildReadyForQuery('I');
}

std::string ExpectedStartupMessages() {
  return pgwire::BuildParameterStatus("server_version", "15.6") +
         pgwire::BuildNoticeResponse("NOTICE", "00000", "welcome") +
         pgwire::BuildParameterStatus("TimeZone", "UTC") + pgwire::BuildReadyForQuery('I');
}

void ExpectReady(UpstreamHandshake& hs) {
  REQUIRE(hs.state() == State::kReady);
  CHECK(hs.startup_messages() == ExpectedStartupMessages());
  REQUIRE(hs.backend_key().has_value());
  CHECK(hs.backend_key()->process_id == 4242);
  CHECK(hs.backend_key()->secret_key == -17);
}

// Server side of SCRAM-SHA-256 (RFC 5802 §3), enough to check the client and answer it.
struct ScramServer {
  std::string password = kPassword;
  std::string salt = "0123456789abcdef";
  int iterations = 4096;
  std::string client_first_bare, server_first;

  std::string First(std::string_view client_first) {
    REQUIRE(client_first.substr(0, 3) == "n,,");
    client_first_bare = std::string(client_first.substr(3));
    auto r = client_first_bare.find("r=");
    REQUIRE(r != std::string::npos);
    server_first = "r=" + client_first_bare.substr(r + 2) +
                   "SERVERNONCE,s=" + warden::Base64Encode(salt) +
                   ",i=" + std::to_string(iterations);
    return server_first;
  }

  // Checks the client proof; returns the server-final-message (or a wrong one if `forge`).
  std::string Final(std::string_view client_final, bool forge = false) {
    auto p = client_final.find(",p=");
    REQUIRE(p != std::string_view::npos);
    std::string without_proof(client_final.substr(0, p));
    auto proof = warden::Base64Decode(std::string(client_final.substr(p + 3)));
    REQUIRE(proof.has_value());
    std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
    std::string salted = pgauth::Pbkdf2HmacSha256(password, salt, iterations);
    std::string client_key = pgauth::HmacSha256(salted, "Client Key");
    std::string stored_key = pgauth::Sha256(client_key);
    std::string client_sig = pgauth::HmacSha256(stored_key, auth_message);
    std::string recovered(proof->size(), '\0');
    for (size_t i = 0; i < recovered.size(); ++i) recovered[i] = (*proof)[i] ^ client_sig[i];
    CHECK(pgauth::Sha256(recovered) == stored_key);
    std::string server_key = pgauth::HmacSha256(salted, "Server Key");
    std::string server_sig = pgauth::HmacSha256(server_key, auth_message);
    if (forge) server_sig[0] ^= 1;
    return "v=" + warden::Base64Encode(server_sig);
  }
};

}  // namespace

TEST_CASE("handshake: the StartupMessage carries user, database and client parameters") {
  auto hs = MakeHandshake();
  std::string bytes = hs->StartupBytes();
  auto r = pgwire::DecodeStartup(bytes);
  REQUIRE(r.has_message());
  auto* m = std::get_if<pgwire::StartupMessage>(&r.message());
  REQUIRE(m != nullptr);
  CHECK(m->Get("user") == std::optional<std::string_view>(kUser));
  CHECK(m->Get("database") == std::optional<std::string_view>("appdb"));
  CHECK(m->Get("application_name") == std::optional<std::string_view>("psql"));
  CHECK(m->Get("client_encoding") == std::optional<std::string_view>("UTF8"));
}

TEST_CASE("handshake: cleartext password is refused without TLS") {
  auto hs = MakeHandshake();
  std::string out;
  hs->Feed(pgwire::BuildAuthenticationCleartextPassword(), &out);
  CHECK(hs->state() == State::kFailed);
  CHECK(out.find(kPassword) == std::string::npos);
  CHECK(hs->error().sqlstate == "28000");
  CHECK(hs->error().message.find("clear text") != std::string::npos);
}

TEST_CASE("handshake: cleartext password over TLS, every message split at every byte") {
  std::string request = pgwire::BuildAuthenticationCleartextPassword();
  std::string ok = pgwire::BuildAuthenticationOk() + AfterAuthOk();
  for (size_t cut = 0; cut <= request.size(); ++cut) {
    auto hs = MakeHandshake();
    hs->set_transport_encrypted(true);
    std::string out = FeedSplit(*hs, request, cut);
    REQUIRE(hs->state() == State::kAwaitingAuthOk);
    auto pw = pgwire::ParsePassword(OnlyPasswordMessage(out));
    REQUIRE(pw.ok());
    CHECK(*pw == kPassword);
    std::string none = FeedSplit(*hs, ok, cut % ok.size());
    CHECK(none.empty());
    ExpectReady(*hs);
    CHECK(hs->auth_method() == "password");
  }
  // The whole after-AuthenticationOk sequence split at every byte.
  for (size_t cut = 0; cut <= ok.size(); ++cut) {
    auto hs = MakeHandshake();
    hs->set_transport_encrypted(true);
    std::string out;
    hs->Feed(request, &out);
    FeedSplit(*hs, ok, cut);
    ExpectReady(*hs);
  }
}

TEST_CASE("handshake: md5 password") {
  std::string salt = "\x01\x02\xff\x7f";
  std::string request = pgwire::BuildAuthenticationMD5Password(salt);
  for (size_t cut = 0; cut <= request.size(); ++cut) {
    auto hs = MakeHandshake();
    std::string out = FeedSplit(*hs, request, cut);
    REQUIRE(hs->state() == State::kAwaitingAuthOk);
    auto pw = pgwire::ParsePassword(OnlyPasswordMessage(out));
    REQUIRE(pw.ok());
    CHECK(*pw == pgauth::Md5PasswordResponse(kUser, kPassword, {0x01, 0x02, 0xff, 0x7f}));
    out.clear();
    hs->Feed(pgwire::BuildAuthenticationOk() + AfterAuthOk(), &out);
    ExpectReady(*hs);
  }
}

TEST_CASE("handshake: SCRAM-SHA-256, every server message split at every byte") {
  ScramServer server;
  std::string sasl = pgwire::BuildAuthenticationSASL({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
  for (size_t cut = 0; cut <= sasl.size(); ++cut) {
    auto hs = MakeHandshake();
    std::string out = FeedSplit(*hs, sasl, cut);
    REQUIRE(hs->state() == State::kAwaitingSaslContinue);
    auto init = pgwire::ParseSASLInitialResponse(OnlyPasswordMessage(out));
    REQUIRE(init.ok());
    CHECK(init->mechanism == "SCRAM-SHA-256");
    REQUIRE(init->data.has_value());
    std::string cont = pgwire::BuildAuthenticationSASLContinue(server.First(*init->data));
    out = FeedSplit(*hs, cont, cut % (cont.size() + 1));
    REQUIRE(hs->state() == State::kAwaitingSaslFinal);
    std::string client_final(pgwire::ParseSASLResponse(OnlyPasswordMessage(out)));
    std::string fin = pgwire::BuildAuthenticationSASLFinal(server.Final(client_final));
    out = FeedSplit(*hs, fin + pgwire::BuildAuthenticationOk() + AfterAuthOk(), cut);
    CHECK(out.empty());
    ExpectReady(*hs);
    CHECK(hs->auth_method() == "SCRAM-SHA-256");
  }
}

TEST_CASE("handshake: SCRAM fails when the server cannot prove it knows the password") {
  ScramServer server;
  auto hs = MakeHandshake();
  std::string out;
  hs->Feed(pgwire::BuildAuthenticationSASL({"SCRAM-SHA-256"}), &out);
  auto init = pgwire::ParseSASLInitialResponse(OnlyPasswordMessage(out));
  REQUIRE(init.ok());
  out.clear();
  hs->Feed(pgwire::BuildAuthenticationSASLContinue(server.First(*init->data)), &out);
  std::string client_final(pgwire::ParseSASLResponse(OnlyPasswordMessage(out)));
  out.clear();

  SECTION("a forged server signature") {
    std::string fin = pgwire::BuildAuthenticationSASLFinal(server.Final(client_final, true));
    hs->Feed(fin + pgwire::BuildAuthenticationOk() + AfterAuthOk(), &out);
    CHECK(hs->state() == State::kFailed);
    CHECK(hs->error().sqlstate == "08006");
  }
  SECTION("AuthenticationOk without SASLFinal") {
    hs->Feed(pgwire::BuildAuthenticationOk() + AfterAuthOk(), &out);
    CHECK(hs->state() == State::kFailed);
  }
  CHECK(out.empty());
}

TEST_CASE("handshake: SASL without SCRAM-SHA-256 is refused") {
  auto hs = MakeHandshake();
  std::string out;
  hs->Feed(pgwire::BuildAuthenticationSASL({"SCRAM-SHA-256-PLUS"}), &out);
  CHECK(hs->state() == State::kFailed);
  CHECK(hs->error().sqlstate == "08004");
  CHECK(out.empty());
}

TEST_CASE("handshake: trust (AuthenticationOk at once)") {
  auto hs = MakeHandshake();
  std::string out;
  hs->Feed(pgwire::BuildAuthenticationOk() + AfterAuthOk(), &out);
  CHECK(out.empty());
  ExpectReady(*hs);
  CHECK(hs->auth_method() == "trust");
}

TEST_CASE("handshake: server errors keep their SQLSTATE but never name the role") {
  auto hs = MakeHandshake();
  hs->set_transport_encrypted(true);
  std::string out;
  hs->Feed(pgwire::BuildAuthenticationCleartextPassword(), &out);
  hs->Feed(pgwire::BuildErrorResponse("FATAL", "28P01",
                                      "password authentication failed for user \"app_owner\""),
           &out);
  REQUIRE(hs->state() == State::kFailed);
  CHECK(hs->error().sqlstate == "28P01");
  CHECK(hs->error().message.find(kUser) == std::string::npos);
  CHECK(hs->error().message.find(kPassword) == std::string::npos);

  auto other = MakeHandshake();
  out.clear();
  other->Feed(pgwire::BuildErrorResponse("FATAL", "3D000", "database \"appdb\" does not exist"),
              &out);
  REQUIRE(other->state() == State::kFailed);
  CHECK(other->error().sqlstate == "3D000");
  CHECK(other->error().message.find("does not exist") != std::string::npos);

  auto busy = MakeHandshake();
  out.clear();
  busy->Feed(pgwire::BuildErrorResponse(
                 "FATAL", "53300", std::string("too many connections for role \"") + kUser + "\""),
             &out);
  CHECK(busy->error().sqlstate == "53300");
  CHECK(busy->error().message.find(kUser) == std::string::npos);
  CHECK(busy->error().message.find("<connection user>") != std::string::npos);
}

TEST_CASE("handshake: unsupported methods and protocol violations fail") {
  std::string out;
  auto gss = MakeHandshake();
  pgwire::Authentication req;
  req.code = pgwire::AuthCode::kGSS;
  std::string bytes;
  pgwire::Encode(req, &bytes);
  gss->Feed(bytes, &out);
  CHECK(gss->state() == State::kFailed);
  CHECK(gss->error().sqlstate == "08004");

  auto garbage = MakeHandshake();
  garbage->Feed(std::string("R\0\0\0\x02", 5), &out);
  CHECK(garbage->state() == State::kFailed);
  CHECK(garbage->error().sqlstate == "08P01");

  auto early_row = MakeHandshake();
  early_row->Feed(pgwire::BuildDataRow({std::string_view("x")}), &out);
  CHECK(early_row->state() == State::kFailed);

  auto row_in_startup = MakeHandshake();
  row_in_startup->Feed(pgwire::BuildAuthenticationOk() + pgwire::BuildCommandComplete("SELECT 1"),
                       &out);
  CHECK(row_in_startup->state() == State::kFailed);
  CHECK(out.empty());
}

TEST_CASE("handshake: bytes after ReadyForQuery are left for the pump") {
  auto hs = MakeHandshake();
  std::string out;
  std::string extra = pgwire::BuildNotificationResponse(1, "chan", "payload");
  hs->Feed(pgwire::BuildAuthenticationOk() + AfterAuthOk() + extra, &out);
  ExpectReady(*hs);
  CHECK(hs->TakeLeftover() == extra);
  // Further bytes are not the handshake's.
  CHECK(hs->Feed("more", &out) == State::kReady);
}
