// ScramSha256Client: RFC 7677 §3 test vector and the ways a server can misbehave.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/pgauth/scram_client.h"

using warden::pgauth::ChannelBindingType;
using warden::pgauth::ScramOptions;
using warden::pgauth::ScramSha256Client;
using State = ScramSha256Client::State;

namespace {

// RFC 7677 §3.
constexpr char kNonce[] = "rOprNGfwEbeRWgbNEkqO";
constexpr char kServerFirst[] =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr char kClientFinal[] =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr char kServerFinal[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::unique_ptr<ScramSha256Client> RfcClient() {
  ScramOptions options;
  options.username = "user";
  options.client_nonce = kNonce;
  return std::make_unique<ScramSha256Client>("pencil", options);
}

// A client that has sent its first message and awaits the server-first-message.
std::unique_ptr<ScramSha256Client> StartedRfcClient() {
  auto client = RfcClient();
  client->ClientFirstMessage();
  return client;
}

std::string ServerFirstWith(const std::string& salt_and_iterations) {
  return "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," + salt_and_iterations;
}

}  // namespace

TEST_CASE("SCRAM RFC 7677 test vector", "[pgauth]") {
  auto client = RfcClient();
  CHECK(client->Mechanism() == "SCRAM-SHA-256");
  CHECK(client->state() == State::kInitial);
  CHECK(client->ClientFirstMessage() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  CHECK(client->state() == State::kAwaitingServerFirst);
  auto final_message = client->HandleServerFirst(kServerFirst);
  REQUIRE(final_message.ok());
  CHECK(*final_message == kClientFinal);
  CHECK(client->state() == State::kAwaitingServerFinal);
  REQUIRE(client->HandleServerFinal(kServerFinal).ok());
  CHECK(client->done());
}

TEST_CASE("SCRAM client-first for PostgreSQL has an empty username and a random nonce",
          "[pgauth]") {
  ScramSha256Client a("pw");
  ScramSha256Client b("pw");
  std::string first_a = a.ClientFirstMessage();
  std::string first_b = b.ClientFirstMessage();
  CHECK(first_a.rfind("n,,n=,r=", 0) == 0);
  CHECK(first_a.size() == std::string("n,,n=,r=").size() + 24);  // 18 bytes, base64
  CHECK(first_a != first_b);
  CHECK(first_a.find(',', 8) == std::string::npos);
}

TEST_CASE("SCRAM username is escaped as a saslname", "[pgauth]") {
  ScramOptions options;
  options.username = "a,b=c";
  options.client_nonce = "xyz";
  ScramSha256Client client("pw", options);
  CHECK(client.ClientFirstMessage() == "n,,n=a=2Cb=3Dc,r=xyz");
}

TEST_CASE("SCRAM ignores optional extensions after the iteration count", "[pgauth]") {
  auto client = StartedRfcClient();
  std::string server_first = std::string(kServerFirst) + ",x=whatever";
  auto final_message = client->HandleServerFirst(server_first);
  REQUIRE(final_message.ok());
  // The proof covers the exact server-first bytes, so it differs from the RFC's.
  CHECK(final_message->rfind("c=biws,r=", 0) == 0);
}

TEST_CASE("SCRAM rejects a wrong server signature", "[pgauth]") {
  auto client = StartedRfcClient();
  REQUIRE(client->HandleServerFirst(kServerFirst).ok());
  auto status = client->HandleServerFinal("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  CHECK(status.code() == absl::StatusCode::kUnauthenticated);
  CHECK(client->state() == State::kFailed);
  // A failed exchange stays failed, even when the right answer arrives later.
  CHECK_FALSE(client->HandleServerFinal(kServerFinal).ok());
}

TEST_CASE("SCRAM rejects a wrong password through the server signature", "[pgauth]") {
  ScramOptions options;
  options.username = "user";
  options.client_nonce = kNonce;
  ScramSha256Client client("pencil2", options);
  client.ClientFirstMessage();
  auto final_message = client.HandleServerFirst(kServerFirst);
  REQUIRE(final_message.ok());
  CHECK(*final_message != kClientFinal);
  CHECK_FALSE(client.HandleServerFinal(kServerFinal).ok());
}

TEST_CASE("SCRAM rejects malformed server-final messages", "[pgauth]") {
  for (const char* bad : {"", "v=", "v=!!!!", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
                          "v=AAAA", "x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", "garbage"}) {
    auto client = StartedRfcClient();
    REQUIRE(client->HandleServerFirst(kServerFirst).ok());
    INFO(bad);
    CHECK_FALSE(client->HandleServerFinal(bad).ok());
    CHECK(client->state() == State::kFailed);
  }
}

TEST_CASE("SCRAM e= from the server names the reason", "[pgauth]") {
  auto client = StartedRfcClient();
  REQUIRE(client->HandleServerFirst(kServerFirst).ok());
  auto status = client->HandleServerFinal("e=invalid-proof");
  CHECK(status.code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(status.message()).find("invalid-proof") != std::string::npos);
  CHECK(client->state() == State::kFailed);
}

TEST_CASE("SCRAM e= reason is sanitized", "[pgauth]") {
  auto client = StartedRfcClient();
  REQUIRE(client->HandleServerFirst(kServerFirst).ok());
  auto status = client->HandleServerFinal(std::string("e=bad\x01\n") + std::string(500, 'x'));
  std::string message(status.message());
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.size() < 200);
}

TEST_CASE("SCRAM rejects a server nonce that does not extend ours", "[pgauth]") {
  for (const char* bad :
       {"r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",         // nothing added
        "r=rOprNGfwEbe,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",                  // shorter
        "r=rOprNGfwEbeRWgbNEkqO\x7f,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"}) {  // not printable
    auto client = StartedRfcClient();
    INFO(bad);
    CHECK(client->HandleServerFirst(bad).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(client->state() == State::kFailed);
  }
}

TEST_CASE("SCRAM rejects bad salts", "[pgauth]") {
  for (const char* salt : {"s=W22ZaJ0SNY7soEsUEjb6gQ=", "s=W22ZaJ0SNY7soEsUEjb6gQ",
                           "s=", "s=W22ZaJ0S NY7soEsUEjb6gQ==", "s=W22ZaJ0SNY7soEsUEjb6gR==",
                           "s=====", "s=W22ZaJ0SNY7soEsUEjb6g*=="}) {
    auto client = StartedRfcClient();
    INFO(salt);
    CHECK_FALSE(client->HandleServerFirst(ServerFirstWith(std::string(salt) + ",i=4096")).ok());
  }
}

TEST_CASE("SCRAM rejects missing or misplaced attributes", "[pgauth]") {
  const std::string nonce = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  for (const std::string& bad : std::vector<std::string>{
           "", nonce, nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==", nonce + ",i=4096",
           "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "s=W22ZaJ0SNY7soEsUEjb6gQ==," + nonce + ",i=4096",
           nonce + ",i=4096,s=W22ZaJ0SNY7soEsUEjb6gQ==",
           nonce + ",,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,", std::string("r"),
           std::string("rr=abc,s=AAAA,i=1")}) {
    auto client = StartedRfcClient();
    INFO(bad);
    CHECK_FALSE(client->HandleServerFirst(bad).ok());
  }
}

TEST_CASE("SCRAM rejects a mandatory extension", "[pgauth]") {
  auto client = StartedRfcClient();
  auto result = client->HandleServerFirst("m=ext," + std::string(kServerFirst));
  CHECK(result.status().code() == absl::StatusCode::kUnimplemented);
}

TEST_CASE("SCRAM bounds the iteration count", "[pgauth]") {
  const std::string salt = "s=W22ZaJ0SNY7soEsUEjb6gQ==";
  for (const char* bad : {"i=0", "i=", "i=-1", "i=+5", "i=4096x", "i=10000001",
                          "i=99999999999999999999999", "i=2147483648", "i=0x10"}) {
    auto client = StartedRfcClient();
    INFO(bad);
    CHECK(client->HandleServerFirst(ServerFirstWith(salt + "," + bad)).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  auto client = StartedRfcClient();
  CHECK(client->HandleServerFirst(ServerFirstWith(salt + ",i=1")).ok());
}

TEST_CASE("SCRAM max_iterations is configurable", "[pgauth]") {
  ScramOptions options;
  options.client_nonce = kNonce;
  options.max_iterations = 1000;
  ScramSha256Client client("pencil", options);
  client.ClientFirstMessage();
  CHECK_FALSE(client.HandleServerFirst(kServerFirst).ok());
}

TEST_CASE("SCRAM calls out of order are errors", "[pgauth]") {
  SECTION("server-first before client-first") {
    auto client = RfcClient();
    CHECK(client->HandleServerFirst(kServerFirst).status().code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(client->state() == State::kFailed);
  }
  SECTION("server-final before server-first") {
    auto client = StartedRfcClient();
    CHECK(client->HandleServerFinal(kServerFinal).code() == absl::StatusCode::kFailedPrecondition);
    CHECK_FALSE(client->HandleServerFirst(kServerFirst).ok());
  }
  SECTION("server-first twice") {
    auto client = StartedRfcClient();
    REQUIRE(client->HandleServerFirst(kServerFirst).ok());
    CHECK(client->HandleServerFirst(kServerFirst).status().code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK_FALSE(client->HandleServerFinal(kServerFinal).ok());
  }
  SECTION("server-final after done") {
    auto client = StartedRfcClient();
    REQUIRE(client->HandleServerFirst(kServerFirst).ok());
    REQUIRE(client->HandleServerFinal(kServerFinal).ok());
    CHECK(client->HandleServerFinal(kServerFinal).code() == absl::StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("SCRAM rejects an unprintable test nonce", "[pgauth]") {
  ScramOptions options;
  options.client_nonce = "a,b";
  ScramSha256Client client("pw", options);
  client.ClientFirstMessage();
  CHECK_FALSE(client.HandleServerFirst("r=a,bc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1").ok());
}

TEST_CASE("SCRAM-SHA-256-PLUS derives the gs2 header and c= from the binding", "[pgauth]") {
  ScramOptions options;
  options.client_nonce = kNonce;
  options.channel_binding.type = ChannelBindingType::kTlsServerEndPoint;
  options.channel_binding.data = "0123";
  ScramSha256Client client("pencil", options);
  CHECK(client.Mechanism() == "SCRAM-SHA-256-PLUS");
  CHECK(client.ClientFirstMessage() == "p=tls-server-end-point,,n=,r=rOprNGfwEbeRWgbNEkqO");
  auto final_message = client.HandleServerFirst(kServerFirst);
  REQUIRE(final_message.ok());
  // base64("p=tls-server-end-point,,0123")
  CHECK(final_message->rfind("c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsMDEyMw==,r=", 0) == 0);
}

TEST_CASE("SCRAM-SHA-256-PLUS without binding data fails", "[pgauth]") {
  ScramOptions options;
  options.client_nonce = kNonce;
  options.channel_binding.type = ChannelBindingType::kTlsServerEndPoint;
  ScramSha256Client client("pencil", options);
  client.ClientFirstMessage();
  CHECK_FALSE(client.HandleServerFirst(kServerFirst).ok());
}
