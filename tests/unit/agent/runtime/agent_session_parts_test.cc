// The pure parts of the agent's session: credential opening, tls_mode, the connection
// directory and the traffic seam's message-boundary tracking.
#include <catch2/catch.hpp>
#include <string>

#include "agent/postgres/traffic_seam.h"
#include "agent/runtime/connection_directory.h"
#include "agent/runtime/credential.h"
#include "agent/runtime/tls_mode.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/signing_inputs.h"
#include "common/pgwire/pgwire.h"
#include "warden/v1/agent.pb.h"

using namespace warden::agent;
namespace pgwire = warden::pgwire;

namespace {

// An agent's keys, and a control plane that seals and signs credentials for it.
struct CredentialWorld {
  warden::crypto::X25519KeyPair sealing = warden::crypto::X25519KeyPair::Generate();
  warden::crypto::Ed25519KeyPair controlplane = warden::crypto::Ed25519KeyPair::Generate();
  CredentialKeys keys{sealing.private_key, controlplane.public_key, "edge-1"};

  struct Box {
    std::string sealed, signature;
  };
  Box Make(const std::string& plain, const std::string& session, const std::string& connection,
           const std::string& signing_key) {
    auto sealed =
        warden::crypto::SealTo(sealing.public_key, plain, CredentialAad(session, connection));
    REQUIRE(sealed.ok());
    auto sig = warden::crypto::Ed25519Sign(
        signing_key,
        warden::crypto::CredentialSigningInput("edge-1", session, connection, *sealed));
    REQUIRE(sig.ok());
    return {*sealed, *sig};
  }
  Box Make(const std::string& plain, const std::string& session, const std::string& connection) {
    return Make(plain, session, connection, controlplane.private_key);
  }
};

std::string Credential(const std::string& password, int64_t expires) {
  warden::v1::DatabaseCredential cred;
  cred.set_username("app");
  cred.set_password(password);
  cred.set_identity("claude");
  cred.add_groups("ai-agents");
  cred.set_expires_unix(expires);
  return cred.SerializeAsString();
}

}  // namespace

TEST_CASE("credential: opens what the control plane sealed and signed for this session") {
  CredentialWorld w;
  auto box = w.Make(Credential("pw", 1000), "s-1", "demo");
  auto opened = OpenCredential(w.keys, "s-1", "demo", box.sealed, box.signature, 999);
  REQUIRE(opened.ok());
  CHECK((*opened)->username == "app");
  CHECK((*opened)->password == "pw");
  CHECK((*opened)->identity == "claude");
  CHECK((*opened)->groups == std::vector<std::string>{"ai-agents"});
  (*opened)->WipePassword();
  CHECK((*opened)->password.empty());

  // Past its expiry (a replayed or late box): refused.
  auto late = OpenCredential(w.keys, "s-1", "demo", box.sealed, box.signature, 1000);
  REQUIRE(!late.ok());
  CHECK(std::string(late.status().message()).find("expired") != std::string::npos);
  // Another session, another connection, another key: refused, without echoing anything.
  CHECK(!OpenCredential(w.keys, "s-2", "demo", box.sealed, box.signature, 999).ok());
  CHECK(!OpenCredential(w.keys, "s-1", "other", box.sealed, box.signature, 999).ok());
  CredentialKeys other = w.keys;
  other.sealing_private_key = warden::crypto::X25519KeyPair::Generate().private_key;
  auto wrong = OpenCredential(other, "s-1", "demo", box.sealed, box.signature, 999);
  REQUIRE(!wrong.ok());
  CHECK(std::string(wrong.status().message()).find("pw") == std::string::npos);
  CHECK(!OpenCredential(w.keys, "s-1", "demo", "", box.signature, 999).ok());
  // Signed for another agent: refused.
  CredentialKeys elsewhere = w.keys;
  elsewhere.agent_name = "edge-2";
  CHECK(!OpenCredential(elsewhere, "s-1", "demo", box.sealed, box.signature, 999).ok());
}

TEST_CASE("credential: one sealed by anyone but the control plane is refused") {
  // Anyone can seal to the agent's public key: a gateway choosing the identity and groups
  // policy is enforced for (or a database login) must not get a session.
  CredentialWorld w;
  auto forged = w.Make(Credential("pw", 1000), "s-1", "demo",
                       warden::crypto::Ed25519KeyPair::Generate().private_key);
  auto opened = OpenCredential(w.keys, "s-1", "demo", forged.sealed, forged.signature, 999);
  REQUIRE(absl::IsPermissionDenied(opened.status()));
  CHECK_THAT(std::string(opened.status().message()), Catch::Contains("not signed"));
  CHECK(!OpenCredential(w.keys, "s-1", "demo", forged.sealed, "", 999).ok());
}

TEST_CASE("credential: a sealed non-credential is refused") {
  CredentialWorld w;
  auto box = w.Make("\xff\xff\xff", "s", "c");
  CHECK(!OpenCredential(w.keys, "s", "c", box.sealed, box.signature, 0).ok());
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
    warden::pgwire::MessageBoundaryTracker t;
    std::string tags;
    t.Feed(std::string_view(stream).substr(0, cut), [&](char tag) { tags += tag; });
    CHECK(t.at_boundary() ==
          (cut == 0 || cut == 14 || cut == 19 || cut == 324 || cut == stream.size()));
    t.Feed(std::string_view(stream).substr(cut), [&](char tag) { tags += tag; });
    CHECK(tags == "QSdX");
    CHECK(t.at_boundary());
  }
}

TEST_CASE("whole messages: a relayed stream is cut only between messages") {
  const std::string big = pgwire::BuildCopyData(std::string(5000, 'y'));
  const std::string stream = pgwire::BuildCopyData("1\t2\n") + pgwire::BuildCopyData("3\t4\n") +
                             big + pgwire::BuildCommandComplete("COPY 3");
  for (size_t piece = 1; piece <= stream.size(); piece += (piece < 20 ? 1 : 97)) {
    warden::pgwire::WholeMessageCutter cutter(1000);
    std::string relayed;
    for (size_t at = 0; at < stream.size(); at += piece) {
      std::string chunk = stream.substr(at, piece);
      cutter.Cut(&chunk);
      relayed += chunk;
      // Between two messages, unless the large one is under way.
      warden::pgwire::MessageBoundaryTracker t;
      t.Feed(relayed, [](char) {});
      const bool in_big =
          relayed.size() > stream.size() - big.size() - 12 && relayed.size() < stream.size() - 12;
      CHECK((t.at_boundary() || in_big));
      CHECK(cutter.at_boundary() == t.at_boundary());
      CHECK(cutter.kept() <= 1000);
    }
    CHECK(relayed == stream);
    CHECK(cutter.kept() == 0);
  }
}

TEST_CASE("seam: idle only when every request has its ReadyForQuery") {
  TrafficSeam seam;
  CHECK(seam.IdleForTerminate());
  std::string q = pgwire::BuildQuery("select 1");
  REQUIRE(seam.FrontendBytes(&q).ok());
  CHECK(!seam.IdleForTerminate());
  std::string rows = pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  std::string half = rows.substr(0, rows.size() - 1), rest = rows.substr(rows.size() - 1);
  REQUIRE(seam.BackendBytes(&half).ok());
  CHECK(!seam.IdleForTerminate());
  REQUIRE(seam.BackendBytes(&rest).ok());
  CHECK(seam.IdleForTerminate());

  std::string parse = pgwire::BuildParse("", "select 1");
  REQUIRE(seam.FrontendBytes(&parse).ok());
  CHECK(!seam.IdleForTerminate());  // no Sync yet
  std::string sync = pgwire::BuildSync();
  REQUIRE(seam.FrontendBytes(&sync).ok());
  CHECK(!seam.IdleForTerminate());
  std::string z = pgwire::BuildParseComplete() + pgwire::BuildReadyForQuery('I');
  REQUIRE(seam.BackendBytes(&z).ok());
  CHECK(seam.IdleForTerminate());

  std::string x = pgwire::BuildTerminate();
  REQUIRE(seam.FrontendBytes(&x).ok());
  CHECK(!seam.IdleForTerminate());  // the client already said goodbye
  CHECK(seam.frontend_bytes() == q.size() + parse.size() + sync.size() + x.size());
}
