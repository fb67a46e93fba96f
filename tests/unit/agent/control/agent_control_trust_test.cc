// The agent's checks on its control stream (agent/control/control_trust.h): it acts only on
// directives the pinned control-plane key signed for it, its keys, this stream, in order.
#include <catch2/catch.hpp>

#include "agent/control/control_trust.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/signing_inputs.h"

using namespace warden;

namespace {

struct Stream {
  crypto::Ed25519KeyPair controlplane = crypto::Ed25519KeyPair::Generate();
  crypto::Ed25519KeyPair identity = crypto::Ed25519KeyPair::Generate();
  agent::ControlTrust trust{"edge-1", controlplane.public_key, identity};
  std::string nonce = std::string(32, 'n');  // the control plane's
  v1::Register reg;

  Stream() { Begin(); }
  // A new stream: the Register the agent sends on it.
  void Begin() {
    reg.set_name("edge-1");
    reg.set_public_key(std::string(32, 's'));
    reg.set_identity_key(identity.public_key);
    reg.set_nonce(trust.BeginStream());
  }
  absl::StatusOr<v1::AgentMessage> Challenge(const std::string& key) {
    v1::Challenge c;
    c.set_nonce(nonce);
    c.set_controlplane_key(key);
    return trust.Answer(c, reg);
  }
  // Signed as the control plane signs for a stream proven with `identity_key` and `reg`.
  v1::SignedDirective Sign(const std::string& key, const std::string& agent,
                           const std::string& cp_nonce, const std::string& identity_key,
                           uint64_t seq, const v1::AgentDirective& d) const {
    v1::SignedDirective s;
    s.set_directive(d.SerializeAsString());
    s.set_sequence(seq);
    s.set_signature(*crypto::Ed25519Sign(
        key, crypto::DirectiveSigningInput(agent, {cp_nonce, reg.nonce()}, identity_key,
                                           reg.public_key(), seq, s.directive())));
    return s;
  }
  v1::SignedDirective Genuine(uint64_t seq, const v1::AgentDirective& d) const {
    return Sign(controlplane.private_key, "edge-1", nonce, identity.public_key, seq, d);
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
  const v1::Register& r = s.reg;
  auto input = [&](const std::string& cp_nonce, const std::string& sealing) {
    return crypto::RegisterProofInput({cp_nonce, r.nonce()}, r.name(), sealing, r.identity_key());
  };
  CHECK(crypto::Ed25519Verify(s.identity.public_key, input(s.nonce, r.public_key()),
                              answer->proof().signature()));
  // Another challenge, or another sealing key in the Register: the same proof does not verify.
  CHECK_FALSE(crypto::Ed25519Verify(s.identity.public_key,
                                    input(std::string(32, 'x'), r.public_key()),
                                    answer->proof().signature()));
  CHECK_FALSE(crypto::Ed25519Verify(s.identity.public_key, input(s.nonce, std::string(32, 'a')),
                                    answer->proof().signature()));
  // A second challenge on the stream (one replayed into it) is refused.
  CHECK(absl::IsFailedPrecondition(s.Challenge(s.controlplane.public_key).status()));
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
      s.trust
          .Open(s.Sign(forger.private_key, "edge-1", s.nonce, s.identity.public_key, 2, Policy(8)))
          .status()));
  // Signed for another agent, another challenge, or a stream proven with other keys (a gateway
  // that enrolled its own key and relays what the control plane signed for it).
  CHECK(!s.trust
             .Open(s.Sign(s.controlplane.private_key, "edge-2", s.nonce, s.identity.public_key, 2,
                          Policy(8)))
             .ok());
  CHECK(!s.trust
             .Open(s.Sign(s.controlplane.private_key, "edge-1", std::string(32, 'o'),
                          s.identity.public_key, 2, Policy(8)))
             .ok());
  CHECK(!s.trust
             .Open(s.Sign(s.controlplane.private_key, "edge-1", s.nonce,
                          crypto::Ed25519KeyPair::Generate().public_key, 2, Policy(8)))
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

TEST_CASE("control trust: an old stream replayed into a new one does not verify") {
  Stream s;
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  const v1::SignedDirective old_policy = s.Genuine(1, Policy(1));
  REQUIRE(s.trust.Open(old_policy).ok());
  // The agent starts a new stream (its own fresh nonce); a gateway replays the old challenge and
  // the old stream's signed directives.
  s.Begin();
  CHECK(!s.trust.Open(old_policy).ok());  // nothing opens before this stream's challenge
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  CHECK(absl::IsPermissionDenied(s.trust.Open(old_policy).status()));
  REQUIRE(s.trust.Open(s.Genuine(1, Policy(2))).ok());  // this stream's own
}

TEST_CASE("control trust: signed heartbeats open; unexpected contents do not") {
  Stream s;
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  v1::AgentDirective hb;
  hb.mutable_heartbeat()->set_unix_millis(1);
  CHECK(s.trust.Open(s.Genuine(1, hb)).ok());
  v1::AgentDirective open;
  open.mutable_open_session()->set_session_id("ses_x");
  CHECK(absl::IsInvalidArgument(s.trust.Open(s.Genuine(2, open)).status()));
}

TEST_CASE("control trust: approval messages are signed for this stream, in order", "[approvals]") {
  Stream s;
  v1::ApprovalMessage m;
  m.set_kind(v1::ApprovalMessage::KIND_WITHDRAW);
  m.set_request_id("apr_1");
  // Not before the stream's challenge: there is nothing to sign for.
  CHECK(s.trust.SignApproval(m).status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  auto first = s.trust.SignApproval(m);
  auto second = s.trust.SignApproval(m);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->sequence() == 1);
  CHECK(second->sequence() == 2);
  // What the control plane checks: the identity key over this stream's nonces and position.
  auto verifies = [&](const v1::SignedApprovalMessage& signed_message) {
    return crypto::Ed25519Verify(
        s.identity.public_key,
        crypto::AgentApprovalSigningInput("edge-1", {s.nonce, s.reg.nonce()},
                                          signed_message.sequence(), signed_message.message()),
        signed_message.signature());
  };
  CHECK(verifies(*first));
  CHECK(verifies(*second));
  v1::SignedApprovalMessage moved = *second;
  moved.set_sequence(1);
  CHECK(!verifies(moved));
  // A new stream starts over, under new nonces.
  s.Begin();
  REQUIRE(s.Challenge(s.controlplane.public_key).ok());
  auto again = s.trust.SignApproval(m);
  REQUIRE(again.ok());
  CHECK(again->sequence() == 1);
  CHECK(verifies(*again));
  CHECK(!verifies(*first));
}
