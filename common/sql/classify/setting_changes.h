// SettingChange values from parse tree nodes: SET/RESET (also inside ALTER ROLE/DATABASE/SYSTEM
// and CREATE FUNCTION ... SET) and set_config(name, value, is_local) calls.
#pragma once

#include "common/sql/classify/classified_statement.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql {

// https://www.postgresql.org/docs/15/sql-set.html, sql-reset.html. SET takes constants only; a
// value that is not one string is kConstant, its value not kept: the classification cache folds
// integer constants (constant_normalizer.h), so no decision may depend on one.
SettingChange VariableSetChange(const pg_query::VariableSetStmt& stmt, SettingChange::Scope scope);

// set_config(setting_name, new_value, is_local) (functions-admin.html#FUNCTIONS-ADMIN-SET):
// the name and value when they are string constants, else empty name / kComputed. is_local does
// not matter here: SET LOCAL also lasts until the transaction ends.
SettingChange SetConfigChange(const pg_query::FuncCall& call);

}  // namespace warden::sql
