// What statement enforcement costs per statement on the cached path (target: classification
// may add at most 5% to pgbench -S throughput). Runs pgbench -S's exchange (a Query with a new
// aid each time, then RowDescription, DataRow, CommandComplete, ReadyForQuery) through the
// agent's TrafficSeam with and without a StatementGuard, on one thread. Run by hand:
//   statement_guard_bench [iterations]
// The guard's share of a transaction is its cost divided by the CPU one Warden transaction
// takes end to end (tests/bench/README.md puts the two side by side).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "agent/postgres/traffic_seam.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"

using namespace warden;

namespace {

constexpr char kPolicy[] = R"(
name: bench
subjects: {identities: [bench]}
connections: [demo]
default_action: allow
rules:
  - name: no-ddl
    match: {classes: [ddl, dcl, admin, opaque]}
    action: deny
  - name: no-unbounded
    match: {without_where: true}
    action: deny
)";

double RunNs(agent::TrafficSeam& seam, int n) {
  const std::string reply =
      pgwire::BuildRowDescription({pgwire::FieldDescription{"abalance", 16400, 3, 23, 4, -1, 0}}) +
      pgwire::BuildDataRow({std::string_view("0")}) + pgwire::BuildCommandComplete("SELECT 1") +
      pgwire::BuildReadyForQuery('I');
  std::string buf;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    buf = pgwire::BuildQuery("SELECT abalance FROM pgbench_accounts WHERE aid = " +
                             std::to_string(1 + (i * 7919) % 1000000) + ";");
    if (!seam.FrontendBytes(&buf).ok()) std::abort();
    buf = reply;
    if (!seam.BackendBytes(&buf).ok()) std::abort();
  }
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
             .count() /
         n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  auto p = policy::ParsePolicyYaml(kPolicy, "bench.yaml");
  if (!p.ok()) return 1;
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(1);
  *snap->add_policies() = *p;
  agent::PolicyHolder holder;
  holder.Install(snap);
  sql::ClassifierCache cache;
  agent::DecisionCounters decisions;

  agent::TrafficSeam plain;
  agent::TrafficSeam guarded;
  guarded.SetGuard(std::make_unique<agent::StatementGuard>(
      holder, cache, policy::Subject{"bench", {}, "demo"}, "ses_bench", &decisions));
  RunNs(guarded, 1000);  // warm the cache: every later aid shares the folded key
  const double without = RunNs(plain, n);
  const double with = RunNs(guarded, n);
  std::printf("pgbench -S exchange through the seam: %.0f ns without guard, %.0f ns with guard\n",
              without, with);
  std::printf("statement enforcement: %.2f us per statement (cache hits %llu, misses %llu)\n",
              (with - without) / 1000.0, static_cast<unsigned long long>(cache.hits()),
              static_cast<unsigned long long>(cache.misses()));
  return 0;
}
