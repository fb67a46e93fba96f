// The agent's decision counters (DESIGN.md §4.7): how many statements each
// (policy, rule) allowed, denied or held for approval, and how many result values each masking
// rule masked, cumulative since the agent process started. One set per agent process, shared by
// every session on every Asio thread; the control client reports snapshots to the control plane.
// Only names and counts are kept: never statement text, fingerprints or values.
//
// Cost on the hot path: one uncontended mutex and one hash lookup by string_view (no allocation
// once a key exists), measured by tests/bench/decision_counters_bench.cc at well under a
// microsecond per Count, with several threads counting at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

class DecisionCounters {
 public:
  // Distinct keys kept (decisions and masking rules together). Policies renamed over and over
  // could otherwise grow the set without bound; past this, counts go to kOverflow.
  static constexpr size_t kMaxKeys = 4096;
  static constexpr std::string_view kOverflow = "(other)";

  DecisionCounters();
  DecisionCounters(const DecisionCounters&) = delete;
  DecisionCounters& operator=(const DecisionCounters&) = delete;

  // One decided message (a Query batch, Parse, FunctionCall, or an Execute re-check).
  void Count(std::string_view policy, std::string_view rule, v1::Action action);
  // Values a masking rule replaced in results (the result masker calls this; n = 0 is a no-op).
  void CountMasked(std::string_view policy, std::string_view masking_rule, uint64_t n);

  // The totals since start, sorted by policy, rule, then action (masked: policy, rule).
  v1::AgentStats Snapshot() const;

  // One key's total (0 when never counted).
  uint64_t Decisions(std::string_view policy, std::string_view rule, v1::Action action) const;
  uint64_t Masked(std::string_view policy, std::string_view masking_rule) const;

 private:
  // kind: a v1::Action for decisions, kMaskedKind for masked values.
  static constexpr int kMaskedKind = -1;
  struct KeyView {
    std::string_view policy;
    std::string_view rule;
    int kind;
  };
  struct Key {
    std::string policy;
    std::string rule;
    int kind;
    KeyView view() const { return {policy, rule, kind}; }
  };
  // Transparent hash and equality: lookups by KeyView allocate nothing.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const { return absl::HashOf(k.policy, k.rule, k.kind); }
    size_t operator()(const Key& k) const { return (*this)(k.view()); }
  };
  struct KeyEq {
    using is_transparent = void;
    static KeyView V(const KeyView& k) { return k; }
    static KeyView V(const Key& k) { return k.view(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      KeyView x = V(a), y = V(b);
      return x.kind == y.kind && x.policy == y.policy && x.rule == y.rule;
    }
  };

  void Add(KeyView key, uint64_t n);
  uint64_t Get(KeyView key) const;

  const int64_t started_unix_;
  mutable std::mutex mu_;
  absl::flat_hash_map<Key, uint64_t, KeyHash, KeyEq> counts_;  // guarded by mu_
};

}  // namespace warden::agent
