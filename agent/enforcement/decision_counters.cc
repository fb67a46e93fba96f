#include "agent/enforcement/decision_counters.h"

#include <algorithm>
#include <ctime>
#include <tuple>
#include <utility>
#include <vector>

namespace warden::agent {

DecisionCounters::DecisionCounters() : started_unix_(std::time(nullptr)) {}

void DecisionCounters::Count(std::string_view policy, std::string_view rule, v1::Action action) {
  Add({policy, rule, static_cast<int>(action)}, 1);
}

void DecisionCounters::CountMasked(std::string_view policy, std::string_view masking_rule,
                                   uint64_t n) {
  if (n > 0) Add({policy, masking_rule, kMaskedKind}, n);
}

void DecisionCounters::Add(KeyView key, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    if (counts_.size() >= kMaxKeys) key = {"", kOverflow, key.kind};
    it =
        counts_.try_emplace(Key{std::string(key.policy), std::string(key.rule), key.kind}, 0).first;
  }
  it->second += n;
}

uint64_t DecisionCounters::Get(KeyView key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

uint64_t DecisionCounters::Decisions(std::string_view policy, std::string_view rule,
                                     v1::Action action) const {
  return Get({policy, rule, static_cast<int>(action)});
}

uint64_t DecisionCounters::Masked(std::string_view policy, std::string_view masking_rule) const {
  return Get({policy, masking_rule, kMaskedKind});
}

v1::AgentStats DecisionCounters::Snapshot() const {
  std::vector<std::pair<Key, uint64_t>> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rows.assign(counts_.begin(), counts_.end());
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.policy, a.first.rule, a.first.kind) <
           std::tie(b.first.policy, b.first.rule, b.first.kind);
  });
  v1::AgentStats stats;
  stats.set_started_unix(started_unix_);
  for (const auto& [key, n] : rows) {
    if (key.kind == kMaskedKind) {
      v1::MaskCount* m = stats.add_masked();
      m->set_policy(key.policy);
      m->set_masking_rule(key.rule);
      m->set_values(n);
    } else {
      v1::DecisionCount* d = stats.add_decisions();
      d->set_policy(key.policy);
      d->set_rule(key.rule);
      d->set_action(static_cast<v1::Action>(key.kind));
      d->set_count(n);
    }
  }
  return stats;
}

}  // namespace warden::agent
