// AdminService's approval calls on a control plane in process, over real gRPC and TLS: who may
// read and decide, and a watch that sees each change.
#include <thread>

#include "control_plane_harness.h"
#include "warden/v1/admin.grpc.pb.h"

using namespace warden;

namespace {

struct AdminHarness : testing::Harness {
  AdminHarness() {
    auto creds = grpcutil::ClientTls(dir / "ca.crt");
    REQUIRE(creds.ok());
    admin = v1::AdminService::NewStub(
        grpcutil::MakeChannel(absl::StrCat("localhost:", server->port()), *creds));
  }
  // A token with these roles for `identity` in group dba.
  std::string Token(const std::string& identity, const std::string& role) {
    v1::AdminTokenInfo spec;
    spec.set_name(identity.empty() ? "setup" : identity);
    spec.set_identity(identity);
    spec.add_groups("dba");
    spec.add_roles(role);
    auto created = server->stores().admin_tokens.CreateListed(spec);
    REQUIRE(created.ok());
    return created->second;
  }
  void As(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata(grpcutil::kAuthorizationKey, absl::StrCat("Bearer ", token));
  }
  v1::ApprovalRequest Raise(const std::string& requester) {
    v1::LiveSession s;
    s.set_session_id("ses_1");
    s.set_identity(requester);
    s.set_connection("demo");
    s.set_agent("edge-1");
    v1::Policy p;
    p.set_name("guardrails");
    p.mutable_approval()->add_approver_groups("dba");
    p.mutable_approval()->set_timeout_seconds(300);
    v1::ApprovalRequest proposed;
    proposed.set_statement("DELETE FROM orders WHERE id = 7");
    auto r = server->approvals().Raise(proposed, "edge-1", s, p);
    REQUIRE(r.ok());
    return *r;
  }
  grpc::Status Decide(const std::string& token, const std::string& id, bool approve,
                      const std::string& reason, v1::DecideApprovalResponse* resp) {
    grpc::ClientContext ctx;
    As(ctx, token);
    v1::DecideApprovalRequest req;
    req.set_id(id);
    req.set_approve(approve);
    req.set_reason(reason);
    return admin->DecideApproval(&ctx, req, resp);
  }
  std::unique_ptr<v1::AdminService::Stub> admin;
};

}  // namespace

TEST_CASE("approval calls: every role reads, only a named approver decides", "[approvals]") {
  AdminHarness h;
  const std::string auditor = h.Token("carol", "auditor");
  const std::string alice = h.Token("alice", "approver");
  const std::string setup = h.Token("", "admin");
  v1::ApprovalRequest r = h.Raise("claude-agent");

  {
    grpc::ClientContext ctx;
    h.As(ctx, auditor);
    v1::ListApprovalsRequest req;
    req.set_state(v1::APPROVAL_STATE_PENDING);
    v1::ListApprovalsResponse resp;
    REQUIRE(h.admin->ListApprovals(&ctx, req, &resp).ok());
    REQUIRE(resp.requests_size() == 1);
    CHECK(resp.requests(0).id() == r.id());
  }
  v1::DecideApprovalResponse resp;
  // An auditor reads but cannot decide; the set-up token has no identity to decide as.
  CHECK(h.Decide(auditor, r.id(), true, "", &resp).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status admin_only = h.Decide(setup, r.id(), true, "", &resp);
  CHECK(admin_only.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(admin_only.error_message().find("role approver") != std::string::npos);
  // A denial says why.
  CHECK(h.Decide(alice, r.id(), false, "", &resp).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  REQUIRE(h.Decide(alice, r.id(), true, "checked the ticket", &resp).ok());
  CHECK(resp.request().state() == v1::APPROVAL_STATE_APPROVED);

  // The requester's own approver token cannot approve their request.
  const std::string self = h.Token("claude-agent", "approver");
  v1::ApprovalRequest mine = h.Raise("claude-agent");
  grpc::Status own = h.Decide(self, mine.id(), true, "", &resp);
  CHECK(own.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(own.error_message().find("own statement") != std::string::npos);
  grpc::ClientContext ctx;
  h.As(ctx, alice);
  v1::GetApprovalRequest get;
  get.set_id("apr_000000000000");
  v1::GetApprovalResponse got;
  CHECK(h.admin->GetApproval(&ctx, get, &got).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("a watch lists what is pending, then each change as it happens", "[approvals]") {
  AdminHarness h;
  const std::string alice = h.Token("alice", "approver");
  v1::ApprovalRequest first = h.Raise("claude-agent");
  grpc::ClientContext ctx;
  h.As(ctx, alice);
  v1::ListApprovalsRequest req;
  req.set_state(v1::APPROVAL_STATE_PENDING);
  auto reader = h.admin->WatchApprovals(&ctx, req);
  v1::ApprovalRequest seen;
  REQUIRE(reader->Read(&seen));
  CHECK(seen.id() == first.id());
  v1::ApprovalRequest second = h.Raise("claude-agent");
  REQUIRE(reader->Read(&seen));
  CHECK(seen.id() == second.id());
  v1::DecideApprovalResponse resp;
  REQUIRE(h.Decide(alice, first.id(), false, "not today", &resp).ok());
  REQUIRE(reader->Read(&seen));
  CHECK(seen.id() == first.id());
  CHECK(seen.state() == v1::APPROVAL_STATE_DENIED);  // leaving the state watched is seen too
  ctx.TryCancel();
  while (reader->Read(&seen)) {
  }
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
}
