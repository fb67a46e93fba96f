// A statement held until someone decides on it (require_approval): the session estimates its
// impact (impact_estimate.h), raises a request through the approval desk, tells the client at
// once (a NoticeResponse naming the request, the rule, who may approve and the command), keeps
// reading the tunnel meanwhile (a cancel or the client leaving withdraws the request), and
// releases the hold as decided: approved, the held messages go to the database exactly as held
// and the outcome is reported once the ledger has it; denied, expired or withdrawn, the client
// gets 42501 saying why. Without a control stream the statement is refused at once.
#include <charconv>

#include "absl/strings/str_cat.h"
#include "agent/enforcement/masking_plan.h"
#include "agent/postgres/approval_proposal.h"
#include "agent/postgres/impact_estimate.h"
#include "agent/runtime/tunnel_session.h"
#include "common/log/log.h"
#include "common/pgwire/backend_builders.h"
#include "common/pgwire/frontend_builders.h"
#include "common/policy/approval_text.h"

namespace warden::agent {

namespace {

// How long the control plane may take to answer a raise (it answers as it stores the request).
constexpr auto kRaiseAnswerTimeout = std::chrono::seconds(30);
// How long after a request's expiry the agent waits for the control plane's word before it
// refuses the statement itself (the control plane may be restarting meanwhile).
constexpr auto kDecisionGrace = std::chrono::seconds(15);
// How long the impact estimate's EXPLAIN may plan before the agent cancels it (a held Execute's
// runs without a statement timeout of its own: it cannot set one in the client's request).
constexpr auto kEstimateTimeout = std::chrono::seconds(5);

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The row count a command tag ends with ("DELETE 3", "INSERT 0 3"), else 0.
uint64_t TagRows(std::string_view tag) {
  size_t space = tag.rfind(' ');
  if (space == std::string_view::npos) return 0;
  uint64_t n = 0;
  std::from_chars(tag.data() + space + 1, tag.data() + tag.size(), n);
  return n;
}

}  // namespace

void TunnelSession::AfterClientBytes() {
  // A refusal releases what was pipelined behind the hold, which may start another one.
  while (!Stopping() && seam_.state() == QueryState::kHeld && !approval_.raised) RaiseApproval();
}

void TunnelSession::RaiseApproval() {
  const HoldFacts& held = *seam_.held();
  approval_ = ApprovalWait{};
  approval_.generation = ++holds_;
  approval_.raised = true;
  if (seam_.ledger().discarding()) {
    // Something of the client's request failed before it: the server skips it until the Sync.
    return RefuseHold(HoldRelease::Discard(), /*now=*/true);
  }
  if (env_->approvals == nullptr) {
    return RefuseHold(
        HoldRelease::Refuse("42501",
                            absl::StrCat(held.message, " (this agent cannot ask for approvals)")),
        /*now=*/true);
  }
  const DatabaseActivity database = seam_.database_activity();
  EstimateQuery estimate = PlanEstimate(held, database);
  if (held.message_type == 'E' && database == DatabaseActivity::kPreparing) {
    // The server holds back the answers to the client's Parse and Bind until a Flush: they
    // come first (if one failed, the server skips the Execute: nothing to ask about), then the
    // estimate or the request (ContinueEstimate).
    pgwire::Encode(pgwire::Flush{}, &upstream_out_);
    approval_.flushing = true;
    approval_.explain = estimate.extended ? std::move(estimate.sql) : "";
    approval_.estimate.set_no_plan(estimate.no_plan);
    return;
  }
  if (estimate.sql.empty()) {
    approval_.estimate.set_no_plan(estimate.no_plan);
  } else if (BeginEstimate(estimate.sql, estimate.extended)) {
    return;  // goes out with the bytes being prepared (the caller writes upstream_out_ next)
  }
  SendRaise(/*now=*/true);
}

bool TunnelSession::BeginEstimate(const std::string& sql, bool extended) {
  std::string bytes = seam_.StartEstimate(sql, extended);
  if (bytes.empty()) {
    approval_.estimate.set_no_plan(
        "not estimated: the statement's bound parameters could not be read");
    return false;
  }
  upstream_out_ += bytes;
  approval_.estimating = true;
  ArmEstimateTimer();
  return true;
}

void TunnelSession::ContinueEstimate() {
  if (!approval_.flushing || upstream_writing_ || Stopping() ||
      seam_.state() != QueryState::kHeld) {
    return;
  }
  if (seam_.ledger().discarding()) {
    // The client has its Parse's or Bind's error; the server would skip the Execute.
    approval_.flushing = false;
    spdlog::info("session {}: the held statement's request failed before it; dropped",
                 session_id());
    return OnHoldDecided(HoldRelease::Discard());
  }
  if (seam_.ledger().size() > 0) return;  // more answers to come
  approval_.flushing = false;
  // Without an EXPLAIN to run, why there is none was set with the Flush.
  if (approval_.explain.empty() || !BeginEstimate(approval_.explain, /*extended=*/true)) {
    return SendRaise(/*now=*/false);
  }
  StartUpstreamWrite();
}

void TunnelSession::ArmEstimateTimer() {
  approval_timer_.expires_after(kEstimateTimeout);
  approval_timer_.async_wait([self = shared_from_this(),
                              generation = approval_.generation](asio::error_code ec) {
    if (ec || self->Stopping() || self->approval_.generation != generation ||
        !self->approval_.estimating) {
      return;
    }
    // Its error then comes back as the estimate's failure (for a held Execute, the client's
    // error: the statement is not run).
    spdlog::warn("session {}: the impact estimate's EXPLAIN ran longer than {} s; cancelling it",
                 self->session_id(), kEstimateTimeout.count());
    self->SendCancel();
  });
}

void TunnelSession::OnEstimated() {
  approval_.estimating = false;
  if (const CatalogLoader* e = seam_.estimate()) {
    if (e->server_failed()) {
      // The client has the failure as its statement's error (StatementGuard::StartEstimate).
      spdlog::info("session {}: the held statement failed to plan; not run", session_id());
      return OnHoldDecided(HoldRelease::Discard());
    }
    ReadEstimate(e->rows(), e->status(), &approval_.estimate);
  }
  SendRaise(/*now=*/false);
}

void TunnelSession::SendRaise(bool now) {
  const HoldFacts& held = *seam_.held();
  std::string masking_key;
  PolicySnapshotPtr snapshot = env_->policy->Current(&masking_key);
  const MaskingPlan plan = CompileMaskingPlan(snapshot.get(), subject_, masking_key, session_id());
  v1::ApprovalRequest proposed = ProposeApproval(held, subject_, session_id(), plan);
  proposed.mutable_estimate()->MergeFrom(approval_.estimate);
  std::weak_ptr<TunnelSession> weak = weak_from_this();
  absl::StatusOr<std::string> handle = env_->approvals->Raise(
      proposed, [weak, executor = executor_,
                 generation = approval_.generation](const v1::ApprovalUpdate& update) {
        asio::post(executor, [weak, generation, update] {
          if (auto self = weak.lock()) self->OnApprovalUpdate(generation, update);
        });
      });
  if (!handle.ok()) {
    spdlog::warn("session {}: cannot ask for approval: {}", session_id(),
                 handle.status().message());
    return RefuseHold(
        HoldRelease::Refuse(
            "42501", absl::StrCat(held.message,
                                  " (Warden cannot reach its control plane to ask for approval, "
                                  "so the statement is refused: ",
                                  handle.status().message(), ")")),
        now);
  }
  approval_.handle = *std::move(handle);
  ArmApprovalTimer(kRaiseAnswerTimeout, "the control plane did not answer the approval request");
}

void TunnelSession::RefuseHold(HoldRelease release, bool now) {
  if (now) return ApplyRelease(release);
  OnHoldDecided(std::move(release));
}

void TunnelSession::OnApprovalUpdate(uint64_t generation, const v1::ApprovalUpdate& update) {
  // About a hold this session no longer has, or one already decided: nothing to do.
  if (Stopping() || seam_.state() != QueryState::kHeld || generation != approval_.generation ||
      approval_.handle.empty() || pending_release_) {
    return;
  }
  const v1::ApprovalRequest& r = update.request();
  if (!update.error().empty()) {
    return OnHoldDecided(HoldRelease::Refuse(
        "42501", absl::StrCat(seam_.held()->message,
                              " (approval could not be requested: ", update.error(), ")")));
  }
  approval_.request_id = r.id();
  switch (r.state()) {
    case v1::APPROVAL_STATE_PENDING: {
      spdlog::info("session {}: waiting for approval request {}", session_id(), r.id());
      SendToClient(pgwire::BuildNoticeResponse("NOTICE", "00000", WaitingNotice(r), std::nullopt,
                                               absl::StrCat("wardenctl approvals show ", r.id())));
      const int64_t left = std::max<int64_t>(0, r.expires_unix() - UnixNow());
      ArmApprovalTimer(std::chrono::seconds(left) + kDecisionGrace,
                       "no decision reached this agent by the request's deadline");
      return;
    }
    case v1::APPROVAL_STATE_APPROVED:
      if (r.window_of().empty()) {
        spdlog::info("session {}: approval request {} approved", session_id(), r.id());
      } else {
        spdlog::info("session {}: approval request {} approved under the window of {}",
                     session_id(), r.id(), r.window_of());
      }
      return OnHoldDecided(HoldRelease::Forward());
    case v1::APPROVAL_STATE_DENIED:
    case v1::APPROVAL_STATE_EXPIRED:
    case v1::APPROVAL_STATE_WITHDRAWN:
      spdlog::info("session {}: approval request {} {}", session_id(), r.id(),
                   policy::StateName(r.state()));
      return OnHoldDecided(HoldRelease::Refuse("42501", policy::RefusalMessage(r)));
    default:
      return;
  }
}

void TunnelSession::OnHoldDecided(HoldRelease release) {
  if (Stopping() || seam_.state() != QueryState::kHeld || pending_release_) return;
  if (upstream_writing_) {
    approval_timer_.cancel();
    pending_release_ = std::move(release);  // OnUpstreamWritten comes back here
    return;
  }
  ApplyRelease(release);
  AfterClientBytes();
  StartUpstreamWrite();
}

void TunnelSession::ApplyRelease(const HoldRelease& release) {
  approval_timer_.cancel();
  pending_release_.reset();
  if (!approval_.handle.empty()) {
    if (release.forward) {
      // Its outcome is owed once the database has answered it.
      const HoldFacts& held = *seam_.held();
      const size_t statements =
          held.message_type == 'Q' && held.batch ? held.batch->statements.size() : 1;
      approved_.push_back(ApprovedRun{
          approval_.handle, held.message_type, held.statement, held.rule, statements, {}});
      seam_.ledger().set_facts_sink([this](const StatementFacts& f) { OnApprovedFacts(f); });
    } else {
      env_->approvals->Forget(approval_.handle);
    }
  }
  // An EXPLAIN still at the database is taken out of the stream all the same.
  approval_ = ApprovalWait{};
  std::string released;
  if (auto st = seam_.ReleaseHold(release, &released); !st.ok()) {
    return CloseTunnel("08P01", absl::StrCat("protocol violation: ", st.message()));
  }
  upstream_out_ += released;  // after what may already wait there (the bytes before the hold)
}

void TunnelSession::WithdrawApproval(const char* why) {
  if (approval_.handle.empty() || pending_release_) return;
  spdlog::info("session {}: {}; approval request {} withdrawn", session_id(), why,
               approval_.request_id.empty() ? "(not answered yet)" : approval_.request_id);
  env_->approvals->Withdraw(approval_.handle);
  approval_.handle.clear();
}

void TunnelSession::OnApprovedFacts(const StatementFacts& f) {
  if (approved_.empty()) return;
  ApprovedRun& run = approved_.front();
  // Its own text, or the stand-in that refused it when released (the policy changed meanwhile,
  // and its rule may be another).
  const bool refused = f.action == RequestAction::kReplaceError;
  if (f.request != run.type || (f.sql != run.statement && !refused)) return;
  v1::ApprovalOutcome& o = run.outcome;
  if (!f.sqlstate.empty()) {
    o.set_sqlstate(f.sqlstate);
    o.set_message(
        refused ? absl::StrCat("refused by Warden rule \"", std::string(f.rule), "\" when released")
                : "the statement failed");
  } else {
    o.set_command_tag(std::string(f.command_tag));
    o.set_rows(static_cast<int64_t>(f.rows > 0 ? f.rows : TagRows(f.command_tag)));
    if (f.index + 1 < run.statements) return;  // the text's last statement completes it
  }
  env_->approvals->Outcome(run.handle, o);
  spdlog::info("session {}: approved statement ran: {}", session_id(),
               o.sqlstate().empty() ? o.command_tag() : absl::StrCat("SQLSTATE ", o.sqlstate()));
  approved_.pop_front();
  if (!approved_.empty()) return;
  // Not from inside the sink itself.
  asio::post(executor_, [self = shared_from_this()] {
    if (self->approved_.empty()) self->seam_.ledger().set_facts_sink(nullptr);
  });
}

void TunnelSession::EndApproval() {
  approval_timer_.cancel();
  // Approved but never sent (a write was in flight), or still waiting: it did not run.
  if (!approval_.handle.empty()) {
    env_->approvals->Withdraw(approval_.handle);
    spdlog::info("session {}: the session ended; approval request {} withdrawn", session_id(),
                 approval_.request_id.empty() ? "(not answered yet)" : approval_.request_id);
  }
  for (const ApprovedRun& run : approved_) {
    v1::ApprovalOutcome o;
    o.set_sqlstate("08006");
    o.set_message("the session ended before the approved statement's result arrived");
    env_->approvals->Outcome(run.handle, o);
  }
  approved_.clear();
  pending_release_.reset();
  approval_ = ApprovalWait{};
  seam_.AbandonHold();
}

void TunnelSession::ArmApprovalTimer(std::chrono::steady_clock::duration after, std::string why) {
  approval_timer_.expires_after(after);
  approval_timer_.async_wait([self = shared_from_this(), generation = approval_.generation,
                              why = std::move(why)](asio::error_code ec) {
    // A handler already queued when the timer was cancelled, or one for an earlier hold, has
    // nothing to say about this one.
    if (ec || self->Stopping() || self->seam_.state() != QueryState::kHeld ||
        self->approval_.generation != generation || self->pending_release_) {
      return;
    }
    const std::string id = self->approval_.request_id;
    spdlog::warn("session {}: {}{}; refusing the held statement", self->session_id(), why,
                 id.empty() ? "" : absl::StrCat(" (", id, ")"));
    self->WithdrawApproval("no decision in time");
    self->OnHoldDecided(HoldRelease::Refuse(
        "42501",
        absl::StrCat("statement not run: ", why, id.empty() ? "" : absl::StrCat(" (", id, ")"))));
  });
}

void TunnelSession::SendToClient(std::string_view message) {
  if (tunnel_gone_) return;
  // Its own data frame: whole database messages only ever go out (to_client_), so this one
  // lands between two of them.
  tunnel_queue_.push_back({tunnel::EncodeFrame(tunnel::FrameType::kData, message), false});
  PumpTunnel();
}

}  // namespace warden::agent
