// The decision counters each agent last reported over its control stream (AgentStats). An
// agent's counters are cumulative since that agent started and each report replaces the last,
// so keeping only the latest is enough. In memory only: after a control-plane restart an agent
// is missing until it reports again, which it does as soon as its control stream is back.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"

namespace warden::controlplane {

class DecisionStats {
 public:
  // Rows one report may carry: far more (policy, rule, action) keys than any real policy set
  // has, and the agent caps its own set below this.
  static constexpr int kMaxRows = 20000;

  [[nodiscard]] absl::Status Report(const std::string& agent, v1::AgentStats stats) {
    int rows = stats.decisions_size() + stats.masked_size();
    if (rows > kMaxRows) {
      return absl::InvalidArgumentError(
          absl::StrCat("stats report with ", rows, " rows ignored (at most ", kMaxRows, ")"));
    }
    v1::AgentDecisionStats entry;
    entry.set_agent(agent);
    entry.set_reported_unix(store::NowUnix());
    *entry.mutable_stats() = std::move(stats);
    std::lock_guard<std::mutex> lock(mu_);
    latest_[agent] = std::move(entry);
    return absl::OkStatus();
  }

  // The latest report of `agent`, or of every agent when it is empty; sorted by agent name.
  std::vector<v1::AgentDecisionStats> List(const std::string& agent) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::AgentDecisionStats> out;
    for (const auto& [name, entry] : latest_) {
      if (agent.empty() || name == agent) out.push_back(entry);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, v1::AgentDecisionStats> latest_;  // by agent name
};

}  // namespace warden::controlplane
