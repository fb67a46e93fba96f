#include "common/sql/classify/merge_bounds.h"

#include <string>

#include "absl/strings/ascii.h"

namespace warden::sql {
namespace {

using pg_query::Node;

// The qualifier of a qualified column reference (`t` of t.id, or of s.t.id), else "".
std::string Qualifier(const pg_query::ColumnRef& ref) {
  const int n = ref.fields_size();
  if (n < 2 || !ref.fields(n - 2).has_string()) return "";
  return absl::AsciiStrToLower(ref.fields(n - 2).string().sval());
}

bool IsTargetColumn(const Node& n, const std::string& target) {
  return n.has_column_ref() && Qualifier(n.column_ref()) == target;
}

// True unless `n` is known not to reach a column of the target.
bool MayMentionTarget(const Node& n, const std::string& target) {
  switch (n.node_case()) {
    case Node::kAConst:
    case Node::kParamRef:
      return false;
    case Node::kColumnRef: {
      const std::string q = Qualifier(n.column_ref());
      return q.empty() || q == target;
    }
    case Node::kTypeCast:
      return MayMentionTarget(n.type_cast().arg(), target);
    case Node::kAExpr:
      return (n.a_expr().has_lexpr() && MayMentionTarget(n.a_expr().lexpr(), target)) ||
             (n.a_expr().has_rexpr() && MayMentionTarget(n.a_expr().rexpr(), target));
    case Node::kFuncCall:
      for (const Node& a : n.func_call().args()) {
        if (MayMentionTarget(a, target)) return true;
      }
      return false;
    default:
      return true;
  }
}

bool IsEquality(const pg_query::A_Expr& e) {
  return e.kind() == pg_query::AEXPR_OP && e.name_size() == 1 && e.name(0).has_string() &&
         e.name(0).string().sval() == "=";
}

// True when `cond` ties each matched target row to something other than the target.
bool Bounds(const Node& cond, const std::string& target) {
  if (cond.has_bool_expr()) {
    const auto& b = cond.bool_expr();
    if (b.boolop() == pg_query::AND_EXPR) {
      for (const Node& a : b.args()) {
        if (Bounds(a, target)) return true;
      }
      return false;
    }
    if (b.boolop() == pg_query::OR_EXPR) {
      for (const Node& a : b.args()) {
        if (!Bounds(a, target)) return false;
      }
      return b.args_size() > 0;
    }
    return false;
  }
  if (!cond.has_a_expr() || !IsEquality(cond.a_expr())) return false;
  const auto& e = cond.a_expr();
  return (IsTargetColumn(e.lexpr(), target) && !MayMentionTarget(e.rexpr(), target)) ||
         (IsTargetColumn(e.rexpr(), target) && !MayMentionTarget(e.lexpr(), target));
}

}  // namespace

bool MergeMayTouchEveryRow(const pg_query::MergeStmt& stmt) {
  bool changes_matched = false;
  for (const Node& n : stmt.merge_when_clauses()) {
    if (!n.has_merge_when_clause() || !n.merge_when_clause().matched()) continue;
    const auto type = n.merge_when_clause().command_type();
    changes_matched =
        changes_matched || type == pg_query::CMD_UPDATE || type == pg_query::CMD_DELETE;
  }
  if (!changes_matched) return false;
  const pg_query::RangeVar& rel = stmt.relation();
  const std::string target = absl::AsciiStrToLower(
      rel.has_alias() && !rel.alias().aliasname().empty() ? rel.alias().aliasname()
                                                          : rel.relname());
  return !stmt.has_join_condition() || !Bounds(stmt.join_condition(), target);
}

}  // namespace warden::sql
