// The agent's checks on its control stream (agent/control_trust.h): it acts only on directives
// the pinned control-plane key signed for it, on this stream, in order.
#include <catch2/catch.hpp>

#include "agent/control_trust.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/signing_inputs.h"

using namespace warden;

namespace {

struct Stream {
  crypto::Ed25519KeyPair controlplane = crypto::Ed25519KeyPair::Generate();
  crypto::Ed25519KeyPair identity = crypto::Ed25519KeyPair::Generate();
  agent::ControlTrust trust{"edge-1", controlplane.public_key, identity};
  std::string nonce = std::string(32, 'n');
  v1::AgentMessage reg;

  Stream() {
    reg.mutable_register_()->set_name("edge-1");
    reg.mutable_register_()->set_public_key(std::string(32, 's'));
    reg.mutable_register_()->set_identity_key(identity.public_key);
  }
  absl::StatusOr<v1::AgentMessage> Challenge(const std::string& key) {
    v1::Challenge c;
    c.set_nonce(nonce);
    c.set_controlplane_key(key);
    return trust.Answer(c, reg.register_());
  }
  static v1::SignedDirective Sign(const std::string& key, const std::string& agent,
                                  const std::string& nonce, uint64_t seq,
                                  const v1::AgentDirective& d) {
    v1::SignedDirective s;
    s.set_directive(d.SerializeAsString());
    s.set_sequence(seq);
    s.set_signature(
        *crypto::Ed25519Sign(key, crypto::DirectiveSigningInput(agent, nonce, seq, s.directive())));
    return s;
  }
  v1::SignedDirective Genuine(uint64_t seq, const v1::AgentDirective& d) {
    return Sign(controlplane.private_key, "edge-1", nonce, seq, d);
  }
};

v1::AgentDirective Policy(int64_t version) {
  v1::AgentDirective d;
  d.mutable_policy()->set_version(version);
  d.mutable_policy()->add_policies()->set_name("allow-all");
  return d;
}

}  // namespace

TEST_CASE("control trust: the proof answers this stream's challenge with the identity key") {
  Stream s;
  auto answer = s.Challenge(s.controlplane.public_key);
  REQUIRE(answer.ok());
  const v1::Register& r = s.reg.register_();
  CHECK(crypto::Ed25519Verify(
      s.identity.public_key,
      crypto::RegisterProofInput(s.nonce, r.name(), r.public_key(), r.identity_key()),
      answer->proof().signature()));
  // Another nonce, or another sealing key in the Register: the same proof does not verify.
  CHECK_FALSE(crypto::Ed25519Verify(
      s.identity.public_key,
      crypto::RegisterProofInput(std::string(32, 'x'), r.name(), r.public_key(), r.identity_key()),
      answer->proof().signature()));
  CHECK_FALSE(crypto::Ed25519Verify(
      s.identity.public_key,
      crypto::RegisterProofInput(s.nonce, r.name(), std::string(32, 'a'), r.identity_key()),
      answer->proof().signature()));
}

TEST_CASE("control trust: a control plane other than the pinned one is refused") {
  Stream s;
  auto answer = s.Challenge(crypto::Ed25519KeyPair::Generate().public_key);
  REQUIRE(absl::IsPermissionDenied(answer.status()));
  CHECK_THAT(std::string(answer.status().message()), Catch::Contains("pinned --controlplane-key"));
}

TEST_CASE("control trust: only snapshots the control plane signed for this stream apply") {
  Stream s;
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  auto opened = s.trust.Open(s.Genuine(1, Policy(7)));
  REQUIRE(opened.ok());
  CHECK(opened->policy().version() == 7);

  // Signed by another key (a gateway making up a permissive policy).
  auto forger = crypto::Ed25519KeyPair::Generate();
  CHECK(absl::IsPermissionDenied(
      s.trust.Open(Stream::Sign(forger.private_key, "edge-1", s.nonce, 2, Policy(8))).status()));
  // Signed for another agent, or on another stream.
  CHECK(!s.trust.Open(Stream::Sign(s.controlplane.private_key, "edge-2", s.nonce, 2, Policy(8)))
             .ok());
  CHECK(!s.trust
             .Open(Stream::Sign(s.controlplane.private_key, "edge-1", std::string(32, 'o'), 2,
                                Policy(8)))
             .ok());
  // Genuine bytes with the signature of other bytes.
  v1::SignedDirective tampered = s.Genuine(2, Policy(8));
  tampered.set_directive(Policy(9).SerializeAsString());
  CHECK(!s.trust.Open(tampered).ok());
  // A replay of directive 1 (an older, perhaps looser, policy): refused.
  auto replay = s.trust.Open(s.Genuine(1, Policy(7)));
  REQUIRE(absl::IsPermissionDenied(replay.status()));
  CHECK_THAT(std::string(replay.status().message()), Catch::Contains("replayed or reordered"));
  // The next genuine one still applies.
  REQUIRE(s.trust.Open(s.Genuine(2, Policy(8))).ok());
}

TEST_CASE("control trust: nothing opens before a challenge, and a new stream starts afresh") {
  Stream s;
  CHECK(!s.trust.Open(s.Genuine(1, Policy(1))).ok());
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  REQUIRE(s.trust.Open(s.Genuine(1, Policy(1))).ok());
  s.nonce = std::string(32, 'm');  // the next stream
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  REQUIRE(s.trust.Open(s.Genuine(1, Policy(2))).ok());
}
