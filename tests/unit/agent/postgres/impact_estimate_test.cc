// The held statement's impact estimate (agent/postgres/impact_estimate.h): EXPLAIN only where it
// cannot disturb the session or run anything, and the plan read down to node, relation, rows.
#include "agent/postgres/impact_estimate.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "common/sql/classify/classifier.h"

using namespace warden;

namespace {

agent::HoldFacts Held(const std::string& sql, char type = 'Q', bool in_transaction = false) {
  agent::HoldFacts h;
  h.message_type = type;
  h.statement = sql;
  h.in_transaction = in_transaction;
  h.batch = std::make_shared<const sql::ClassifiedBatch>(sql::Classify(sql));
  return h;
}

}  // namespace

TEST_CASE("impact estimate: EXPLAIN runs only where it cannot disturb the session", "[approvals]") {
  agent::EstimateQuery q = agent::PlanEstimate(Held("DELETE FROM orders WHERE id < 10"), true);
  CHECK(q.no_plan.empty());
  // The client's text last, after the timeouts local to the implicit transaction.
  CHECK(q.sql.find("set_config('statement_timeout'") != std::string::npos);
  CHECK(q.sql.size() > 40);
  CHECK(q.sql.ends_with("EXPLAIN (FORMAT JSON, VERBOSE) DELETE FROM orders WHERE id < 10"));

  auto why = [](const agent::HoldFacts& h, bool idle = true) {
    agent::EstimateQuery e = agent::PlanEstimate(h, idle);
    CHECK(e.sql.empty());
    return e.no_plan;
  };
  CHECK(why(Held("DELETE FROM orders WHERE id = $1", 'E')).find("extended protocol") !=
        std::string::npos);
  CHECK(why(Held("DELETE FROM orders WHERE id = 1", 'Q', true)).find("transaction block") !=
        std::string::npos);
  CHECK(why(Held("DELETE FROM orders WHERE id = 1"), false).find("earlier requests") !=
        std::string::npos);
  CHECK(why(Held("DELETE FROM a WHERE id = 1; DELETE FROM b WHERE id = 1")).find("several") !=
        std::string::npos);
  CHECK(why(Held("DROP TABLE orders")).find("no plan: DROP TABLE") != std::string::npos);
  CHECK(why(Held("DELETE FROM orders WHERE id = my_func(1)")).find("functions") !=
        std::string::npos);
  CHECK(agent::PlanEstimate(Held("DELETE FROM orders WHERE created_at < now()"), true)
            .no_plan.empty());  // built-ins plan as they will run
}

TEST_CASE("impact estimate: a plan read down to its top node", "[approvals]") {
  const std::string del = R"json([
  {
    "Plan": {
      "Node Type": "ModifyTable", "Operation": "Delete", "Parallel Aware": false,
      "Relation Name": "orders", "Schema": "public", "Alias": "orders",
      "Startup Cost": 0.00, "Total Cost": 104.50, "Plan Rows": 0, "Plan Width": 0,
      "Plans": [
        {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "orders",
         "Schema": "public", "Plan Rows": 1203, "Plan Width": 6,
         "Output": ["ctid"], "Filter": "(orders.id < 1200)"}
      ]
    }
  }
])json";
  std::vector<agent::CatalogRow> rows = {{std::string("0"), std::string("0")},
                                         {std::optional<std::string>(del)}};
  v1::ImpactEstimate e;
  agent::ReadEstimate(rows, absl::OkStatus(), &e);
  REQUIRE(e.statements_size() == 1);
  CHECK(e.statements(0).node() == "Delete");
  CHECK(e.statements(0).relation() == "public.orders");
  CHECK(e.statements(0).rows() == 1203);
  CHECK(e.no_plan().empty());

  const std::string select =
      R"([{"Plan": {"Node Type": "Aggregate", "Plan Rows": 1, "Plans": []}}])";
  v1::ImpactEstimate s;
  agent::ReadEstimate({{std::optional<std::string>(select)}}, absl::OkStatus(), &s);
  REQUIRE(s.statements_size() == 1);
  CHECK(s.statements(0).node() == "Aggregate");
  CHECK(s.statements(0).relation().empty());

  v1::ImpactEstimate failed;
  agent::ReadEstimate({}, absl::UnavailableError("EXPLAIN failed: relation \"x\" does not exist"),
                      &failed);
  CHECK(failed.statements_size() == 0);
  // Not the server's words: they may quote values masking hides.
  CHECK(failed.no_plan() ==
        "not estimated: EXPLAIN failed (the statement itself may fail the same way)");

  v1::ImpactEstimate garbage;
  agent::ReadEstimate({{std::optional<std::string>("[not json")}}, absl::OkStatus(), &garbage);
  CHECK(garbage.no_plan() == "not estimated: EXPLAIN gave no plan");
}
