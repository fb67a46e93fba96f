#include "agent/postgres/impact_estimate.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/pgwire.h"
#include "common/sql/classify/builtin_functions.h"

namespace warden::agent {

namespace {

constexpr const char* kExplain = "EXPLAIN (FORMAT JSON, VERBOSE) ";

// Statements EXPLAIN takes (EXPLAIN of CREATE TABLE AS would be one too, but that is DDL the
// approver reads as such).
bool Explainable(const std::string& tag) {
  static constexpr std::array<std::string_view, 6> kTags = {"SELECT", "INSERT", "UPDATE",
                                                            "DELETE", "MERGE",  "EXECUTE"};
  return std::find(kTags.begin(), kTags.end(), tag) != kTags.end();
}

const google::protobuf::Value* Field(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string Text(const google::protobuf::Struct& s, const std::string& name) {
  const google::protobuf::Value* v = Field(s, name);
  return v && v->has_string_value() ? v->string_value() : "";
}

double Rows(const google::protobuf::Struct& s) {
  const google::protobuf::Value* v = Field(s, "Plan Rows");
  return v && v->has_number_value() ? v->number_value() : 0;
}

// One EXPLAIN (FORMAT JSON, VERBOSE) document: [{"Plan": {...}}].
bool ReadPlan(const std::string& json, v1::ImpactEstimate::Step* step) {
  google::protobuf::ListValue doc;
  if (!google::protobuf::util::JsonStringToMessage(json, &doc).ok() || doc.values_size() == 0 ||
      !doc.values(0).has_struct_value()) {
    return false;
  }
  const google::protobuf::Value* plan = Field(doc.values(0).struct_value(), "Plan");
  if (plan == nullptr || !plan->has_struct_value()) return false;
  const google::protobuf::Struct& top = plan->struct_value();
  std::string node = Text(top, "Node Type");
  double rows = Rows(top);
  if (node == "ModifyTable") {
    // A write's top node returns nothing (without RETURNING); the rows it changes are those
    // its input produces.
    node = Text(top, "Operation");
    const google::protobuf::Value* input = Field(top, "Plans");
    if (input && input->has_list_value() && input->list_value().values_size() > 0 &&
        input->list_value().values(0).has_struct_value()) {
      rows = Rows(input->list_value().values(0).struct_value());
    }
  }
  std::string relation = Text(top, "Relation Name");
  if (!relation.empty() && !Text(top, "Schema").empty()) {
    relation = absl::StrCat(Text(top, "Schema"), ".", relation);
  }
  step->set_node(node);
  step->set_relation(relation);
  step->set_rows(rows);
  return true;
}

}  // namespace

EstimateQuery PlanEstimate(const HoldFacts& held, DatabaseActivity database) {
  const bool extended = held.message_type == 'E';
  if (!extended && held.message_type != 'Q') {
    return {"", false, "not estimated: a fast-path function call has no plan"};
  }
  if (held.in_transaction) {
    // Also for an Execute: its EXPLAIN, planned with the bound values, may fail where the
    // client's portal (a generic plan) would not, and would abort the whole transaction.
    return {"", false,
            "not estimated: the statement waits inside a transaction block, which a failing "
            "EXPLAIN would abort"};
  }
  if (database == DatabaseActivity::kBusy || (!extended && database != DatabaseActivity::kIdle)) {
    return {"", false, "not estimated: the database was still answering earlier requests"};
  }
  if (extended && held.bind.empty()) {
    return {"", false, "not estimated: the statement's bound parameters are not known"};
  }
  if (held.statement.size() > kMaxEstimatedText) {
    return {"", false, "not estimated: the statement is too long to plan here"};
  }
  if (!held.batch || held.batch->statements.size() != 1) {
    return {"", false, "not estimated: the request holds several statements"};
  }
  const sql::ClassifiedStatement& s = held.batch->statements[0];
  if (!Explainable(s.command_tag)) {
    return {"", false,
            absl::StrCat("no plan: ", s.command_tag, " has none (DDL and utility statements)")};
  }
  // EXPLAIN EXECUTE evaluates the EXECUTE's arguments in full, volatile ones too (nextval,
  // pg_advisory_lock): with any function call in it, nothing is planned.
  const bool execute =
      std::find(s.commands.begin(), s.commands.end(), "EXECUTE") != s.commands.end();
  if (execute && extended) {
    // Bound through the protocol, its parameters are the Bind's, not EXECUTE's arguments.
    return {"", false, "not estimated: an EXECUTE run through the extended protocol"};
  }
  if (execute && !s.functions.empty()) {
    return {"", false,
            "not estimated: EXPLAIN EXECUTE would evaluate its arguments before anyone approved "
            "it"};
  }
  if (s.opaque || std::any_of(s.functions.begin(), s.functions.end(),
                              [](const std::string& f) { return !sql::IsBuiltinFunction(f); })) {
    return {"", false,
            "not estimated: the statement calls functions that planning might run before "
            "anyone approved it"};
  }
  if (extended) return {absl::StrCat(kExplain, held.statement), true, ""};
  // The settings are local to the implicit transaction the two statements share: timeouts, and
  // read-only, so that whatever planning runs (a user's function folded as immutable, a stable
  // one estimated) cannot write (EXPLAIN without ANALYZE passes a read-only transaction). The
  // client's text goes last, so that nothing of ours follows it.
  return {absl::StrCat("SELECT pg_catalog.set_config('statement_timeout', '2000', true), "
                       "pg_catalog.set_config('lock_timeout', '1000', true), "
                       "pg_catalog.set_config('transaction_read_only', 'on', true); ",
                       kExplain, held.statement),
          false, ""};
}

std::string ExtendedEstimate(std::string_view sql, std::string_view bind,
                             const std::vector<uint32_t>& param_types, std::string_view name,
                             std::string_view stale, size_t* closes) {
  auto frame = pgwire::DecodeFrame(bind, bind.size());
  if (!frame.has_message()) return "";
  auto parsed = pgwire::ParseFrontend(frame.message());
  const auto* b = parsed.ok() ? std::get_if<pgwire::Bind>(&*parsed) : nullptr;
  if (b == nullptr) return "";
  std::string out;
  *closes = 2;
  if (!stale.empty()) {
    // Closing a name that no longer exists is no error (DISCARD ALL may have dropped it).
    pgwire::Encode(pgwire::Close{'S', stale}, &out);
    ++*closes;
  }
  pgwire::Encode(pgwire::Parse{name, sql, param_types}, &out);
  // The client's values in the client's formats; the plan comes back as text.
  pgwire::Encode(pgwire::Bind{name, name, b->param_formats, b->params, {}}, &out);
  pgwire::Encode(pgwire::Execute{name, 0}, &out);
  pgwire::Encode(pgwire::Close{'P', name}, &out);
  pgwire::Encode(pgwire::Close{'S', name}, &out);
  // The server holds back its answers until a Flush or Sync.
  pgwire::Encode(pgwire::Flush{}, &out);
  return out;
}

void ReadEstimate(const std::vector<CatalogRow>& rows, const absl::Status& status,
                  v1::ImpactEstimate* estimate) {
  if (!status.ok()) {
    // Not the server's message: it may quote the statement's values, which masking hides.
    estimate->set_no_plan(
        "not estimated: EXPLAIN failed (the statement itself may fail the same way)");
    return;
  }
  for (const CatalogRow& row : rows) {
    // The set_config row has three columns; each plan is one JSON text.
    if (row.size() != 1 || !row[0]) continue;
    v1::ImpactEstimate::Step step;
    if (ReadPlan(*row[0], &step)) *estimate->add_statements() = std::move(step);
  }
  if (estimate->statements_size() == 0)
    estimate->set_no_plan("not estimated: EXPLAIN gave no plan");
}

}  // namespace warden::agent
