// Expressions: which values flow into an expression's value, and the names PostgreSQL gives
// output columns.
#include <google/protobuf/message.h>

#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "common/sql/lineage/lineage_analyzer.h"
#include "common/sql/lineage/lineage_functions.h"
#include "common/sql/parse/parse_tree.h"

namespace warden::sql::lineage {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string LastName(const google::protobuf::RepeatedPtrField<pg_query::Node>& names) {
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (it->has_string()) return it->string().sval();
  }
  return "";
}

// Output names by enum value (pg_query.proto's SQLValueFunctionOp and XmlExprOp orders).
constexpr const char* kSqlValueFunctionNames[] = {
    nullptr,          "current_date",      "current_time",
    "current_time",   "current_timestamp", "current_timestamp",
    "localtime",      "localtime",         "localtimestamp",
    "localtimestamp", "current_role",      "current_user",
    "user",           "session_user",      "current_catalog",
    "current_schema"};
constexpr const char* kXmlExprNames[] = {nullptr,     "xmlconcat",    "xmlelement",
                                         "xmlforest", "xmlparse",     "xmlpi",
                                         "xmlroot",   "xmlserialize", nullptr /* IS DOCUMENT */};

static_assert(std::size(kSqlValueFunctionNames) == pg_query::SVFOP_CURRENT_SCHEMA + 1);
static_assert(std::size(kXmlExprNames) == pg_query::IS_DOCUMENT + 1);

template <size_t N>
const char* NameOf(const char* const (&names)[N], int value) {
  return value >= 0 && static_cast<size_t>(value) < N ? names[value] : nullptr;
}

// A scalar subquery's column name: its (leftmost branch's) first output's.
int SubqueryName(const pg_query::Node& subselect, std::string* name);

// PostgreSQL's FigureColnameInternal (src/backend/parser/parse_target.c) on the raw tree:
// sets `name` and returns its strength (2: a real name, 1: a type or CASE, 0: none). Recursion
// follows casts and CASE defaults, bounded by the tree's depth.
int FigureColname(const pg_query::Node& node, std::string* name) {
  auto set = [name](std::string n, int strength) {
    *name = std::move(n);
    return strength;
  };
  switch (node.node_case()) {
    case pg_query::Node::kColumnRef: {
      std::string last = LastName(node.column_ref().fields());
      if (last.empty() || node.column_ref().fields().rbegin()->has_a_star()) return 0;
      return set(std::move(last), 2);
    }
    case pg_query::Node::kAIndirection: {
      const auto& ind = node.a_indirection().indirection();
      for (auto it = ind.rbegin(); it != ind.rend(); ++it) {
        if (it->has_string()) return set(it->string().sval(), 2);
      }
      return FigureColname(node.a_indirection().arg(), name);
    }
    case pg_query::Node::kFuncCall:
      return set(LastName(node.func_call().funcname()), 2);
    case pg_query::Node::kAExpr:
      return node.a_expr().kind() == pg_query::AEXPR_NULLIF ? set("nullif", 2) : 0;
    case pg_query::Node::kTypeCast: {
      const int strength = FigureColname(node.type_cast().arg(), name);
      if (strength > 1 || !node.type_cast().has_type_name()) return strength;
      return set(LastName(node.type_cast().type_name().names()), 1);
    }
    case pg_query::Node::kCollateClause:
      return FigureColname(node.collate_clause().arg(), name);
    case pg_query::Node::kGroupingFunc:
      return set("grouping", 2);
    case pg_query::Node::kSubLink:
      switch (node.sub_link().sub_link_type()) {
        case pg_query::EXISTS_SUBLINK:
          return set("exists", 2);
        case pg_query::ARRAY_SUBLINK:
          return set("array", 2);
        case pg_query::EXPR_SUBLINK:
          return SubqueryName(node.sub_link().subselect(), name);
        default:
          return 0;
      }
    case pg_query::Node::kCaseExpr: {
      const int strength = FigureColname(node.case_expr().defresult(), name);
      return strength > 1 ? strength : set("case", 1);
    }
    case pg_query::Node::kAArrayExpr:
      return set("array", 2);
    case pg_query::Node::kRowExpr:
      return set("row", 2);
    case pg_query::Node::kCoalesceExpr:
      return set("coalesce", 2);
    case pg_query::Node::kMinMaxExpr:
      return set(node.min_max_expr().op() == pg_query::IS_LEAST ? "least" : "greatest", 2);
    case pg_query::Node::kSqlvalueFunction: {
      const char* n = NameOf(kSqlValueFunctionNames, node.sqlvalue_function().op());
      return n != nullptr ? set(n, 2) : 0;
    }
    case pg_query::Node::kXmlExpr: {
      const char* n = NameOf(kXmlExprNames, node.xml_expr().op());
      return n != nullptr ? set(n, 2) : 0;
    }
    case pg_query::Node::kXmlSerialize:
      return set("xmlserialize", 2);
    default:
      return 0;
  }
}

int SubqueryName(const pg_query::Node& subselect, std::string* name) {
  if (!subselect.has_select_stmt()) return 0;
  const pg_query::SelectStmt* s = &subselect.select_stmt();
  while (s->has_larg()) s = &s->larg();
  if (s->values_lists_size() > 0) {
    *name = "column1";
    return 2;
  }
  if (s->target_list().empty() || !s->target_list(0).has_res_target()) return 0;
  const pg_query::ResTarget& rt = s->target_list(0).res_target();
  if (!rt.name().empty()) {
    *name = rt.name();
  } else if (FigureColname(rt.val(), name) == 0) {
    *name = "?column?";
  }
  return 2;
}

}  // namespace

std::string Analyzer::FigureName(const pg_query::Node& node) {
  std::string name;
  return FigureColname(node, &name) > 0 && !name.empty() ? name : "?column?";
}

bool Analyzer::Enter() {
  // The parse tree is at most kMaxTreeDepth deep (parse_tree.h), and each level of recursion
  // here follows one of its levels; the check only keeps a mistake from becoming a crash.
  if (++depth_ > kMaxTreeDepth) budget_->Spend(std::numeric_limits<size_t>::max());
  return budget_->Spend(1);
}

void Analyzer::Expr(const pg_query::Node& node, const Scope& scope, OutputLineage* into) {
  const bool ok = Enter();
  DepthGuard guard(this);
  if (!ok) {
    into->unknown = true;
    return;
  }
  switch (node.node_case()) {
    case pg_query::Node::NODE_NOT_SET:
    case pg_query::Node::kAConst:
    case pg_query::Node::kParamRef:          // the client's own value
    case pg_query::Node::kSqlvalueFunction:  // current_user, current_date, ...
    case pg_query::Node::kSetToDefault:      // DEFAULT in VALUES or SET
    case pg_query::Node::kGroupingFunc:      // which grouping set a row belongs to
    case pg_query::Node::kCurrentOfExpr:
      return;
    case pg_query::Node::kColumnRef:
      resolver_.ColumnRefFlow(node.column_ref(), scope, into);
      return;
    case pg_query::Node::kTypeCast:
      Expr(node.type_cast().arg(), scope, into);
      return;
    case pg_query::Node::kAExpr:
      // Every operand, comparisons included: `email = 'x'` or `ssn LIKE '1%'` tells a bit.
      Expr(node.a_expr().lexpr(), scope, into);
      Expr(node.a_expr().rexpr(), scope, into);
      return;
    case pg_query::Node::kBoolExpr:
      for (const pg_query::Node& a : node.bool_expr().args()) Expr(a, scope, into);
      return;
    case pg_query::Node::kFuncCall:
      FuncCallFlow(node.func_call(), scope, into);
      return;
    case pg_query::Node::kSubLink:
      SubLinkFlow(node.sub_link(), scope, into);
      return;
    case pg_query::Node::kList:
      for (const pg_query::Node& a : node.list().items()) Expr(a, scope, into);
      return;
    default: {
      // CASE, COALESCE, GREATEST, ROW, ARRAY[], indirection, COLLATE, XML, named arguments,
      // MultiAssignRef, ...: every expression inside flows.
      const FieldDescriptor* f =
          pg_query::Node::descriptor()->FindFieldByNumber(static_cast<int>(node.node_case()));
      if (f == nullptr) {
        into->unknown = true;
        return;
      }
      ChildrenFlow(node.GetReflection()->GetMessage(node, f), scope, into);
    }
  }
}

void Analyzer::ChildrenFlow(const Message& msg, const Scope& scope, OutputLineage* into) {
  const google::protobuf::Reflection* r = msg.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const int n = f->is_repeated() ? r->FieldSize(msg, f) : 1;
    for (int i = 0; i < n; ++i) {
      const Message& child =
          f->is_repeated() ? r->GetRepeatedMessage(msg, f, i) : r->GetMessage(msg, f);
      if (child.GetDescriptor() == pg_query::Node::descriptor()) {
        Expr(static_cast<const pg_query::Node&>(child), scope, into);
      } else if (child.GetDescriptor() == pg_query::SelectStmt::descriptor()) {
        AddFlow(FlowOf(Select(static_cast<const pg_query::SelectStmt&>(child), &scope)), into);
      } else {
        const bool ok = Enter();
        DepthGuard guard(this);
        if (!ok) {
          into->unknown = true;
          return;
        }
        ChildrenFlow(child, scope, into);
      }
    }
  }
}

void Analyzer::FuncCallFlow(const pg_query::FuncCall& call, const Scope& scope,
                            OutputLineage* into) {
  switch (ClassifyFunction(call)) {
    case FunctionFlow::kNone:
      return;
    case FunctionFlow::kUnknown:
      into->unknown = true;
      break;
    case FunctionFlow::kArguments:
      break;
  }
  for (const pg_query::Node& a : call.args()) Expr(a, scope, into);
  // An ordered-set aggregate returns (or interpolates) values of its WITHIN GROUP ordering:
  // mode() WITHIN GROUP (ORDER BY email). Other aggregates' ORDER BY, FILTER and OVER only
  // order or filter.
  if (call.agg_within_group()) {
    for (const pg_query::Node& o : call.agg_order()) {
      if (o.has_sort_by()) Expr(o.sort_by().node(), scope, into);
    }
  }
}

void Analyzer::SubLinkFlow(const pg_query::SubLink& link, const Scope& scope, OutputLineage* into) {
  switch (link.sub_link_type()) {
    case pg_query::EXISTS_SUBLINK:
      return;  // whether a row exists: no value of it
    case pg_query::ANY_SUBLINK:
    case pg_query::ALL_SUBLINK:
    case pg_query::ROWCOMPARE_SUBLINK:
      // `x IN (SELECT email ...)` in an output column compares x with emails: both flow.
      Expr(link.testexpr(), scope, into);
      break;
    default:
      break;  // scalar, ARRAY(...), UPDATE's SET (a, b) = (SELECT ...)
  }
  budget_->Spend(AddFlow(FlowOf(Query(link.subselect(), &scope)), into));
}

}  // namespace warden::sql::lineage
