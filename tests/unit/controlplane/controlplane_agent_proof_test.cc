// What a compromised gateway (its own valid token, plus an agent token it saw relayed) cannot do
// through the control plane: register another key for the agent, swap the sealing key in a
// relayed Register, or replay a captured Register and proof.
#include "tests/unit/controlplane/control_plane_harness.h"

using namespace warden;
using testing::AgentKeys;
using testing::AgentStreamPtr;
using testing::Harness;

namespace {

struct Fleet {
  Harness h;
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  AgentKeys real;

  Fleet() {
    auto& st = h.server->stores();
    Harness::AddEdgeWithDemo(st, agent_token);
    v1::Policy p;
    p.set_name("p");
    p.add_connections("demo");
    p.mutable_subjects()->add_identities("claude");
    REQUIRE(st.policies.Apply(p, "src").ok());
  }

  // The stream's end, after whatever it carried; fails the test on a Welcome or a snapshot.
  grpc::Status NothingGranted(AgentStreamPtr& stream) {
    v1::AgentDirective d;
    while (stream->Read(&d)) {
      REQUIRE_FALSE(d.has_signed_());
      REQUIRE_FALSE(d.has_welcome());
      REQUIRE_FALSE(d.has_policy());
    }
    return stream->Finish();
  }

  // A session's credential, as Authorize seals it for edge-1 now.
  v1::AuthorizeResponse Authorize() {
    auto issued = h.server->stores().tokens.Create("claude", {}, 3600);
    REQUIRE(issued.ok());
    v1::AuthorizeResponse resp;
    REQUIRE(h.Authorize(issued->token, "demo", &resp).ok());
    return resp;
  }
};

bool Opens(const crypto::X25519KeyPair& key, const v1::AuthorizeResponse& resp) {
  return crypto::OpenSealed(key.private_key, resp.sealed_credential(),
                            absl::StrCat(resp.session_id(), "\ndemo"))
      .ok();
}

}  // namespace

TEST_CASE("the first proven identity key is enrolled; another key for the agent is refused",
          "[control][trust]") {
  Fleet f;
  grpc::ClientContext real_ctx;
  std::string nonce;
  auto real = f.h.OpenAgent(real_ctx, f.agent_token, "edge-1", f.real, &nonce);
  REQUIRE(f.h.ReadSigned(real, "edge-1", f.real, nonce, 1).has_welcome());
  auto listed = f.h.server->stores().agents.List();
  REQUIRE(listed.ok());
  CHECK(listed->at(0).identity_key_fingerprint() ==
        crypto::KeyFingerprint(f.real.identity.public_key));

  // The attacker holds the gateway's token and the relayed agent token, and proves a key of
  // its own perfectly well: refused before any challenge, and the real agent stays connected.
  AgentKeys attacker;
  grpc::ClientContext ctx;
  auto stream = f.h.Relay(ctx, f.agent_token, Harness::Register("edge-1", attacker));
  grpc::Status st = f.NothingGranted(stream);
  CHECK(st.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(st.error_message(), Catch::Contains("is enrolled"));

  auto resp = f.Authorize();
  CHECK(Opens(f.real.sealing, resp));
  CHECK_FALSE(Opens(attacker.sealing, resp));
  real_ctx.TryCancel();
  real->Finish();
}

TEST_CASE("a relayed Register with its sealing key swapped does not verify", "[control][trust]") {
  Fleet f;
  REQUIRE(f.h.server->stores().agents.EnrolIdentityKey(1, f.real.identity.public_key).ok());
  // The gateway forwards the real agent's Register with its own sealing key in it, then the
  // real agent's proof (made over the Register the agent sent).
  AgentKeys attacker;
  v1::AgentMessage genuine = Harness::Register("edge-1", f.real);
  v1::AgentMessage swapped = genuine;
  swapped.mutable_register_()->set_public_key(attacker.sealing.public_key);
  grpc::ClientContext ctx;
  auto stream = f.h.Relay(ctx, f.agent_token, swapped);
  v1::AgentDirective d;
  REQUIRE(stream->Read(&d));
  REQUIRE(d.has_challenge());
  REQUIRE(stream->Write(
      Harness::Proof(genuine.register_(), d.challenge().nonce(), f.real.identity.private_key)));
  grpc::Status st = f.NothingGranted(stream);
  CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK_THAT(st.error_message(), Catch::Contains("does not verify"));
  // Nothing was sealed to the attacker's key: the agent is not even connected.
  v1::AuthorizeResponse resp;
  auto issued = f.h.server->stores().tokens.Create("claude", {}, 3600);
  CHECK(f.h.Authorize(issued->token, "demo", &resp).error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("a captured Register and proof cannot be replayed on a new stream", "[control][trust]") {
  Fleet f;
  grpc::ClientContext first_ctx;
  v1::AgentMessage reg = Harness::Register("edge-1", f.real);
  auto first = f.h.Relay(first_ctx, f.agent_token, reg);
  v1::AgentDirective d;
  REQUIRE(first->Read(&d));
  v1::AgentMessage captured =
      Harness::Proof(reg.register_(), d.challenge().nonce(), f.real.identity.private_key);
  REQUIRE(first->Write(captured));
  REQUIRE(first->Read(&d));
  REQUIRE(d.has_signed_());
  first_ctx.TryCancel();
  first->Finish();

  grpc::ClientContext ctx;
  auto replay = f.h.Relay(ctx, f.agent_token, reg);
  REQUIRE(replay->Read(&d));
  REQUIRE(d.has_challenge());
  REQUIRE(replay->Write(captured));
  grpc::Status st = f.NothingGranted(replay);
  CHECK(st.error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("a Register without an identity key, or no proof, gets nothing", "[control][trust]") {
  Fleet f;
  SECTION("no identity key") {
    v1::AgentMessage reg = Harness::Register("edge-1", f.real);
    reg.mutable_register_()->clear_identity_key();
    grpc::ClientContext ctx;
    auto stream = f.h.Relay(ctx, f.agent_token, reg);
    CHECK(f.NothingGranted(stream).error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  SECTION("something else instead of the proof") {
    grpc::ClientContext ctx;
    auto stream = f.h.Relay(ctx, f.agent_token, Harness::Register("edge-1", f.real));
    v1::AgentDirective d;
    REQUIRE(stream->Read(&d));
    v1::AgentMessage hb;
    hb.mutable_heartbeat()->set_unix_millis(1);
    REQUIRE(stream->Write(hb));
    CHECK(f.NothingGranted(stream).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("gateways: each token names its gateway; revoked and replaced tokens are refused",
          "[control][trust]") {
  Fleet f;
  auto& gateways = f.h.server->stores().gateways;
  auto authorize_with = [&](const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(grpcutil::kAuthorizationKey, "Bearer " + token);
    v1::AuthorizeRequest req;
    v1::AuthorizeResponse resp;
    return f.h.stub->Authorize(&ctx, req, &resp).error_code();
  };
  // A valid gateway token gets past authentication (and then the request is judged).
  CHECK(authorize_with(f.h.gateway_token) == grpc::StatusCode::UNAUTHENTICATED);  // no token
  CHECK(*gateways.Authenticate(f.h.gateway_token) == "gw-test");
  CHECK(authorize_with("wdngw_made-up") == grpc::StatusCode::UNAUTHENTICATED);

  // Rotation with a grace period: both work; without one, only the new token.
  auto rotated = gateways.Rotate("gw-test", 3600);
  REQUIRE(rotated.ok());
  CHECK(rotated->first.tokens() == 2);
  CHECK(gateways.Authenticate(f.h.gateway_token).ok());
  CHECK(gateways.Authenticate(rotated->second).ok());
  auto again = gateways.Rotate("gw-test", 0);
  REQUIRE(again.ok());
  CHECK(again->first.tokens() == 1);
  CHECK(absl::IsUnauthenticated(gateways.Authenticate(f.h.gateway_token).status()));
  CHECK(absl::IsUnauthenticated(gateways.Authenticate(rotated->second).status()));
  CHECK(gateways.Authenticate(again->second).ok());

  REQUIRE(gateways.Revoke("gw-test").ok());
  CHECK(absl::IsUnauthenticated(gateways.Authenticate(again->second).status()));
  CHECK(absl::IsNotFound(gateways.Revoke("gw-test")));
}
