// The approval queue's rules on plain requests: who may decide, and how decisions, the timeout,
// withdrawals and outcomes move a request through its states.
#include "controlplane/approval_rules.h"

#include <catch2/catch.hpp>

using namespace warden;
using controlplane::ApplyDecision;
using controlplane::ExpireIfDue;
using controlplane::MayDecide;
using controlplane::RecordOutcome;
using controlplane::RefusalMessage;
using controlplane::Withdraw;

namespace {

v1::ApprovalRequest Pending(uint32_t required = 1) {
  v1::ApprovalRequest r;
  r.set_id("apr_1");
  r.set_state(v1::APPROVAL_STATE_PENDING);
  r.set_identity("claude-agent");
  r.set_policy("guardrails");
  r.set_rule("deletes");
  r.add_approver_groups("dba");
  r.add_approver_identities("carol");
  r.set_approvals_required(required);
  r.set_created_unix(1000);
  r.set_expires_unix(1300);
  return r;
}

v1::AdminTokenInfo Token(const std::string& identity, std::vector<std::string> groups,
                         std::vector<std::string> roles = {"approver"}) {
  v1::AdminTokenInfo t;
  t.set_id("adm_" + identity);
  t.set_name(identity);
  t.set_identity(identity);
  for (auto& g : groups) t.add_groups(g);
  for (auto& r : roles) t.add_roles(r);
  return t;
}

}  // namespace

TEST_CASE("only an approver named by the policy, never the requester, may decide", "[approvals]") {
  v1::ApprovalRequest r = Pending();
  CHECK(MayDecide(r, Token("alice", {"dba"})).ok());  // by group
  CHECK(MayDecide(r, Token("carol", {})).ok());       // by identity
  CHECK(MayDecide(r, Token("dave", {"sales"})).code() == absl::StatusCode::kPermissionDenied);
  // An admin without role approver, however powerful, does not decide.
  auto admin = MayDecide(r, Token("alice", {"dba"}, {"admin"}));
  CHECK(admin.code() == absl::StatusCode::kPermissionDenied);
  CHECK(admin.message().find("role approver") != std::string::npos);
  // The set-up token names nobody.
  CHECK(MayDecide(r, Token("", {"dba"})).code() == absl::StatusCode::kPermissionDenied);
  // The requester, even as an approver in the right group.
  auto self = MayDecide(r, Token("claude-agent", {"dba"}));
  CHECK(self.code() == absl::StatusCode::kPermissionDenied);
  CHECK(self.message().find("own statement") != std::string::npos);
}

TEST_CASE("approvals_required counts distinct approvers; one denial denies", "[approvals]") {
  v1::ApprovalRequest r = Pending(2);
  v1::AdminTokenInfo alice = Token("alice", {"dba"});
  REQUIRE(ApplyDecision(r, alice, true, "looks right", 0, 1010).ok());
  CHECK(r.state() == v1::APPROVAL_STATE_PENDING);
  // The same approver again (another token of hers included) does not count twice.
  CHECK(ApplyDecision(r, alice, true, "", 0, 1011).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ApplyDecision(r, Token("carol", {}), true, "", 0, 1020).ok());
  CHECK(r.state() == v1::APPROVAL_STATE_APPROVED);
  CHECK(r.closed_unix() == 1020);
  CHECK(r.decisions_size() == 2);
  // Decided: nobody changes it any more.
  CHECK(ApplyDecision(r, Token("bob", {"dba"}), false, "no", 0, 1030).code() ==
        absl::StatusCode::kFailedPrecondition);

  v1::ApprovalRequest d = Pending(2);
  REQUIRE(ApplyDecision(d, alice, true, "", 0, 1010).ok());
  REQUIRE(ApplyDecision(d, Token("bob", {"dba"}), false, "wrong table", 0, 1015).ok());
  CHECK(d.state() == v1::APPROVAL_STATE_DENIED);
  CHECK(RefusalMessage(d) ==
        "statement not run: approval request apr_1 (policy \"guardrails\" rule \"deletes\") was "
        "denied by bob: wrong table");
}

TEST_CASE("a window is at most the policy's limit and only comes with an approval", "[approvals]") {
  v1::ApprovalRequest r = Pending();
  v1::AdminTokenInfo alice = Token("alice", {"dba"});
  auto none = ApplyDecision(r, alice, true, "", 600, 1010);
  CHECK(none.code() == absl::StatusCode::kInvalidArgument);
  CHECK(none.message().find("allows no approval windows") != std::string::npos);
  CHECK(r.decisions_size() == 0);
  r.set_max_window_seconds(3600);
  CHECK(ApplyDecision(r, alice, true, "", 7200, 1010).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ApplyDecision(r, alice, false, "", 60, 1010).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(ApplyDecision(r, alice, true, "", 600, 1010).ok());
  CHECK(r.decisions(0).window_until_unix() == 1610);
}

TEST_CASE("timeouts, withdrawals and outcomes", "[approvals]") {
  v1::ApprovalRequest r = Pending();
  CHECK_FALSE(ExpireIfDue(r, 1299));
  CHECK(ExpireIfDue(r, 1300));
  CHECK(r.state() == v1::APPROVAL_STATE_EXPIRED);
  CHECK(RefusalMessage(r).find("nobody decided within 300s") != std::string::npos);
  CHECK_FALSE(Withdraw(r, 1301));  // final already

  v1::ApprovalRequest w = Pending();
  CHECK(Withdraw(w, 1100));
  CHECK(w.state() == v1::APPROVAL_STATE_WITHDRAWN);
  CHECK_FALSE(ExpireIfDue(w, 2000));

  v1::ApprovalRequest a = Pending();
  v1::ApprovalOutcome ran;
  ran.set_command_tag("DELETE 12");
  ran.set_rows(12);
  CHECK(RecordOutcome(a, ran).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ApplyDecision(a, Token("carol", {}), true, "", 0, 1050).ok());
  v1::ApprovalRequest left = a;
  REQUIRE(RecordOutcome(a, ran).ok());
  CHECK(a.state() == v1::APPROVAL_STATE_EXECUTED);
  CHECK(a.outcome().rows() == 12);
  CHECK_FALSE(Withdraw(a, 1070));  // it ran
  // Approved, but the client left before the agent sent it: it never ran.
  CHECK(Withdraw(left, 1060));
  CHECK(left.state() == v1::APPROVAL_STATE_WITHDRAWN);
}
