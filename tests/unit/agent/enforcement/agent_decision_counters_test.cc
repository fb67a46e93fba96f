// The agent's decision counters: exact totals by policy, rule and action under concurrent
// counting, a sorted snapshot for the control plane, masked-value counts, a bounded key set; and
// the control plane's board of the latest report per agent.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/enforcement/decision_counters.h"
#include "controlplane/decision_stats.h"

using namespace warden;
using agent::DecisionCounters;
using v1::ACTION_ALLOW;
using v1::ACTION_DENY;
using v1::ACTION_REQUIRE_APPROVAL;

TEST_CASE("counters: each (policy, rule, action) counts separately", "[decision_counters]") {
  DecisionCounters c;
  c.Count("guard", "default", ACTION_ALLOW);
  c.Count("guard", "default", ACTION_ALLOW);
  c.Count("guard", "no-drop", ACTION_DENY);
  c.Count("guard", "no-drop", ACTION_REQUIRE_APPROVAL);
  c.Count("analysts", "default", ACTION_ALLOW);
  CHECK(c.Decisions("guard", "default", ACTION_ALLOW) == 2);
  CHECK(c.Decisions("guard", "no-drop", ACTION_DENY) == 1);
  CHECK(c.Decisions("guard", "no-drop", ACTION_REQUIRE_APPROVAL) == 1);
  CHECK(c.Decisions("guard", "no-drop", ACTION_ALLOW) == 0);
  CHECK(c.Decisions("guard", "nope", ACTION_DENY) == 0);

  v1::AgentStats s = c.Snapshot();
  CHECK(s.started_unix() > 0);
  REQUIRE(s.decisions_size() == 4);
  // Sorted by policy, rule, then action.
  CHECK(s.decisions(0).policy() == "analysts");
  CHECK(s.decisions(1).rule() == "default");
  CHECK(s.decisions(1).count() == 2);
  CHECK(s.decisions(2).action() == ACTION_DENY);
  CHECK(s.decisions(3).action() == ACTION_REQUIRE_APPROVAL);
  CHECK(s.masked_size() == 0);
}

TEST_CASE("counters: masked values count per masking rule; zero is a no-op",
          "[decision_counters]") {
  DecisionCounters c;
  c.CountMasked("pii", "emails", 3);
  c.CountMasked("pii", "emails", 4);
  c.CountMasked("pii", "cards", 0);
  // A masking rule named like a decision rule is a different counter.
  c.Count("pii", "emails", ACTION_ALLOW);
  CHECK(c.Masked("pii", "emails") == 7);
  CHECK(c.Masked("pii", "cards") == 0);
  v1::AgentStats s = c.Snapshot();
  REQUIRE(s.masked_size() == 1);
  CHECK(s.masked(0).policy() == "pii");
  CHECK(s.masked(0).masking_rule() == "emails");
  CHECK(s.masked(0).values() == 7);
  REQUIRE(s.decisions_size() == 1);
  CHECK(s.decisions(0).count() == 1);
}

TEST_CASE("counters: threads counting at once lose nothing", "[decision_counters]") {
  DecisionCounters c;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60000;  // a multiple of 6 and of 1000
  const std::vector<std::string> rules = {"default", "no-drop", "no-unbounded-writes"};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Count("guard", rules[i % rules.size()], i % 2 ? ACTION_DENY : ACTION_ALLOW);
        if (i % 1000 == 0) c.CountMasked("pii", "emails", 2);
        if (t == 0 && i % 5000 == 0) (void)c.Snapshot();  // reports run while sessions count
      }
    });
  }
  for (auto& th : pool) th.join();
  uint64_t total = 0;
  v1::AgentStats snapshot = c.Snapshot();
  for (const auto& d : snapshot.decisions()) total += d.count();
  CHECK(total == uint64_t{kThreads} * kPerThread);
  // i % 3 and i % 2 together: each (rule, action) pair gets one sixth of every thread's counts.
  for (const auto& rule : rules) {
    CHECK(c.Decisions("guard", rule, ACTION_ALLOW) == uint64_t{kThreads} * kPerThread / 6);
    CHECK(c.Decisions("guard", rule, ACTION_DENY) == uint64_t{kThreads} * kPerThread / 6);
  }
  CHECK(c.Masked("pii", "emails") == uint64_t{kThreads} * (kPerThread / 1000) * 2);
}

TEST_CASE("counters: past kMaxKeys new keys share one overflow counter", "[decision_counters]") {
  DecisionCounters c;
  for (size_t i = 0; i < DecisionCounters::kMaxKeys; ++i) {
    c.Count("p", "rule-" + std::to_string(i), ACTION_ALLOW);
  }
  c.Count("p", "one-more", ACTION_ALLOW);
  c.Count("q", "and-another", ACTION_ALLOW);
  c.Count("p", "rule-0", ACTION_ALLOW);  // an existing key still counts as itself
  CHECK(c.Decisions("p", "one-more", ACTION_ALLOW) == 0);
  CHECK(c.Decisions("", DecisionCounters::kOverflow, ACTION_ALLOW) == 2);
  CHECK(c.Decisions("p", "rule-0", ACTION_ALLOW) == 2);
  CHECK(c.Snapshot().decisions_size() == static_cast<int>(DecisionCounters::kMaxKeys) + 1);
}

TEST_CASE("control plane keeps each agent's latest report", "[decision_counters]") {
  controlplane::DecisionStats board;
  DecisionCounters edge1, edge2;
  edge1.Count("guard", "no-drop", ACTION_DENY);
  edge2.Count("guard", "default", ACTION_ALLOW);
  REQUIRE(board.Report("edge-2", edge2.Snapshot()).ok());
  REQUIRE(board.Report("edge-1", edge1.Snapshot()).ok());
  edge1.Count("guard", "no-drop", ACTION_DENY);
  REQUIRE(board.Report("edge-1", edge1.Snapshot()).ok());  // replaces, never adds

  auto all = board.List("");
  REQUIRE(all.size() == 2);
  CHECK(all[0].agent() == "edge-1");  // by name
  CHECK(all[0].reported_unix() > 0);
  REQUIRE(all[0].stats().decisions_size() == 1);
  CHECK(all[0].stats().decisions(0).count() == 2);
  auto one = board.List("edge-2");
  REQUIRE(one.size() == 1);
  CHECK(one[0].stats().decisions(0).rule() == "default");
  CHECK(board.List("edge-3").empty());

  v1::AgentStats huge;
  for (int i = 0; i <= controlplane::DecisionStats::kMaxRows; ++i) huge.add_decisions();
  CHECK(absl::IsInvalidArgument(board.Report("edge-1", huge)));
  CHECK(board.List("edge-1")[0].stats().decisions(0).count() == 2);  // the last good report
}
