// Cost of DecisionCounters::Count on the agent's hot path (every decided statement counts once):
// one thread, then several threads counting into the same set at once, as the agent's session
// threads do. Not run in CI: `decision_counters_bench [N per thread]`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "agent/enforcement/decision_counters.h"

namespace {

using warden::agent::DecisionCounters;

// Wall nanoseconds over all `threads` x `n` Counts, divided by the count: the amortised cost
// while `threads` threads count into one set at once.
double NanosPerCount(int threads, int n) {
  DecisionCounters counters;
  // A realistic spread: mostly allowed by the policy default, some rules denying.
  const std::string policies[] = {"guardrails", "demo-access", "analysts"};
  const std::string rules[] = {"default", "no-drop", "no-unbounded-writes", "hold-deletes"};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < n; ++i) {
        bool allowed = (i + t) % 8 != 0;
        counters.Count(policies[i % 3], allowed ? rules[0] : rules[1 + i % 3],
                       allowed ? warden::v1::ACTION_ALLOW : warden::v1::ACTION_DENY);
      }
    });
  }
  for (auto& th : pool) th.join();
  double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  return ns / (static_cast<double>(n) * threads);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000000;
  std::printf("%u hardware threads\n", std::thread::hardware_concurrency());
  for (int threads : {1, 2, 4, 8}) {
    std::printf("%d thread(s) counting at once: %.1f ns per Count\n", threads,
                NanosPerCount(threads, n));
  }
  return 0;
}
