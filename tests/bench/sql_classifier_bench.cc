// Classifier throughput on one core (target: >= 50,000 distinct short statements per second),
// uncached and through ClassifierCache. Not run in CI: `sql_classifier_bench [N]`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"
#include "common/sql/lineage/column_lineage.h"
#include "common/sql/statement_analysis.h"

namespace {

// Short statements of the shapes an application sends, made distinct by their literals so
// nothing can be cached between them.
std::vector<std::string> MakeStatements(int n) {
  static const char* kShapes[] = {
      "SELECT abalance FROM pgbench_accounts WHERE aid = %d",
      "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = 7",
      "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, %d, 4, now())",
      "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.cid WHERE o.id = %d",
      "DELETE FROM sessions WHERE expires < now() - interval '%d seconds'",
      "SELECT count(*) FROM events WHERE kind = 'x' AND id > %d",
  };
  std::vector<std::string> out;
  out.reserve(n);
  char buf[256];
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, kShapes[i % 6], i);
    out.emplace_back(buf);
  }
  return out;
}

// Statements per second over `n` calls, by this thread's CPU time: on a shared machine another
// process's load stretches wall time but not the CPU time one core spends on the work.
struct Rate {
  double wall = 0;
  double cpu = 0;
};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

template <typename F>
Rate PerSecond(int n, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  f();
  const double cpu = CpuSeconds() - cpu_start;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return {n / took.count(), n / cpu};
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  const std::vector<std::string> stmts = MakeStatements(n);
  size_t sink = 0;
  const Rate uncached = PerSecond(n, [&] {
    for (const std::string& s : stmts) sink += warden::sql::Classify(s).statements.size();
  });
  // What a session with masking on needs of a new text: one analysis now, where it was a
  // classification and a lineage analysis (two parses) before.
  const int m = std::min(n, 50000);
  const Rate analysed = PerSecond(m, [&] {
    for (int i = 0; i < m; ++i) {
      sink += warden::sql::AnalyzeStatement(stmts[i]).lineage.statements.size();
    }
  });
  const Rate twice = PerSecond(m, [&] {
    for (int i = 0; i < m; ++i) {
      sink += warden::sql::Classify(stmts[i]).statements.size() +
              warden::sql::AnalyzeLineage(stmts[i]).statements.size();
    }
  });
  warden::sql::ClassifierCache cache;
  const std::vector<std::string> hot(stmts.begin(), stmts.begin() + std::min(n, 1000));
  for (const std::string& s : hot) sink += cache.Get(s)->statements.size();
  const int rounds = 1000;
  const Rate cached = PerSecond(rounds * static_cast<int>(hot.size()), [&] {
    for (int r = 0; r < rounds; ++r) {
      for (const std::string& s : hot) sink += cache.Get(s)->statements.size();
    }
  });
  std::printf(
      "uncached: %d distinct statements, %.0f statements/s by CPU time (%.2f us each), "
      "%.0f/s by wall time\n",
      n, uncached.cpu, 1e6 / uncached.cpu, uncached.wall);
  std::printf(
      "analysis: classification and lineage from one parse %.2f us each; as two (Classify + "
      "AnalyzeLineage) %.2f us each\n",
      1e6 / analysed.cpu, 1e6 / twice.cpu);
  std::printf("cached:   %zu hot statements, %.0f lookups/s by CPU time (%.3f us each)\n",
              hot.size(), cached.cpu, 1e6 / cached.cpu);
  return sink == 0 ? 1 : 0;
}
