// ControlService through real gRPC over TLS, in process: an agent stream registers its sealing
// key, then Authorize answers for valid, expired, revoked and unknown access tokens.
#include "tests/unit/controlplane/control_plane_harness.h"

using namespace warden;
using testing::AgentKeys;
using testing::Harness;

TEST_CASE("Authorize: tokens, grants, agent presence and the sealed credential", "[control]") {
  Harness h;
  auto& st = h.server->stores();
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  REQUIRE(st.agents.Create("edge-1", crypto::HashToken(agent_token), "", true).ok());
  Harness::AddDemoConnection(st);
  auto issued = st.tokens.Create("claude", {"ai-agents"}, 3600);
  REQUIRE(issued.ok());
  v1::AuthorizeResponse resp;

  // No policy grants claude the connection yet, and the agent is offline.
  REQUIRE(h.Authorize(issued->token, "demo", &resp).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  v1::Policy p;
  p.set_name("p");
  p.add_connections("demo");
  p.mutable_subjects()->add_groups("ai-agents");
  REQUIRE(st.policies.Apply(p, "src").ok());
  auto offline = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(offline.error_code() == grpc::StatusCode::UNAVAILABLE);
  REQUIRE(offline.error_message().find("offline") != std::string::npos);

  // The agent connects (as the gateway relays it), proves its identity key and registers its
  // sealing key; what comes back is signed for it and this stream.
  AgentKeys keys;
  const crypto::X25519KeyPair& key = keys.sealing;
  grpc::ClientContext actx;
  std::string nonce;
  auto stream = h.OpenAgent(actx, agent_token, "edge-1", keys, &nonce);
  v1::AgentDirective d = h.ReadSigned(stream, "edge-1", keys, nonce, 1);
  REQUIRE(d.welcome().connections(0).name() == "demo");
  d = h.ReadSigned(stream, "edge-1", keys, nonce, 2);
  REQUIRE(d.policy().version() == 1);
  // The masking key comes sealed to this agent: the gateway relaying it cannot read it.
  auto masking_key = crypto::OpenSealed(key.private_key, d.policy().sealed_masking_key(),
                                        crypto::MaskingKeyAad("edge-1"));
  REQUIRE(masking_key.ok());
  REQUIRE(*masking_key == *st.server_keys.MaskingKey());
  REQUIRE_FALSE(crypto::OpenSealed(key.private_key, d.policy().sealed_masking_key(),
                                   crypto::MaskingKeyAad("edge-2"))
                    .ok());

  auto ok = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(ok.ok());
  // The credential is signed for edge-1, this session and this connection.
  REQUIRE(crypto::Ed25519Verify(
      h.controlplane_key(),
      crypto::CredentialSigningInput("edge-1", resp.session_id(), "demo", resp.sealed_credential()),
      resp.credential_signature()));
  REQUIRE(resp.identity() == "claude");
  REQUIRE(resp.agent() == "edge-1");
  REQUIRE(resp.sealed_credential().find("pa55word") == std::string::npos);
  auto opened = crypto::OpenSealed(key.private_key, resp.sealed_credential(),
                                   absl::StrCat(resp.session_id(), "\n", "demo"));
  REQUIRE(opened.ok());
  v1::DatabaseCredential cred;
  REQUIRE(cred.ParseFromString(*opened));
  REQUIRE(cred.username() == "app");
  REQUIRE(cred.password() == "pa55word");
  REQUIRE(cred.identity() == "claude");
  REQUIRE(cred.groups(0) == "ai-agents");
  REQUIRE(cred.expires_unix() > std::time(nullptr));
  REQUIRE(cred.expires_unix() <= std::time(nullptr) + 60);

  auto unknown = h.Authorize(issued->token, "nope", &resp);
  REQUIRE(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  auto bogus = h.Authorize("wdn_bogus", "demo", &resp);
  REQUIRE(bogus.error_code() == grpc::StatusCode::UNAUTHENTICATED);

  auto expiring = st.tokens.Create("claude", {"ai-agents"}, 3600);
  REQUIRE(st.db
              ->Exec(absl::StrCat("UPDATE access_tokens SET expires_at = 1 WHERE public_id = '",
                                  expiring->info.id(), "'"))
              .ok());
  auto expired = h.Authorize(expiring->token, "demo", &resp);
  REQUIRE(expired.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  REQUIRE(expired.error_message().find("expired") != std::string::npos);

  REQUIRE(st.tokens.Revoke(issued->info.id()).ok());
  auto revoked = h.Authorize(issued->token, "demo", &resp);
  REQUIRE(revoked.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  REQUIRE(revoked.error_message().find("revoked") != std::string::npos);

  // Without the gateway's credential, nothing is answered.
  grpc::ClientContext bad;
  bad.AddMetadata(grpcutil::kAuthorizationKey, "Bearer wrong");
  v1::AuthorizeRequest req;
  REQUIRE(h.stub->Authorize(&bad, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);

  actx.TryCancel();
  stream->Finish();
}

TEST_CASE("a second Register on one control stream ends it", "[control]") {
  Harness h;
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  REQUIRE(
      h.server->stores().agents.Create("edge-1", crypto::HashToken(agent_token), "", true).ok());
  REQUIRE(h.server->stores().agents.Create("edge-2", crypto::HashToken("other")).ok());
  grpc::ClientContext actx;
  AgentKeys keys;
  std::string nonce;
  auto stream = h.OpenAgent(actx, agent_token, "edge-1", keys, &nonce);
  v1::AgentDirective d = h.ReadSigned(stream, "edge-1", keys, nonce, 1);
  REQUIRE(d.welcome().agent_id() == "edge-1");
  // trying to claim another agent's name
  stream->Write(Harness::Register("edge-2", keys));
  while (stream->Read(&d)) {
    REQUIRE_FALSE(d.has_welcome());  // no Welcome for edge-2, ever
    if (d.has_signed_()) {
      v1::AgentDirective inner;
      REQUIRE(inner.ParseFromString(d.signed_().directive()));
      REQUIRE_FALSE(inner.has_welcome());
    }
  }
  stream->Finish();
}
