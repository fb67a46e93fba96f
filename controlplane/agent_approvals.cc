#include "controlplane/agent_approvals.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/signing_inputs.h"
#include "common/log/log.h"
#include "controlplane/approval_rules.h"

namespace warden::controlplane {

namespace {

// Decided requests an agent is told of again on a new stream: those decided in the last day
// (a hold never waits longer than the longest approval timeout).
constexpr int64_t kOwedFor = 86400;
constexpr int kOwedReadBack = 10000;

// What the agent holding the statement must hear: it goes ahead or is refused.
bool Decided(v1::ApprovalState s) {
  return s == v1::APPROVAL_STATE_APPROVED || s == v1::APPROVAL_STATE_DENIED ||
         s == v1::APPROVAL_STATE_EXPIRED;
}

}  // namespace

AgentApprovalChannel::AgentApprovalChannel(ApprovalQueue& queue, LiveSessions& sessions,
                                           store::PolicyStore& policies, PolicyNotifier& notifier,
                                           std::string agent, const ProvenAgent& proven)
    : queue_(queue),
      sessions_(sessions),
      policies_(policies),
      notifier_(notifier),
      agent_(std::move(agent)),
      proven_(proven) {
  watch_ = queue_.Watch([this](const v1::ApprovalRequest& r) {
    if (r.agent() != agent_) return;
    v1::ApprovalUpdate u;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The request this stream is raising, as it is stored: its answer goes out here, under
      // the queue's lock, so no decision on it can overtake it.
      // (Approved at once when an open window covers it.)
      const bool just_raised =
          r.decisions().empty() &&
          (r.state() == v1::APPROVAL_STATE_PENDING ||
           (r.state() == v1::APPROVAL_STATE_APPROVED && !r.window_of().empty()));
      if (raising_ && just_raised && r.session_id() == raising_->session) {
        u.set_handle(raising_->handle);
        raising_.reset();
      } else if (!Decided(r.state())) {
        return;
      }
    }
    *u.mutable_request() = r;
    Owe(std::move(u));
  });
  // Decisions made while this agent had no stream (a control-plane restart, a reconnect).
  absl::StatusOr<std::vector<v1::ApprovalRequest>> recent =
      queue_.List(std::nullopt, kOwedReadBack);
  if (!recent.ok()) return;
  const int64_t since = store::NowUnix() - kOwedFor;
  for (const v1::ApprovalRequest& r : *recent) {
    if (r.agent() != agent_ || !Decided(r.state()) || r.closed_unix() < since) continue;
    v1::ApprovalUpdate u;
    *u.mutable_request() = r;
    Owe(std::move(u));
  }
}

AgentApprovalChannel::~AgentApprovalChannel() { queue_.Unwatch(watch_); }

absl::Status AgentApprovalChannel::OnMessage(const v1::SignedApprovalMessage& signed_message) {
  if (signed_message.sequence() != sequence_ + 1) {
    return absl::PermissionDeniedError(absl::StrCat("approval message ", signed_message.sequence(),
                                                    " out of order (expected ", sequence_ + 1,
                                                    "): replayed or dropped on the way"));
  }
  if (!crypto::Ed25519Verify(
          proven_.reg.identity_key(),
          crypto::AgentApprovalSigningInput(agent_, {proven_.nonce, proven_.reg.nonce()},
                                            signed_message.sequence(), signed_message.message()),
          signed_message.signature())) {
    return absl::PermissionDeniedError(
        "an approval message does not verify against the agent's identity key (a gateway "
        "speaking for the agent?)");
  }
  sequence_ = signed_message.sequence();
  v1::ApprovalMessage m;
  if (!m.ParseFromString(signed_message.message())) {
    return absl::InvalidArgumentError("an approval message does not parse");
  }
  switch (m.kind()) {
    case v1::ApprovalMessage::KIND_RAISE:
      Raise(m);
      return absl::OkStatus();
    case v1::ApprovalMessage::KIND_WITHDRAW:
      if (auto r = queue_.Withdraw(m.request_id(), agent_); r.ok()) {
        spdlog::info("approval request {} withdrawn: its client cancelled or left", r->id());
      } else {
        spdlog::info("agent {}: withdrawing {}: {}", agent_, m.request_id(), r.status().message());
      }
      return absl::OkStatus();
    case v1::ApprovalMessage::KIND_OUTCOME:
      if (auto r = queue_.RecordOutcome(m.request_id(), agent_, m.outcome()); !r.ok()) {
        spdlog::warn("agent {}: outcome of {}: {}", agent_, m.request_id(), r.status().message());
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("an approval message of unknown kind");
  }
}

void AgentApprovalChannel::Raise(const v1::ApprovalMessage& m) {
  const v1::ApprovalRequest& proposed = m.request();
  {
    std::lock_guard<std::mutex> lock(mu_);
    raising_ = Raising{m.handle(), proposed.session_id()};
  }
  absl::StatusOr<v1::ApprovalRequest> raised = [&]() -> absl::StatusOr<v1::ApprovalRequest> {
    std::optional<v1::LiveSession> session = sessions_.Find(proposed.session_id());
    if (!session) {
      return absl::NotFoundError(
          absl::StrCat("the control plane knows no live session ", proposed.session_id()));
    }
    // The agent's word on who asked and where comes from the credential the control plane
    // signed for it; the session's from the authorization. They agree, or neither is believed.
    std::vector<std::string> said(proposed.groups().begin(), proposed.groups().end());
    std::vector<std::string> granted(session->groups().begin(), session->groups().end());
    std::sort(said.begin(), said.end());
    std::sort(granted.begin(), granted.end());
    if (session->identity() != proposed.identity() ||
        session->connection() != proposed.connection() || said != granted) {
      return absl::PermissionDeniedError(
          absl::StrCat("session ", proposed.session_id(),
                       " was authorized for another identity, groups or connection than the "
                       "agent's credential names"));
    }
    absl::StatusOr<v1::PolicyInfo> policy = policies_.Get(proposed.policy());
    if (!policy.ok()) {
      return absl::NotFoundError(
          absl::StrCat("policy \"", proposed.policy(), "\" that holds the statement is gone"));
    }
    return queue_.Raise(proposed, agent_, *session, policy->spec());
  }();
  {
    std::lock_guard<std::mutex> lock(mu_);
    raising_.reset();  // answered by the watcher when it was stored
  }
  if (raised.ok()) {
    spdlog::info("approval request {} raised for {} on {} (policy \"{}\" rule \"{}\")",
                 raised->id(), raised->identity(), raised->connection(), raised->policy(),
                 raised->rule());
    return;
  }
  spdlog::warn("agent {}: approval request for session {} refused: {}", agent_,
               proposed.session_id(), raised.status().message());
  v1::ApprovalUpdate answer;
  answer.set_handle(m.handle());
  answer.set_error(std::string(raised.status().message()));
  Owe(std::move(answer));
}

void AgentApprovalChannel::Owe(v1::ApprovalUpdate update) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    owed_.push_back(std::move(update));
  }
  notifier_.ApprovalsChanged();
}

std::vector<v1::ApprovalUpdate> AgentApprovalChannel::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::ApprovalUpdate> out;
  out.swap(owed_);
  return out;
}

}  // namespace warden::controlplane
