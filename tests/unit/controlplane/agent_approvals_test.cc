// An agent's approval messages on its control stream, as a gateway relays them to a control
// plane in process: raised requests answered with their id, decisions sent back signed, and
// messages the agent did not sign refused.
#include "control_plane_harness.h"

using namespace warden;
using testing::AgentKeys;
using testing::Harness;

namespace {

struct Stream {
  explicit Stream(Harness& h) : h(h) {
    auto& st = h.server->stores();
    Harness::AddEdgeWithDemo(st, agent_token);
    v1::Policy p;
    p.set_name("p");
    p.add_connections("demo");
    p.mutable_subjects()->add_groups("ai-agents");
    p.mutable_approval()->add_approver_groups("dba");
    p.mutable_approval()->set_timeout_seconds(300);
    p.mutable_approval()->set_approvals_required(1);
    REQUIRE(st.policies.Apply(p, "src").ok());
    // Bounded: a stream that should end but does not fails the test instead of hanging it.
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream = h.OpenAgent(ctx, agent_token, "edge-1", keys, &nonce);
    REQUIRE(Next().has_welcome());
    REQUIRE(Next().has_policy());
    auto issued = st.tokens.Create("claude", {"ai-agents"}, 3600);
    REQUIRE(issued.ok());
    v1::AuthorizeResponse resp;
    REQUIRE(h.Authorize(issued->token, "demo", &resp).ok());
    session_id = resp.session_id();
  }
  // The next signed directive that is not a heartbeat.
  v1::AgentDirective Next() {
    for (;;) {
      v1::AgentDirective d = h.ReadSigned(stream, "edge-1", keys, nonce, ++read);
      if (!d.has_heartbeat()) return d;
    }
  }
  void Send(const v1::ApprovalMessage& m, const std::string& signing_key) {
    v1::AgentMessage msg;
    v1::SignedApprovalMessage& s = *msg.mutable_approval();
    s.set_message(m.SerializeAsString());
    s.set_sequence(++sent);
    auto sig = crypto::Ed25519Sign(
        signing_key, crypto::AgentApprovalSigningInput("edge-1", {nonce, keys.nonce}, s.sequence(),
                                                       s.message()));
    REQUIRE(sig.ok());
    s.set_signature(*sig);
    REQUIRE(stream->Write(msg));
  }
  v1::ApprovalMessage Raise(const std::string& handle, const std::string& session) {
    v1::ApprovalMessage m;
    m.set_kind(v1::ApprovalMessage::KIND_RAISE);
    m.set_handle(handle);
    m.mutable_request()->set_session_id(session);
    m.mutable_request()->set_identity("claude");  // as the agent's credential names them
    m.mutable_request()->add_groups("ai-agents");
    m.mutable_request()->set_connection("demo");
    m.mutable_request()->set_policy("p");
    m.mutable_request()->set_rule("writes");
    m.mutable_request()->set_statement("DELETE FROM orders WHERE id = 7");
    return m;
  }
  Harness& h;
  std::string agent_token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
  AgentKeys keys;
  grpc::ClientContext ctx;
  std::string nonce;
  testing::AgentStreamPtr stream;
  std::string session_id;
  uint64_t read = 0, sent = 0;
};

v1::AdminTokenInfo Alice() {
  v1::AdminTokenInfo t;
  t.set_id("adm_alice");
  t.set_identity("alice");
  t.add_groups("dba");
  t.add_roles("approver");
  return t;
}

}  // namespace

TEST_CASE("an agent raises a request on its stream and hears the decision, signed", "[approvals]") {
  Harness h;
  Stream s(h);
  s.Send(s.Raise("hold-1", s.session_id), s.keys.identity.private_key);
  v1::AgentDirective d = s.Next();
  REQUIRE(d.has_approval());
  CHECK(d.approval().handle() == "hold-1");
  CHECK(d.approval().error().empty());
  const v1::ApprovalRequest raised = d.approval().request();  // d is read into again below
  CHECK(raised.state() == v1::APPROVAL_STATE_PENDING);
  CHECK(raised.identity() == "claude");
  CHECK(raised.connection() == "demo");
  CHECK(raised.approver_groups(0) == "dba");

  REQUIRE(h.server->approvals().Decide(raised.id(), Alice(), true, "ok", 0).ok());
  d = s.Next();
  REQUIRE(d.has_approval());
  CHECK(d.approval().request().id() == raised.id());
  CHECK(d.approval().request().state() == v1::APPROVAL_STATE_APPROVED);

  // The outcome closes it.
  v1::ApprovalMessage done;
  done.set_kind(v1::ApprovalMessage::KIND_OUTCOME);
  done.set_request_id(raised.id());
  done.mutable_outcome()->set_command_tag("DELETE 1");
  done.mutable_outcome()->set_rows(1);
  s.Send(done, s.keys.identity.private_key);
  for (int i = 0;
       i < 100 && h.server->approvals().Get(raised.id())->state() != v1::APPROVAL_STATE_EXECUTED;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // bounded: the reader applies it
  }
  CHECK(h.server->approvals().Get(raised.id())->outcome().command_tag() == "DELETE 1");

  // The agent's credential and the authorization disagree on where the session runs.
  v1::ApprovalMessage elsewhere = s.Raise("hold-3", s.session_id);
  elsewhere.mutable_request()->set_connection("prod");
  s.Send(elsewhere, s.keys.identity.private_key);
  d = s.Next();
  REQUIRE(d.has_approval());
  CHECK(d.approval().handle() == "hold-3");
  CHECK(d.approval().error().find("another identity, groups or connection") != std::string::npos);

  // A session the control plane does not know: refused, with the reason, at once.
  s.Send(s.Raise("hold-2", "ses_unknown"), s.keys.identity.private_key);
  d = s.Next();
  REQUIRE(d.has_approval());
  CHECK(d.approval().handle() == "hold-2");
  CHECK(d.approval().error().find("no live session") != std::string::npos);
}

TEST_CASE("an approval message the agent did not sign ends its stream", "[approvals]") {
  Harness h;
  Stream s(h);
  // A gateway relaying the stream tries to withdraw in the agent's name with a key of its own.
  crypto::Ed25519KeyPair gateway = crypto::Ed25519KeyPair::Generate();
  s.Send(s.Raise("hold-1", s.session_id), gateway.private_key);
  v1::AgentDirective d;
  while (s.stream->Read(&d)) CHECK_FALSE(d.signed_().directive().empty());
  CHECK(s.stream->Finish().error_code() != grpc::StatusCode::DEADLINE_EXCEEDED);
  auto pending = h.server->approvals().List(v1::APPROVAL_STATE_PENDING, 10);
  REQUIRE(pending.ok());
  CHECK(pending->empty());
}
