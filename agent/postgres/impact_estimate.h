// What a held statement would touch, found before anyone decides on it: the agent runs
// EXPLAIN (without ANALYZE: nothing runs) on the session's own database connection while the
// statement is held, so the plan sees what the session sees (its search_path, its temporary
// tables, its role's privileges), and reduces the plan to its top node, the relation and the
// planner's row estimate ("Delete on public.orders, ~1200 rows").
//
// Only where EXPLAIN cannot change the session's state or run anything the approver has not
// seen: one explainable statement (SELECT, INSERT, UPDATE, DELETE, MERGE, EXECUTE) of at most
// kMaxEstimatedText that calls only built-in functions (planning folds immutable functions).
//  - A simple Query: outside a transaction block (an error there would abort the client's
//    transaction) and with nothing else outstanding. The EXPLAIN runs read-only and with
//    statement and lock timeouts, all local to its own implicit transaction, so nothing
//    planning runs can write.
//  - An Execute (extended protocol): the EXPLAIN is parsed, bound with the held portal's own
//    parameter values (the planner estimates with them) and run under names of the agent's,
//    inside the client's unfinished request: no Sync of its own (which would commit the client's
//    implicit transaction), so no settings either (they would outlive it into the client's
//    statement). The portal's Bind already holds the statement's locks in this transaction, so
//    the EXPLAIN waits on none. Only Parse, Bind, Describe and Close of the client's may be
//    outstanding (they run nothing; the session flushes their answers first). If the EXPLAIN
//    fails the server discards the rest of the client's request: the client gets the failure as
//    its statement's error (it would fail the same way) and the held Execute is dropped.
// Otherwise the estimate says why there is none. Pure: the session sends the query and hands
// back the answer.
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
  std::string sql;        // the statement to run, or empty
  bool extended = false;  // by Parse, Bind (the held portal's parameters) and Execute
  std::string no_plan;    // when empty: why there is no estimate
};

// How the session's database connection stands when the statement is held.
enum class DatabaseActivity : uint8_t {
  kIdle,       // nothing outstanding, none of the agent's own queries in flight
  kPreparing,  // only Parse, Bind, Describe or Close of the client's unfinished request
  kBusy,       // anything else
};

EstimateQuery PlanEstimate(const HoldFacts& held, DatabaseActivity database);

// The messages that run `sql` (EstimateQuery::extended) with the parameters of `bind` (the held
// portal's Bind message), statement and portal both named `name`, then close both and Flush;
// `stale` (if not empty), a statement of an earlier estimate to close first. Empty when `bind`
// does not parse. *closes: how many CloseCompletes end the answer.
std::string ExtendedEstimate(std::string_view sql, std::string_view bind,
                             const std::vector<uint32_t>& param_types, std::string_view name,
                             std::string_view stale, size_t* closes);

// The estimate query's answer (its rows, or why it failed) into *estimate.
void ReadEstimate(const std::vector<CatalogRow>& rows, const absl::Status& status,
                  v1::ImpactEstimate* estimate);

}  // namespace warden::agent
