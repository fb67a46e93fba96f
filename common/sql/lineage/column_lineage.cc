#include "common/sql/lineage/column_lineage.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/sql/lineage/lineage_analyzer.h"
#include "common/sql/parse/large_stack.h"
#include "common/sql/parse/parse_limits.h"
#include "common/sql/parse/parse_tree.h"

namespace warden::sql {
namespace {

using lineage::Analyzer;
using lineage::Budget;
using lineage::Outputs;
using pg_query::Node;

// Work allowed per text (lineage_set.h): ordinary statements spend a few hundred units; the
// bound keeps a crafted one (nested WITH RECURSIVE, a CTE used thousands of times) to
// milliseconds.
size_t BudgetUnits(size_t text_bytes) { return 100000 + 4 * text_bytes; }

// Texts up to this size are analyzed on the caller's stack, as the classifier does
// (classifier.cc): deep ones need libpg_query's recursion plus ours, 1.5 to 2 MB at 4 KB.
constexpr size_t kInlineTextBytes = 4096;

// libpg_query's printer needs about 100 bytes per tree level, a level per 2 bytes of text;
// our walk stops at kMaxTreeDepth levels of a few hundred bytes each.
size_t HelperStackBytes(size_t text_bytes) { return (64u << 20) + 128 * text_bytes; }

constexpr size_t kArenaBlockBytes = 8192;

OutputLineage Named(std::string name) {
  OutputLineage o;
  o.name = std::move(name);
  return o;
}

bool HasReturning(const Node& n) {
  if (n.has_insert_stmt()) return !n.insert_stmt().returning_list().empty();
  if (n.has_update_stmt()) return !n.update_stmt().returning_list().empty();
  return n.has_delete_stmt() && !n.delete_stmt().returning_list().empty();
}

// A statement's lineage, and whether its outputs came from the analysis (`described`: they
// are incomplete if the budget ran out).
struct Analyzed : StatementLineage {
  bool described = false;
};

void Describe(const Node& query, Analyzer* a, Analyzed* out) {
  out->outputs = a->Query(query, nullptr);
  out->described = true;
}

// COPY ... TO STDOUT sends rows as CopyData (https://www.postgresql.org/docs/15/sql-copy.html);
// to a file or program, or FROM, none reach the client.
// https://www.postgresql.org/docs/15/sql-copy.html (Parameters)
void CopyOptions(const pg_query::CopyStmt& s, Analyzed* out) {
  using CopyFormat = StatementLineage::CopyFormat;
  std::string format = "text";
  bool other = false;
  for (const Node& n : s.options()) {
    if (!n.has_def_elem()) {
      other = true;
      continue;
    }
    const pg_query::DefElem& d = n.def_elem();
    const std::string& name = d.defname();
    if (name == "format" && d.has_arg() && d.arg().has_string()) {
      format = lineage::Lower(d.arg().string().sval());
    } else if (name == "header") {
      // HEADER, HEADER true/on/1: a first row of names (MATCH is for COPY FROM only).
      bool on = !d.has_arg();
      if (d.has_arg() && d.arg().has_string()) {
        const std::string v = lineage::Lower(d.arg().string().sval());
        on = v == "true" || v == "on";
        other = other || !(on || v == "false" || v == "off");
      } else if (d.has_arg() && d.arg().has_integer()) {
        on = d.arg().integer().ival() != 0;
      } else if (d.has_arg() && d.arg().has_boolean()) {
        on = d.arg().boolean().boolval();
      }
      out->copy_header = on;
    } else if (name != "encoding" && name != "freeze") {
      other = true;  // delimiter, null, quote, escape, force_quote, ...: not the defaults' shape
    }
  }
  if (other || (format != "text" && format != "csv")) {
    out->copy_format = CopyFormat::kOther;
  } else {
    out->copy_format = format == "csv" ? CopyFormat::kCsv : CopyFormat::kText;
    if (format == "text" && out->copy_header) out->copy_format = CopyFormat::kOther;
  }
}

void CopyLineage(const pg_query::CopyStmt& s, Analyzer* a, Analyzed* out) {
  if (s.is_from() || s.is_program() || !s.filename().empty()) return;
  out->returns_rows = true;
  CopyOptions(s, out);
  if (s.has_query()) return Describe(s.query(), a, out);
  const lineage::Entry table = lineage::BaseRelationEntry(s.relation());
  if (s.attlist().empty()) {
    // Every column, in the table's order.
    OutputLineage run = lineage::StarRun();
    run.star_over.push_back(table.relation);
    out->outputs.push_back(std::move(run));
    return;
  }
  for (const Node& n : s.attlist()) {
    if (!n.has_string()) continue;
    OutputLineage o = Named(n.string().sval());
    o.columns.push_back({table.relation.schema, table.relation.table, lineage::Lower(o.name)});
    out->outputs.push_back(std::move(o));
  }
}

Analyzed AnalyzeStatement(const Node& node, Analyzer* a) {
  Analyzed out;
  switch (node.node_case()) {
    case Node::kSelectStmt:
      // SELECT ... INTO creates a table and returns no rows.
      if (node.select_stmt().has_into_clause()) break;
      out.returns_rows = true;
      Describe(node, a, &out);
      break;
    case Node::kInsertStmt:
    case Node::kUpdateStmt:
    case Node::kDeleteStmt:
      out.returns_rows = HasReturning(node);  // rows only through RETURNING
      if (out.returns_rows) Describe(node, a, &out);
      break;
    case Node::kCopyStmt:
      CopyLineage(node.copy_stmt(), a, &out);
      break;
    case Node::kDeclareCursorStmt:
      out.cursor = node.declare_cursor_stmt().portalname();
      Describe(node.declare_cursor_stmt().query(), a, &out);
      break;
    case Node::kPrepareStmt:
      out.prepared = node.prepare_stmt().name();
      Describe(node.prepare_stmt().query(), a, &out);
      break;
    case Node::kExecuteStmt:
      out.returns_rows = true;
      out.prepared = node.execute_stmt().name();
      break;
    case Node::kFetchStmt:
      if (node.fetch_stmt().ismove()) break;
      out.returns_rows = true;
      out.cursor = node.fetch_stmt().portalname();
      break;
    case Node::kExplainStmt:
      // The plan only, also with ANALYZE (which runs the statement but prints no values of it)
      // and VERBOSE (which prints expressions, not values).
      out.returns_rows = true;
      out.outputs.push_back(Named("QUERY PLAN"));
      break;
    case Node::kVariableShowStmt: {
      // Settings, not table data, except custom ones (a name with a dot): any role may have put
      // any value in one (ALTER ROLE ... SET, set_config), so their values are of unknown origin.
      out.returns_rows = true;
      const std::string& name = node.variable_show_stmt().name();
      if (name == "all") {
        for (const char* n : {"name", "setting", "description"}) out.outputs.push_back(Named(n));
        out.outputs[1].unknown = true;
      } else {
        out.outputs.push_back(Named(name));
        out.outputs.back().unknown = name.find('.') != std::string::npos;
      }
      break;
    }
    case Node::kCallStmt:
      // A procedure's OUT parameters come back as one row, computed by code we cannot see.
      out.returns_rows = true;
      out.opaque = true;
      break;
    default:
      break;  // DDL, DCL, MERGE, SET, DO, ...: no rows
  }
  return out;
}

LineageResult LineageOfParsed(const pg_query::ParseResult& tree, size_t text_bytes) {
  LineageResult result;
  Budget budget(BudgetUnits(text_bytes));
  Analyzer analyzer(&budget);
  result.statements.reserve(tree.stmts_size());
  for (const pg_query::RawStmt& raw : tree.stmts()) {
    Analyzed s = AnalyzeStatement(raw.stmt(), &analyzer);
    if (s.described && budget.exhausted()) {
      // Incomplete: the rows this describes are of unknown origin.
      s.opaque = true;
      s.outputs.clear();
    }
    result.statements.push_back(std::move(s));
  }
  result.parsed = true;
  return result;
}

LineageResult AnalyzeText(const std::string& text) {
  LineageResult result;
  alignas(16) char block[kArenaBlockBytes];
  google::protobuf::Arena arena(block, sizeof block);
  const pg_query::ParseResult* tree = ParseTree(text, &arena, &result.error);
  if (tree == nullptr) return result;
  return LineageOfParsed(*tree, text.size());
}

void AppendItems(const OutputLineage& o, std::string* out) {
  auto add = [out](const std::string& item) {
    *out += ' ';
    *out += item;
  };
  auto relation = [](const SourceRelation& r) {
    return r.schema.empty() ? r.table : r.schema + "." + r.table;
  };
  for (const SourceColumn& c : o.columns) {
    add(relation({c.schema, c.table}) + "." + c.column);
  }
  for (const SourceRelation& r : o.whole_rows) add("row(" + relation(r) + ")");
  for (const SourceRelation& r : o.star_over) add("*(" + relation(r) + ")");
  if (o.unknown) add("?");
}

}  // namespace

namespace internal {

LineageResult LineageOfTree(const pg_query::ParseResult& tree, size_t text_bytes) {
  return LineageOfParsed(tree, text_bytes);
}

size_t HelperStackBytes(size_t text_bytes) { return sql::HelperStackBytes(text_bytes); }

}  // namespace internal

LineageResult AnalyzeLineage(std::string_view sql) {
  LineageResult result;
  result.error = internal::RejectText(sql);
  if (!result.error.empty()) return result;
  const std::string text(sql);  // libpg_query takes a C string
  if (text.size() <= kInlineTextBytes) return AnalyzeText(text);
  if (!RunOnLargeStack(HelperStackBytes(text.size()), [&] { result = AnalyzeText(text); })) {
    result.error = "no thread available to analyze a long statement";
  }
  return result;
}

std::vector<size_t> AlignOutputs(const StatementLineage& statement, size_t result_columns) {
  const Outputs& outputs = statement.outputs;
  if (statement.opaque) return {};
  const size_t run = lineage::FirstStar(outputs);
  std::vector<size_t> map;
  if (run == outputs.size()) {
    if (outputs.size() != result_columns) return {};
    for (size_t i = 0; i < outputs.size(); ++i) map.push_back(i);
    return map;
  }
  if (std::count_if(outputs.begin(), outputs.end(), [](const auto& o) { return o.star; }) > 1) {
    return {};  // two runs: where one ends and the other starts needs the catalog
  }
  const size_t fixed = outputs.size() - 1;
  if (result_columns < fixed) return {};
  const size_t width = result_columns - fixed;
  for (size_t i = 0; i < result_columns; ++i) {
    map.push_back(i < run ? i : i < run + width ? run : i - width + 1);
  }
  return map;
}

OutputLineage MergedLineage(const StatementLineage& statement) {
  OutputLineage all = lineage::FlowOf(statement.outputs);
  // Rows without a description here (FETCH, EXECUTE: the caller has the DECLARE's or
  // PREPARE's) are unknown until the caller supplies it.
  all.unknown =
      all.unknown || statement.opaque || (statement.returns_rows && statement.outputs.empty());
  return all;
}

std::string DescribeLineage(const OutputLineage& output) {
  std::string out = output.name + " <-";
  AppendItems(output, &out);
  return out;
}

std::string DescribeLineage(const StatementLineage& statement) {
  std::string out;
  for (const OutputLineage& o : statement.outputs) {
    if (!out.empty()) out += " | ";
    out += DescribeLineage(o);
  }
  return out;
}

}  // namespace warden::sql
