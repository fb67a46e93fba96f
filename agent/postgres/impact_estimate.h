// What a held statement would touch, found before anyone decides on it: the agent runs
// EXPLAIN (without ANALYZE: nothing runs) on the session's own database connection while the
// statement is held, so the plan sees what the session sees (its search_path, its temporary
// tables, its role's privileges), and reduces the plan to its top node, the relation and the
// planner's row estimate ("Delete on public.orders, ~1200 rows").
//
// Only where EXPLAIN cannot change the session's state or run anything the approver has not
// seen: a simple Query of one explainable statement (SELECT, INSERT, UPDATE, DELETE, MERGE,
// EXECUTE) of at most kMaxEstimatedText that calls only built-in functions (planning folds
// immutable functions), outside a transaction block (an error there would abort the client's
// transaction) and with nothing else outstanding. The EXPLAIN runs read-only and with statement
// and lock timeouts, all local to its own implicit transaction, so nothing planning runs can
// write. Otherwise the estimate says why there is none.
// Pure: the session sends the query and hands back the answer.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/enforcement/masking_catalog.h"
#include "agent/enforcement/statement_hold.h"
#include "warden/v1/approval.pb.h"

namespace warden::agent {

// Longer texts are not planned here: EXPLAIN VERBOSE repeats the statement's expressions, per
// partition, and an answer larger than the agent holds (1 MiB) would end the session.
inline constexpr size_t kMaxEstimatedText = 8 * 1024;

struct EstimateQuery {
  std::string sql;      // the Query to run, or empty
  std::string no_plan;  // when empty: why there is no estimate
};

// `database_idle`: no request of the session's is outstanding at the database.
EstimateQuery PlanEstimate(const HoldFacts& held, bool database_idle);

// The estimate query's answer (its rows, or why it failed) into *estimate.
void ReadEstimate(const std::vector<CatalogRow>& rows, const absl::Status& status,
                  v1::ImpactEstimate* estimate);

}  // namespace warden::agent
