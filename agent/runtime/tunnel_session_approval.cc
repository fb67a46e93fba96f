// A statement held until someone decides on it (require_approval): the session raises a request
// through the approval desk, tells the client at once (a NoticeResponse naming the request, the
// rule, who may approve and the command), keeps reading the tunnel meanwhile (a cancel or the
// client leaving withdraws the request), and releases the hold as decided: approved, the held
// messages go to the database exactly as held and the outcome is reported; denied, expired or
// withdrawn, the client gets 42501 saying why. Without a control stream the statement is refused
// at once.
#include <charconv>

#include "absl/strings/str_cat.h"
#include "agent/enforcement/masking_plan.h"
#include "agent/postgres/approval_proposal.h"
#include "agent/runtime/tunnel_session.h"
#include "common/log/log.h"
#include "common/pgwire/backend_builders.h"
#include "common/policy/approval_text.h"

namespace warden::agent {

namespace {

// How long the control plane may take to answer a raise (it answers as it stores the request).
constexpr auto kRaiseAnswerTimeout = std::chrono::seconds(30);
// How long after a request's expiry the agent waits for the control plane's word before it
// refuses the statement itself (the control plane may be restarting meanwhile).
constexpr auto kDecisionGrace = std::chrono::seconds(15);

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
  approval_.raised = true;
  if (env_->approvals == nullptr) {
    return ApplyRelease(HoldRelease::Refuse(
        "42501", absl::StrCat(held.message, " (this agent cannot ask for approvals)")));
  }
  std::string masking_key;
  PolicySnapshotPtr snapshot = env_->policy->Current(&masking_key);
  const MaskingPlan plan = CompileMaskingPlan(snapshot.get(), subject_, masking_key, session_id());
  v1::ApprovalRequest proposed = ProposeApproval(held, subject_, session_id(), plan);
  proposed.mutable_estimate()->set_no_plan("not estimated");
  std::weak_ptr<TunnelSession> weak = weak_from_this();
  absl::StatusOr<std::string> handle = env_->approvals->Raise(
      proposed, [weak, executor = executor_](const v1::ApprovalUpdate& update) {
        asio::post(executor, [weak, update] {
          if (auto self = weak.lock()) self->OnApprovalUpdate(update);
        });
      });
  if (!handle.ok()) {
    spdlog::warn("session {}: cannot ask for approval: {}", session_id(),
                 handle.status().message());
    return ApplyRelease(HoldRelease::Refuse(
        "42501", absl::StrCat(held.message,
                              " (Warden cannot reach its control plane to ask for approval, so "
                              "the statement is refused: ",
                              handle.status().message(), ")")));
  }
  approval_.handle = *std::move(handle);
  ArmApprovalTimer(kRaiseAnswerTimeout, "the control plane did not answer the approval request");
}

void TunnelSession::OnApprovalUpdate(const v1::ApprovalUpdate& update) {
  if (Stopping() || seam_.state() != QueryState::kHeld || approval_.handle.empty()) return;
  const v1::ApprovalRequest& r = update.request();
  const bool ours = update.handle().empty() ? r.id() == approval_.request_id
                                            : update.handle() == approval_.handle;
  if (!ours) return;  // about a hold this session no longer has
  if (!update.error().empty()) {
    env_->approvals->Forget(approval_.handle);
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
    case v1::APPROVAL_STATE_APPROVED: {
      if (r.window_of().empty()) {
        spdlog::info("session {}: approval request {} approved", session_id(), r.id());
      } else {
        spdlog::info("session {}: approval request {} approved under the window of {}",
                     session_id(), r.id(), r.window_of());
      }
      const HoldFacts& held = *seam_.held();
      approval_.collecting = true;
      approval_.type = held.message_type;
      approval_.statement = held.statement;
      approval_.statements =
          held.message_type == 'Q' && held.batch ? held.batch->statements.size() : 1;
      seam_.ledger().set_facts_sink([this](const StatementFacts& f) { OnApprovedFacts(f); });
      return OnHoldDecided(HoldRelease::Forward());
    }
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
  if (Stopping() || seam_.state() != QueryState::kHeld) return;
  if (upstream_writing_) {
    pending_release_ = std::move(release);  // OnUpstreamWritten comes back here
    return;
  }
  ApplyRelease(release);
  AfterClientBytes();
  StartUpstreamWrite();
}

void TunnelSession::ApplyRelease(const HoldRelease& release) {
  approval_timer_.cancel();
  if (!release.forward && !approval_.handle.empty()) env_->approvals->Forget(approval_.handle);
  approval_.raised = false;
  if (!approval_.collecting) approval_.handle.clear();
  if (auto st = seam_.ReleaseHold(release, &upstream_out_); !st.ok()) {
    CloseTunnel("08P01", absl::StrCat("protocol violation: ", st.message()));
  }
}

void TunnelSession::WithdrawApproval() {
  if (approval_.handle.empty() || approval_.collecting) return;
  spdlog::info("session {}: the client cancelled its statement waiting for approval{}",
               session_id(),
               approval_.request_id.empty() ? "" : absl::StrCat(" (", approval_.request_id, ")"));
  env_->approvals->Withdraw(approval_.handle);
  approval_.handle.clear();
}

void TunnelSession::OnApprovedFacts(const StatementFacts& f) {
  if (!approval_.collecting || f.request != approval_.type || f.sql != approval_.statement) return;
  v1::ApprovalOutcome& o = approval_.outcome;
  if (!f.sqlstate.empty()) {
    o.set_sqlstate(f.sqlstate);
    o.set_message(
        f.action == RequestAction::kReplaceError
            ? absl::StrCat("refused by Warden rule \"", std::string(f.rule), "\" when released")
            : "the statement failed");
  } else {
    o.set_command_tag(std::string(f.command_tag));
    o.set_rows(static_cast<int64_t>(f.rows > 0 ? f.rows : TagRows(f.command_tag)));
    if (f.index + 1 < approval_.statements) return;  // the batch's last statement decides
  }
  approval_.collecting = false;
  env_->approvals->Outcome(approval_.handle, o);
  spdlog::info("session {}: approved statement ran: {}", session_id(),
               o.sqlstate().empty() ? o.command_tag() : absl::StrCat("SQLSTATE ", o.sqlstate()));
  approval_.handle.clear();
  // Not from inside the sink itself.
  asio::post(executor_, [self = shared_from_this()] {
    if (!self->approval_.collecting) self->seam_.ledger().set_facts_sink(nullptr);
  });
}

void TunnelSession::EndApproval() {
  approval_timer_.cancel();
  pending_release_.reset();
  if (approval_.collecting && !approval_.handle.empty()) {
    v1::ApprovalOutcome o;
    o.set_sqlstate("08006");
    o.set_message("the session ended before the approved statement's result arrived");
    env_->approvals->Outcome(approval_.handle, o);
  } else if (!approval_.handle.empty()) {
    env_->approvals->Withdraw(approval_.handle);
    spdlog::info(
        "session {}: the session ended; its statement waiting for approval{} was withdrawn",
        session_id(), approval_.request_id.empty() ? "" : absl::StrCat(" ", approval_.request_id));
  }
  approval_ = ApprovalWait{};
  seam_.AbandonHold();
}

void TunnelSession::ArmApprovalTimer(std::chrono::steady_clock::duration after, std::string why) {
  approval_timer_.expires_after(after);
  approval_timer_.async_wait([self = shared_from_this(),
                              why = std::move(why)](asio::error_code ec) {
    if (ec || self->Stopping() || self->seam_.state() != QueryState::kHeld) return;
    const std::string id = self->approval_.request_id;
    spdlog::warn("session {}: {}{}; refusing the held statement", self->session_id(), why,
                 id.empty() ? "" : absl::StrCat(" (", id, ")"));
    self->WithdrawApproval();
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
