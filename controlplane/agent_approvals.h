// One agent control stream's side of the approval queue. The agent's approval messages (raise,
// withdraw, outcome) arrive signed by its identity key, in order, for this stream: a gateway
// relaying the stream can neither forge nor replay one. What the agent is owed goes back as
// ApprovalUpdates for the stream's writer to sign: the answer to each raise (the request's id
// and approvers, or why it was refused) and every decision on its requests.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controlplane/agent_proof.h"
#include "controlplane/approval_queue.h"
#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"
#include "controlplane/store/policy_store.h"
#include "warden/v1/agent.pb.h"

namespace warden::controlplane {

class AgentApprovalChannel {
 public:
  // Owes the agent, from the start, the outcome of every request of its that was decided while
  // it had no stream (it ignores those it no longer holds).
  AgentApprovalChannel(ApprovalQueue& queue, LiveSessions& sessions, store::PolicyStore& policies,
                       PolicyNotifier& notifier, std::string agent, const ProvenAgent& proven);
  ~AgentApprovalChannel();
  AgentApprovalChannel(const AgentApprovalChannel&) = delete;
  AgentApprovalChannel& operator=(const AgentApprovalChannel&) = delete;

  // A message from the stream. An error is a message that does not verify or comes out of
  // order: the stream must end. A request the queue refuses is not an error: the agent is told.
  absl::Status OnMessage(const v1::SignedApprovalMessage& signed_message);

  // The updates owed since the last call, in order.
  std::vector<v1::ApprovalUpdate> Take();

 private:
  void Raise(const v1::ApprovalMessage& m);
  void Owe(v1::ApprovalUpdate update);

  ApprovalQueue& queue_;
  LiveSessions& sessions_;
  store::PolicyStore& policies_;
  PolicyNotifier& notifier_;
  const std::string agent_;
  const ProvenAgent& proven_;
  uint64_t sequence_ = 0;  // of the last message verified
  int watch_ = 0;
  std::mutex mu_;
  std::vector<v1::ApprovalUpdate> owed_;
  // The raise under way on the reader thread, answered by the watcher as the request is stored.
  struct Raising {
    std::string handle;
    std::string session;
  };
  std::optional<Raising> raising_;
};

}  // namespace warden::controlplane
