// The approval queue over a real store in a temporary directory, with a clock the test moves:
// requests raised, decided, expired, withdrawn and closed; what survives a restart; windows.
#include "controlplane/approval_queue.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "controlplane/store/database.h"

using namespace warden;
using controlplane::ApprovalQueue;

namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/warden-approvals-XXXXXX";
    dir = ::mkdtemp(tmpl);
    Reopen();
  }
  ~Fixture() {
    queue.reset();
    approvals.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
  // As a control-plane restart: the same file, everything in memory anew.
  void Reopen() {
    queue.reset();
    approvals.reset();
    db.reset();
    auto opened = store::Database::Open((dir / "warden.db").string());
    REQUIRE(opened.ok());
    db = std::move(*opened);
    approvals = std::make_unique<store::ApprovalStore>(*db);
    auto q = ApprovalQueue::Open(*approvals, [this] { return now; });
    REQUIRE(q.ok());
    queue = std::move(*q);
  }
  std::filesystem::path dir;
  int64_t now = 1000;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::ApprovalStore> approvals;
  std::unique_ptr<ApprovalQueue> queue;
};

v1::LiveSession Session() {
  v1::LiveSession s;
  s.set_session_id("ses_1");
  s.set_identity("claude-agent");
  s.add_groups("ai-agents");
  s.set_connection("demo");
  s.set_agent("edge-1");
  return s;
}

v1::Policy Policy(uint32_t required = 1, uint32_t window = 0) {
  v1::Policy p;
  p.set_name("guardrails");
  p.mutable_approval()->add_approver_groups("dba");
  p.mutable_approval()->set_timeout_seconds(300);
  p.mutable_approval()->set_approvals_required(required);
  p.mutable_approval()->set_max_window_seconds(window);
  return p;
}

v1::ApprovalRequest Proposed() {
  v1::ApprovalRequest r;
  r.set_statement("DELETE FROM orders WHERE id = $1");
  r.add_parameters("42");
  r.set_fingerprint("00ab");
  r.set_rule("writes-need-approval");
  // What an agent may not decide for itself: these are replaced.
  r.set_identity("someone-else");
  r.set_state(v1::APPROVAL_STATE_APPROVED);
  r.set_approvals_required(0);
  return r;
}

v1::AdminTokenInfo Approver(const std::string& identity) {
  v1::AdminTokenInfo t;
  t.set_id("adm_" + identity);
  t.set_name(identity);
  t.set_identity(identity);
  t.add_groups("dba");
  t.add_roles("approver");
  return t;
}

}  // namespace

TEST_CASE("a raised request takes who asked from the session and its rules from the policy",
          "[approvals]") {
  Fixture f;
  std::vector<v1::ApprovalRequest> heard;
  f.queue->Watch([&](const v1::ApprovalRequest& r) { heard.push_back(r); });
  auto r = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(2));
  REQUIRE(r.ok());
  CHECK(r->id().rfind("apr_", 0) == 0);
  CHECK(r->state() == v1::APPROVAL_STATE_PENDING);
  CHECK(r->identity() == "claude-agent");
  CHECK(r->groups(0) == "ai-agents");
  CHECK(r->connection() == "demo");
  CHECK(r->approvals_required() == 2);
  CHECK(r->approver_groups(0) == "dba");
  CHECK(r->expires_unix() == 1300);
  CHECK(r->parameters(0) == "42");
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].id() == r->id());
  // Another agent cannot raise one for this session.
  CHECK(f.queue->Raise(Proposed(), "edge-2", Session(), Policy()).status().code() ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE("a pending request survives a restart, is decided after it and expires on time",
          "[approvals]") {
  Fixture f;
  auto first = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(2));
  auto second = f.queue->Raise(Proposed(), "edge-1", Session(), Policy());
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(f.queue->Decide(first->id(), Approver("alice"), true, "ok", 0).ok());
  f.Reopen();
  CHECK(f.queue->NextDeadline() == 1300);
  auto approved = f.queue->Decide(first->id(), Approver("bob"), true, "", 0);
  REQUIRE(approved.ok());
  CHECK(approved->state() == v1::APPROVAL_STATE_APPROVED);
  CHECK(approved->decisions_size() == 2);

  f.now = 1299;
  CHECK(f.queue->ExpireDue().empty());
  f.now = 1300;
  auto expired = f.queue->ExpireDue();
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].id() == second->id());
  CHECK(f.queue->Get(second->id())->state() == v1::APPROVAL_STATE_EXPIRED);
  CHECK(!f.queue->NextDeadline().has_value());
  // Too late to decide it now.
  CHECK(f.queue->Decide(second->id(), Approver("alice"), true, "", 0).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("an approver's word after the timeout expires the request instead", "[approvals]") {
  Fixture f;
  auto r = f.queue->Raise(Proposed(), "edge-1", Session(), Policy());
  REQUIRE(r.ok());
  f.now = 1400;  // the expiry timer has not run yet
  auto late = f.queue->Decide(r->id(), Approver("alice"), true, "", 0);
  CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(f.queue->Get(r->id())->state() == v1::APPROVAL_STATE_EXPIRED);
}

TEST_CASE("only the agent that raised a request withdraws it or reports its outcome",
          "[approvals]") {
  Fixture f;
  auto w = f.queue->Raise(Proposed(), "edge-1", Session(), Policy());
  REQUIRE(w.ok());
  CHECK(f.queue->Withdraw(w->id(), "edge-2").status().code() ==
        absl::StatusCode::kPermissionDenied);
  REQUIRE(f.queue->Withdraw(w->id(), "edge-1").ok());
  CHECK(f.queue->Get(w->id())->state() == v1::APPROVAL_STATE_WITHDRAWN);
  CHECK(f.queue->Withdraw(w->id(), "edge-1").status().code() ==
        absl::StatusCode::kFailedPrecondition);

  auto a = f.queue->Raise(Proposed(), "edge-1", Session(), Policy());
  REQUIRE(a.ok());
  REQUIRE(f.queue->Decide(a->id(), Approver("alice"), true, "", 0).ok());
  v1::ApprovalOutcome ran;
  ran.set_command_tag("DELETE 1");
  ran.set_rows(1);
  CHECK(f.queue->RecordOutcome(a->id(), "edge-2", ran).status().code() ==
        absl::StatusCode::kPermissionDenied);
  auto done = f.queue->RecordOutcome(a->id(), "edge-1", ran);
  REQUIRE(done.ok());
  CHECK(done->state() == v1::APPROVAL_STATE_EXECUTED);
  CHECK(done->outcome().command_tag() == "DELETE 1");
}

TEST_CASE("an approval window covers the same statement of the same identity, until it ends",
          "[approvals]") {
  Fixture f;
  auto r = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(1, 3600));
  REQUIRE(r.ok());
  CHECK(!f.queue->WindowFor("claude-agent", "demo", "00ab").has_value());
  REQUIRE(f.queue->Decide(r->id(), Approver("alice"), true, "batch job", 600).ok());
  CHECK(f.queue->WindowFor("claude-agent", "demo", "00ab") == r->id());
  CHECK(!f.queue->WindowFor("claude-agent", "demo", "00ac").has_value());  // other statement
  CHECK(!f.queue->WindowFor("other-agent", "demo", "00ab").has_value());   // other identity
  CHECK(!f.queue->WindowFor("claude-agent", "prod", "00ab").has_value());  // other connection
  f.Reopen();
  CHECK(f.queue->WindowFor("claude-agent", "demo", "00ab") == r->id());
  // The same statement raised again inside the window is approved as it is raised, and says
  // under whose approval; it opens no window of its own.
  auto again = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(1, 3600));
  REQUIRE(again.ok());
  CHECK(again->state() == v1::APPROVAL_STATE_APPROVED);
  CHECK(again->window_of() == r->id());
  CHECK(again->decisions().empty());
  f.now = 1600;
  CHECK(!f.queue->WindowFor("claude-agent", "demo", "00ab").has_value());
  auto late = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(1, 3600));
  REQUIRE(late.ok());
  CHECK(late->state() == v1::APPROVAL_STATE_PENDING);
}

TEST_CASE("a policy that names no approvers has its requests refused at once", "[approvals]") {
  Fixture f;
  v1::Policy p = Policy();
  p.mutable_approval()->clear_approver_groups();
  auto r = f.queue->Raise(Proposed(), "edge-1", Session(), p);
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("names no approvers") != std::string::npos);
  CHECK(f.queue->List(std::nullopt, 10)->empty());
}

TEST_CASE("with several approvers, a window opens only when each of them gave one", "[approvals]") {
  Fixture f;
  auto one = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(2, 3600));
  REQUIRE(one.ok());
  REQUIRE(f.queue->Decide(one->id(), Approver("alice"), true, "", 3600).ok());
  REQUIRE(f.queue->Decide(one->id(), Approver("bob"), true, "this one only", 0).ok());
  CHECK(f.queue->Get(one->id())->state() == v1::APPROVAL_STATE_APPROVED);
  CHECK(!f.queue->WindowFor("claude-agent", "demo", "00ab").has_value());

  auto both = f.queue->Raise(Proposed(), "edge-1", Session(), Policy(2, 3600));
  REQUIRE(both.ok());
  REQUIRE(f.queue->Decide(both->id(), Approver("alice"), true, "", 3600).ok());
  REQUIRE(f.queue->Decide(both->id(), Approver("bob"), true, "", 600).ok());
  CHECK(f.queue->WindowFor("claude-agent", "demo", "00ab") == both->id());
  f.now = 1600;  // the shorter of the two
  CHECK(!f.queue->WindowFor("claude-agent", "demo", "00ab").has_value());
}
