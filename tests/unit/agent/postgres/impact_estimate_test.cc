// The held statement's impact estimate (agent/postgres/impact_estimate.h): EXPLAIN only where it
// cannot disturb the session or run anything, and the plan read down to node, relation, rows.
#include "agent/postgres/impact_estimate.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/pgwire.h"
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
  using agent::DatabaseActivity;
  agent::EstimateQuery q =
      agent::PlanEstimate(Held("DELETE FROM orders WHERE id < 10"), DatabaseActivity::kIdle);
  CHECK_FALSE(q.extended);
  CHECK(q.no_plan.empty());
  // The client's text last, after the timeouts local to the implicit transaction.
  CHECK(q.sql.find("set_config('statement_timeout'") != std::string::npos);
  CHECK(q.sql.size() > 40);
  CHECK(q.sql.ends_with("EXPLAIN (FORMAT JSON, VERBOSE) DELETE FROM orders WHERE id < 10"));

  auto why = [](const agent::HoldFacts& h, DatabaseActivity db = DatabaseActivity::kIdle) {
    agent::EstimateQuery e = agent::PlanEstimate(h, db);
    CHECK(e.sql.empty());
    return e.no_plan;
  };
  CHECK(why(Held("DELETE FROM orders WHERE id = 1", 'Q', true)).find("transaction block") !=
        std::string::npos);
  CHECK(why(Held("DELETE FROM orders WHERE id = 1"), DatabaseActivity::kBusy)
            .find("earlier requests") != std::string::npos);
  // A Query goes alone; the client's unanswered Parse before it is enough to wait.
  CHECK(why(Held("DELETE FROM orders WHERE id = 1"), DatabaseActivity::kPreparing)
            .find("earlier requests") != std::string::npos);
  CHECK(why(Held("SELECT 1", 'F')).find("fast-path") != std::string::npos);
  // An Execute runs in the client's unfinished request, with its portal's parameters; not in a
  // transaction block (planned with the values it may fail where the portal would not), not
  // without the Bind.
  CHECK(why(Held("DELETE FROM orders WHERE id = $1", 'E')).find("parameters are not known") !=
        std::string::npos);
  agent::HoldFacts execute = Held("DELETE FROM orders WHERE id = $1", 'E', true);
  execute.bind = pgwire::BuildBind("", "", {}, {std::string_view("7")}, {});
  CHECK(why(execute).find("transaction block") != std::string::npos);
  execute.in_transaction = false;
  execute.bind = pgwire::BuildBind("", "", {}, {std::string_view("7")}, {});
  for (DatabaseActivity db : {DatabaseActivity::kIdle, DatabaseActivity::kPreparing}) {
    q = agent::PlanEstimate(execute, db);
    CHECK(q.extended);
    CHECK(q.sql == "EXPLAIN (FORMAT JSON, VERBOSE) DELETE FROM orders WHERE id = $1");
  }
  CHECK(why(execute, DatabaseActivity::kBusy).find("earlier requests") != std::string::npos);
  CHECK(why(Held("DELETE FROM a WHERE id = 1; DELETE FROM b WHERE id = 1")).find("several") !=
        std::string::npos);
  CHECK(why(Held("DROP TABLE orders")).find("no plan: DROP TABLE") != std::string::npos);
  CHECK(why(Held("DELETE FROM orders WHERE id = my_func(1)")).find("functions") !=
        std::string::npos);
  // EXPLAIN EXECUTE runs its arguments' functions, volatile ones too.
  CHECK(why(Held("EXECUTE del(nextval('s'))")).find("EXPLAIN EXECUTE") != std::string::npos);
  CHECK(agent::PlanEstimate(Held("DELETE FROM orders WHERE created_at < now()"),
                            DatabaseActivity::kIdle)
            .no_plan.empty());  // built-ins plan as they will run
}

TEST_CASE("impact estimate: a held Execute's EXPLAIN under the agent's names, its values",
          "[approvals]") {
  const std::string bind = pgwire::BuildBind("p", "s", {1}, {std::string_view("\0\0\0\7", 4)}, {1});
  size_t closes = 0;
  const std::string bytes = agent::ExtendedEstimate("EXPLAIN DELETE FROM t WHERE id = $1", bind,
                                                    {23}, "w_1", "w_0", &closes);
  CHECK(closes == 3);
  std::vector<pgwire::FrontendMessage> got;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    auto frame = pgwire::DecodeFrame(rest, rest.size());
    REQUIRE(frame.has_message());
    auto m = pgwire::ParseFrontend(frame.message());
    REQUIRE(m.ok());
    got.push_back(*m);
    rest.remove_prefix(frame.consumed());
  }
  REQUIRE(got.size() == 7);
  CHECK(std::get<pgwire::Close>(got[0]) == pgwire::Close{'S', "w_0"});  // the stale one first
  CHECK(std::get<pgwire::Parse>(got[1]) ==
        pgwire::Parse{"w_1", "EXPLAIN DELETE FROM t WHERE id = $1", {23}});
  // The client's values in the client's formats; the plan as text.
  const auto& b = std::get<pgwire::Bind>(got[2]);
  CHECK(b.portal == "w_1");
  CHECK(b.statement == "w_1");
  CHECK(b.param_formats == std::vector<int16_t>{1});
  REQUIRE(b.params.size() == 1);
  CHECK(b.params[0] == std::string_view("\0\0\0\7", 4));
  CHECK(b.result_formats.empty());
  CHECK(std::get<pgwire::Execute>(got[3]).portal == "w_1");
  CHECK(std::get<pgwire::Close>(got[4]) == pgwire::Close{'P', "w_1"});
  CHECK(std::get<pgwire::Close>(got[5]) == pgwire::Close{'S', "w_1"});
  CHECK(std::holds_alternative<pgwire::Flush>(got[6]));  // no Sync: the client's request goes on

  CHECK(agent::ExtendedEstimate("EXPLAIN SELECT 1", "not a bind", {}, "w", "", &closes).empty());
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
