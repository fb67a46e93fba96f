// The pure parts of the agent's session: credential opening, tls_mode, the connection
// directory and the traffic seam's message-boundary tracking.
#include <catch2/catch.hpp>
#include <string>

#include "agent/session/connection_directory.h"
#include "agent/session/credential.h"
#include "agent/session/tls_mode.h"
#include "agent/session/traffic_seam.h"
#include "common/crypto/sealed_box.h"
#include "common/pgwire/pgwire.h"
#include "warden/v1/agent.pb.h"

using namespace warden::agent;
namespace pgwire = warden::pgwire;

TEST_CASE("credential: opens what was sealed for this session and connection") {
  auto key = warden::crypto::X25519KeyPair::Generate();
  warden::v1::DatabaseCredential cred;
  cred.set_username("app");
  cred.set_password("pw");
  cred.set_identity("claude");
  cred.add_groups("ai-agents");
  cred.set_expires_unix(1000);
  auto sealed = warden::crypto::SealTo(key.public_key, cred.SerializeAsString(),
                                       CredentialAad("s-1", "demo"));
  REQUIRE(sealed.ok());
  auto opened = OpenCredential(key.private_key, "s-1", "demo", *sealed, 999);
  REQUIRE(opened.ok());
  CHECK((*opened)->username == "app");
  CHECK((*opened)->password == "pw");
  CHECK((*opened)->identity == "claude");
  CHECK((*opened)->groups == std::vector<std::string>{"ai-agents"});
  (*opened)->WipePassword();
  CHECK((*opened)->password.empty());

  // Past its expiry (a replayed or late box): refused.
  auto late = OpenCredential(key.private_key, "s-1", "demo", *sealed, 1000);
  REQUIRE(!late.ok());
  CHECK(std::string(late.status().message()).find("expired") != std::string::npos);
  // Another session, another connection, another key: refused, without echoing anything.
  CHECK(!OpenCredential(key.private_key, "s-2", "demo", *sealed, 999).ok());
  CHECK(!OpenCredential(key.private_key, "s-1", "other", *sealed, 999).ok());
  auto other = warden::crypto::X25519KeyPair::Generate();
  auto wrong = OpenCredential(other.private_key, "s-1", "demo", *sealed, 999);
  REQUIRE(!wrong.ok());
  CHECK(std::string(wrong.status().message()).find("pw") == std::string::npos);
  CHECK(!OpenCredential(key.private_key, "s-1", "demo", "", 999).ok());
}

TEST_CASE("credential: a sealed non-credential is refused") {
  auto key = warden::crypto::X25519KeyPair::Generate();
  auto sealed = warden::crypto::SealTo(key.public_key, "\xff\xff\xff", CredentialAad("s", "c"));
  REQUIRE(sealed.ok());
  CHECK(!OpenCredential(key.private_key, "s", "c", *sealed, 0).ok());
}

TEST_CASE("tls_mode: names and SSLRequest answers") {
  CHECK(ParseTlsMode("") == TlsMode::kPrefer);
  CHECK(ParseTlsMode("disable") == TlsMode::kDisable);
  CHECK(ParseTlsMode("require") == TlsMode::kRequire);
  CHECK(ParseTlsMode("verify-full") == TlsMode::kVerifyFull);
  CHECK(!ParseTlsMode("verify-ca").has_value());
  CHECK(DecideTls(TlsMode::kPrefer, 'S') == TlsDecision::kUseTls);
  CHECK(DecideTls(TlsMode::kPrefer, 'N') == TlsDecision::kPlain);
  CHECK(DecideTls(TlsMode::kRequire, 'N') == TlsDecision::kFail);
  CHECK(DecideTls(TlsMode::kVerifyFull, 'N') == TlsDecision::kFail);
  CHECK(DecideTls(TlsMode::kVerifyFull, 'S') == TlsDecision::kUseTls);
  CHECK(DecideTls(TlsMode::kPrefer, 'E') == TlsDecision::kFail);
}

TEST_CASE("directory: replaced on every Welcome") {
  ConnectionDirectory dir;
  warden::v1::Welcome w;
  auto* c = w.add_connections();
  c->set_name("demo");
  c->set_host("127.0.0.1");
  c->set_port(5432);
  dir.Replace(w);
  REQUIRE(dir.Find("demo").has_value());
  CHECK(dir.Find("demo")->port() == 5432);
  CHECK(!dir.Find("other").has_value());
  dir.Replace(warden::v1::Welcome());
  CHECK(!dir.Find("demo").has_value());
  CHECK(dir.size() == 0);
}

TEST_CASE("message boundaries: tags found across any split") {
  std::string stream = pgwire::BuildQuery("select 1") + pgwire::BuildSync() +
                       pgwire::BuildCopyData(std::string(300, 'x')) + pgwire::BuildTerminate();
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    MessageBoundaryTracker t;
    std::string tags;
    t.Feed(std::string_view(stream).substr(0, cut), [&](char tag) { tags += tag; });
    CHECK(t.at_boundary() ==
          (cut == 0 || cut == 14 || cut == 19 || cut == 324 || cut == stream.size()));
    t.Feed(std::string_view(stream).substr(cut), [&](char tag) { tags += tag; });
    CHECK(tags == "QSdX");
    CHECK(t.at_boundary());
  }
}

TEST_CASE("seam: idle only when every request has its ReadyForQuery") {
  TrafficSeam seam;
  CHECK(seam.IdleForTerminate());
  std::string q = pgwire::BuildQuery("select 1");
  seam.FrontendBytes(&q);
  CHECK(!seam.IdleForTerminate());
  std::string rows = pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  std::string half = rows.substr(0, rows.size() - 1), rest = rows.substr(rows.size() - 1);
  seam.BackendBytes(&half);
  CHECK(!seam.IdleForTerminate());
  seam.BackendBytes(&rest);
  CHECK(seam.IdleForTerminate());

  std::string parse = pgwire::BuildParse("", "select 1");
  seam.FrontendBytes(&parse);
  CHECK(!seam.IdleForTerminate());  // no Sync yet
  std::string sync = pgwire::BuildSync();
  seam.FrontendBytes(&sync);
  CHECK(!seam.IdleForTerminate());
  std::string z = pgwire::BuildParseComplete() + pgwire::BuildReadyForQuery('I');
  seam.BackendBytes(&z);
  CHECK(seam.IdleForTerminate());

  std::string x = pgwire::BuildTerminate();
  seam.FrontendBytes(&x);
  CHECK(!seam.IdleForTerminate());  // the client already said goodbye
  CHECK(seam.frontend_bytes() == q.size() + parse.size() + sync.size() + x.size());
}
