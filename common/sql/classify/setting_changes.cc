#include "common/sql/classify/setting_changes.h"

#include "absl/strings/ascii.h"

namespace warden::sql {
namespace {

// The string of a string constant (also one under a cast: 'off'::text), else nullptr.
const std::string* StringConstant(const pg_query::Node& n) {
  if (n.has_type_cast() && n.type_cast().has_arg()) return StringConstant(n.type_cast().arg());
  if (n.has_a_const() && n.a_const().has_sval()) return &n.a_const().sval().sval();
  return nullptr;
}

}  // namespace

SettingChange VariableSetChange(const pg_query::VariableSetStmt& stmt, SettingChange::Scope scope) {
  SettingChange c;
  c.scope = scope;
  c.name = absl::AsciiStrToLower(stmt.name());
  switch (stmt.kind()) {
    case pg_query::VAR_RESET_ALL:
      c.name = "*";
      c.value = SettingChange::Value::kDefault;
      return c;
    case pg_query::VAR_RESET:
    case pg_query::VAR_SET_DEFAULT:
      c.value = SettingChange::Value::kDefault;
      return c;
    case pg_query::VAR_SET_VALUE:
      if (stmt.args_size() == 1) {
        if (const std::string* v = StringConstant(stmt.args(0))) {
          c.value = SettingChange::Value::kLiteral;
          c.value_text = *v;
          return c;
        }
      }
      c.value = SettingChange::Value::kConstant;
      return c;
    default:  // FROM CURRENT, SET TRANSACTION and the other multi-word forms
      c.value = SettingChange::Value::kConstant;
      return c;
  }
}

SettingChange SetConfigChange(const pg_query::FuncCall& call) {
  SettingChange c;
  c.value = SettingChange::Value::kComputed;
  if (call.args_size() >= 1) {
    if (const std::string* name = StringConstant(call.args(0)))
      c.name = absl::AsciiStrToLower(*name);
  }
  if (call.args_size() >= 2) {
    if (const std::string* v = StringConstant(call.args(1))) {
      c.value = SettingChange::Value::kLiteral;
      c.value_text = *v;
    }
  }
  return c;
}

}  // namespace warden::sql
