#include "common/sql/classify/command_tag.h"

#include <array>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "common/sql/classify/session_settings.h"

namespace warden::sql {
namespace {

using pg_query::Node;
using v1::StatementClass;

constexpr StatementClass kRead = v1::STATEMENT_CLASS_READ;
constexpr StatementClass kWrite = v1::STATEMENT_CLASS_WRITE;
constexpr StatementClass kDdl = v1::STATEMENT_CLASS_DDL;
constexpr StatementClass kDcl = v1::STATEMENT_CLASS_DCL;
constexpr StatementClass kTcl = v1::STATEMENT_CLASS_TCL;
constexpr StatementClass kAdmin = v1::STATEMENT_CLASS_ADMIN;
constexpr StatementClass kSession = v1::STATEMENT_CLASS_SESSION;

// Indexed by pg_query::ObjectType (libpg_query numbers PostgreSQL's ObjectType from 1).
constexpr std::array<const char*, 53> kObjectTypeNames = {
    "",  // OBJECT_TYPE_UNDEFINED
    "ACCESS METHOD",
    "AGGREGATE",
    "OPERATOR",
    "FUNCTION",  // AMOP, AMPROC: ALTER OPERATOR FAMILY parts
    "TYPE",
    "CAST",
    "TABLE",
    "COLLATION",  // COLUMN belongs to its table
    "CONVERSION",
    "DATABASE",
    "DEFAULT",
    "DEFAULT PRIVILEGES",
    "DOMAIN",
    "DOMAIN",  // DOMCONSTRAINT
    "EVENT TRIGGER",
    "EXTENSION",
    "FOREIGN DATA WRAPPER",
    "SERVER",
    "FOREIGN TABLE",
    "FUNCTION",
    "INDEX",
    "LANGUAGE",
    "LARGE OBJECT",
    "MATERIALIZED VIEW",
    "OPERATOR CLASS",
    "OPERATOR",
    "OPERATOR FAMILY",
    "PARAMETER",
    "POLICY",
    "PROCEDURE",
    "PUBLICATION",
    "PUBLICATION",
    "PUBLICATION",
    "ROLE",
    "ROUTINE",
    "RULE",
    "SCHEMA",
    "SEQUENCE",
    "SUBSCRIPTION",
    "STATISTICS",
    "TABLE",
    "TABLE",  // TABCONSTRAINT, TABLE
    "TABLESPACE",
    "TRANSFORM",
    "TRIGGER",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "TYPE",
    "USER MAPPING",
    "VIEW",
};

// defGetBoolean() semantics for a transaction option's argument; unknown spellings count as
// true, the answer that keeps the statement out of the harmless TCL class.
bool OptionIsTrue(const pg_query::DefElem& opt) {
  if (!opt.has_arg()) return true;
  const Node& arg = opt.arg();
  if (arg.has_a_const() && arg.a_const().has_ival()) return arg.a_const().ival().ival() != 0;
  if (arg.has_integer()) return arg.integer().ival() != 0;
  return true;
}

// BEGIN READ WRITE / SET TRANSACTION READ WRITE lift a read-only connection's
// default_transaction_read_only, so they are admin, not harmless TCL.
bool RequestsReadWrite(const google::protobuf::RepeatedPtrField<Node>& options) {
  for (const Node& n : options) {
    if (n.has_def_elem() && n.def_elem().defname() == "transaction_read_only" &&
        !OptionIsTrue(n.def_elem())) {
      return true;
    }
  }
  return false;
}

CommandInfo TransactionCommand(const pg_query::TransactionStmt& s) {
  switch (s.kind()) {
    case pg_query::TRANS_STMT_BEGIN:
      return {"BEGIN", RequestsReadWrite(s.options()) ? kAdmin : kTcl};
    case pg_query::TRANS_STMT_START:
      return {"START TRANSACTION", RequestsReadWrite(s.options()) ? kAdmin : kTcl};
    case pg_query::TRANS_STMT_COMMIT:
      return {"COMMIT", kTcl};
    case pg_query::TRANS_STMT_ROLLBACK:
    case pg_query::TRANS_STMT_ROLLBACK_TO:
      return {"ROLLBACK", kTcl};
    case pg_query::TRANS_STMT_SAVEPOINT:
      return {"SAVEPOINT", kTcl};
    case pg_query::TRANS_STMT_RELEASE:
      return {"RELEASE", kTcl};
    case pg_query::TRANS_STMT_PREPARE:
      return {"PREPARE TRANSACTION", kTcl};
    case pg_query::TRANS_STMT_COMMIT_PREPARED:
      return {"COMMIT PREPARED", kTcl};
    case pg_query::TRANS_STMT_ROLLBACK_PREPARED:
      return {"ROLLBACK PREPARED", kTcl};
    default:
      return {"???", kAdmin};
  }
}

// SET changes session state; SET TRANSACTION only the current transaction's mode. Ordinary
// per-session settings (session_settings.h) are their own class. Changing role or session
// authorization is access control. Anything else (search_path, default_transaction_read_only,
// RESET ALL, ...) is admin, so a read-only policy cannot be unset.
CommandInfo VariableSetCommand(const pg_query::VariableSetStmt& s) {
  const std::string name = absl::AsciiStrToLower(s.name());
  const char* tag =
      s.kind() == pg_query::VAR_RESET || s.kind() == pg_query::VAR_RESET_ALL ? "RESET" : "SET";
  if (s.kind() == pg_query::VAR_RESET_ALL) return {tag, kAdmin};
  if (IsOrdinarySessionSetting(name)) return {tag, kSession};
  if (s.kind() == pg_query::VAR_RESET) return {tag, kAdmin};
  if (name == "transaction") return {"SET", RequestsReadWrite(s.args()) ? kAdmin : kTcl};
  if (name == "role" || name == "session_authorization") return {"SET", kDcl};
  return {"SET", kAdmin};
}

std::optional<CommandInfo> SessionCommand(const Node& n) {
  switch (n.node_case()) {
    case Node::kTransactionStmt:
      return TransactionCommand(n.transaction_stmt());
    case Node::kVariableSetStmt:
      return VariableSetCommand(n.variable_set_stmt());
    case Node::kConstraintsSetStmt:
      return CommandInfo{"SET CONSTRAINTS", kTcl};
    case Node::kVariableShowStmt:
      return CommandInfo{"SHOW", kRead};
    case Node::kListenStmt:
      return CommandInfo{"LISTEN", kRead};
    case Node::kUnlistenStmt:
      return CommandInfo{"UNLISTEN", kRead};
    case Node::kNotifyStmt:  // reaches other sessions: a side effect, like a write
      return CommandInfo{"NOTIFY", kWrite};
    case Node::kFetchStmt:
      return CommandInfo{n.fetch_stmt().ismove() ? "MOVE" : "FETCH", kRead};
    case Node::kClosePortalStmt:
      return CommandInfo{
          n.close_portal_stmt().portalname().empty() ? "CLOSE CURSOR ALL" : "CLOSE CURSOR", kRead};
    case Node::kDeallocateStmt:
      return CommandInfo{n.deallocate_stmt().name().empty() ? "DEALLOCATE ALL" : "DEALLOCATE",
                         kRead};
    case Node::kDiscardStmt: {
      static constexpr const char* kTags[] = {"DISCARD", "DISCARD ALL", "DISCARD PLANS",
                                              "DISCARD SEQUENCES", "DISCARD TEMP"};
      const int t = n.discard_stmt().target();
      return CommandInfo{kTags[t >= 0 && t <= 4 ? t : 0], kAdmin};
    }
    default:
      return std::nullopt;
  }
}

std::optional<CommandInfo> MaintenanceCommand(const Node& n) {
  switch (n.node_case()) {
    case Node::kTruncateStmt:
      return CommandInfo{"TRUNCATE TABLE", kWrite};
    case Node::kRefreshMatViewStmt:
      return CommandInfo{"REFRESH MATERIALIZED VIEW", kWrite};
    case Node::kVacuumStmt:
      return CommandInfo{n.vacuum_stmt().is_vacuumcmd() ? "VACUUM" : "ANALYZE", kAdmin};
    case Node::kClusterStmt:
      return CommandInfo{"CLUSTER", kAdmin};
    case Node::kReindexStmt:
      return CommandInfo{"REINDEX", kAdmin};
    case Node::kCheckPointStmt:
      return CommandInfo{"CHECKPOINT", kAdmin};
    case Node::kLoadStmt:
      return CommandInfo{"LOAD", kAdmin};
    case Node::kAlterSystemStmt:
      return CommandInfo{"ALTER SYSTEM", kAdmin};
    case Node::kLockStmt:
      return CommandInfo{"LOCK TABLE", kAdmin};
    default:
      return std::nullopt;
  }
}

std::optional<CommandInfo> AccessCommand(const Node& n) {
  switch (n.node_case()) {
    case Node::kGrantStmt:
      return CommandInfo{n.grant_stmt().is_grant() ? "GRANT" : "REVOKE", kDcl};
    case Node::kGrantRoleStmt:
      return CommandInfo{n.grant_role_stmt().is_grant() ? "GRANT ROLE" : "REVOKE ROLE", kDcl};
    case Node::kAlterDefaultPrivilegesStmt:
      return CommandInfo{"ALTER DEFAULT PRIVILEGES", kDcl};
    case Node::kCreateRoleStmt:
      return CommandInfo{"CREATE ROLE", kDcl};
    case Node::kAlterRoleStmt:
    case Node::kAlterRoleSetStmt:
      return CommandInfo{"ALTER ROLE", kDcl};
    case Node::kDropRoleStmt:
      return CommandInfo{"DROP ROLE", kDcl};
    case Node::kReassignOwnedStmt:
      return CommandInfo{"REASSIGN OWNED", kDcl};
    case Node::kDropOwnedStmt:
      return CommandInfo{"DROP OWNED", kDcl};
    case Node::kCreatePolicyStmt:
      return CommandInfo{"CREATE POLICY", kDcl};
    case Node::kAlterPolicyStmt:
      return CommandInfo{"ALTER POLICY", kDcl};
    case Node::kCreateUserMappingStmt:
      return CommandInfo{"CREATE USER MAPPING", kDcl};
    case Node::kAlterUserMappingStmt:
      return CommandInfo{"ALTER USER MAPPING", kDcl};
    case Node::kDropUserMappingStmt:
      return CommandInfo{"DROP USER MAPPING", kDcl};
    default:
      return std::nullopt;
  }
}

// ALTER <object>: PostgreSQL names a column rename after the column's relation.
std::string AlterTag(pg_query::ObjectType type, pg_query::ObjectType relation_type) {
  if (type == pg_query::OBJECT_COLUMN && relation_type != pg_query::OBJECT_TYPE_UNDEFINED) {
    type = relation_type;
  }
  return "ALTER " + ObjectTypeName(type);
}

std::optional<CommandInfo> ObjectCommand(const Node& n) {
  switch (n.node_case()) {
    case Node::kDropStmt:
      return CommandInfo{"DROP " + ObjectTypeName(n.drop_stmt().remove_type()), kDdl};
    case Node::kAlterTableStmt:
      return CommandInfo{AlterTag(n.alter_table_stmt().objtype(), pg_query::OBJECT_TYPE_UNDEFINED),
                         kDdl};
    case Node::kRenameStmt:
      return CommandInfo{AlterTag(n.rename_stmt().rename_type(), n.rename_stmt().relation_type()),
                         kDdl};
    case Node::kAlterObjectSchemaStmt:
      return CommandInfo{
          AlterTag(n.alter_object_schema_stmt().object_type(), pg_query::OBJECT_TYPE_UNDEFINED),
          kDdl};
    case Node::kAlterOwnerStmt:
      return CommandInfo{
          AlterTag(n.alter_owner_stmt().object_type(), pg_query::OBJECT_TYPE_UNDEFINED), kDdl};
    case Node::kAlterFunctionStmt:
      return CommandInfo{
          AlterTag(n.alter_function_stmt().objtype(), pg_query::OBJECT_TYPE_UNDEFINED), kDdl};
    case Node::kDefineStmt:
      return CommandInfo{"CREATE " + ObjectTypeName(n.define_stmt().kind()), kDdl};
    case Node::kCreateFunctionStmt:
      return CommandInfo{
          n.create_function_stmt().is_procedure() ? "CREATE PROCEDURE" : "CREATE FUNCTION", kDdl};
    default:
      return std::nullopt;
  }
}

std::optional<CommandInfo> CreateCommand(const Node& n) {
  switch (n.node_case()) {
    case Node::kCreateStmt:
      return CommandInfo{"CREATE TABLE", kDdl};
    case Node::kCreateForeignTableStmt:
      return CommandInfo{"CREATE FOREIGN TABLE", kDdl};
    case Node::kIndexStmt:
      return CommandInfo{"CREATE INDEX", kDdl};
    case Node::kViewStmt:
      return CommandInfo{"CREATE VIEW", kDdl};
    case Node::kCreateSeqStmt:
      return CommandInfo{"CREATE SEQUENCE", kDdl};
    case Node::kAlterSeqStmt:
      return CommandInfo{"ALTER SEQUENCE", kDdl};
    case Node::kCreateSchemaStmt:
      return CommandInfo{"CREATE SCHEMA", kDdl};
    case Node::kCreatedbStmt:
      return CommandInfo{"CREATE DATABASE", kDdl};
    case Node::kDropdbStmt:
      return CommandInfo{"DROP DATABASE", kDdl};
    case Node::kAlterDatabaseStmt:
    case Node::kAlterDatabaseSetStmt:
      return CommandInfo{"ALTER DATABASE", kDdl};
    case Node::kRuleStmt:
      return CommandInfo{"CREATE RULE", kDdl};
    case Node::kCreateTrigStmt:
      return CommandInfo{"CREATE TRIGGER", kDdl};
    case Node::kCreateEventTrigStmt:
      return CommandInfo{"CREATE EVENT TRIGGER", kDdl};
    case Node::kCreateExtensionStmt:
      return CommandInfo{"CREATE EXTENSION", kDdl};
    case Node::kCreateDomainStmt:
      return CommandInfo{"CREATE DOMAIN", kDdl};
    case Node::kCompositeTypeStmt:
    case Node::kCreateEnumStmt:
    case Node::kCreateRangeStmt:
      return CommandInfo{"CREATE TYPE", kDdl};
    case Node::kAlterEnumStmt:
      return CommandInfo{"ALTER TYPE", kDdl};
    case Node::kCommentStmt:
      return CommandInfo{"COMMENT", kDdl};
    case Node::kCreatePlangStmt:
      return CommandInfo{"CREATE LANGUAGE", kDdl};
    case Node::kCreateTableSpaceStmt:
      return CommandInfo{"CREATE TABLESPACE", kDdl};
    case Node::kCreateForeignServerStmt:
      return CommandInfo{"CREATE SERVER", kDdl};
    default:
      return std::nullopt;
  }
}

// "alter_tsdictionary_stmt" -> "ALTER TSDICTIONARY": a readable tag for rare statements.
CommandInfo FallbackCommand(const Node& n) {
  const auto* oneof = n.GetDescriptor()->oneof_decl(0);
  const auto* field = n.GetReflection()->GetOneofFieldDescriptor(n, oneof);
  std::string name = field != nullptr ? field->name() : "unknown";
  if (name.size() > 5 && name.compare(name.size() - 5, 5, "_stmt") == 0)
    name.resize(name.size() - 5);
  const bool ddl = name.rfind("create_", 0) == 0 || name.rfind("alter_", 0) == 0 ||
                   name.rfind("drop_", 0) == 0 || name.rfind("import_", 0) == 0;
  return {absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"_", " "}})), ddl ? kDdl : kAdmin};
}

}  // namespace

std::string ObjectTypeName(pg_query::ObjectType type) {
  const int i = static_cast<int>(type);
  if (i <= 0 || i >= static_cast<int>(kObjectTypeNames.size())) return "OBJECT";
  return kObjectTypeNames[i];
}

CommandInfo UtilityCommand(const Node& stmt) {
  for (auto* family :
       {SessionCommand, MaintenanceCommand, AccessCommand, ObjectCommand, CreateCommand}) {
    if (std::optional<CommandInfo> info = family(stmt)) return *std::move(info);
  }
  return FallbackCommand(stmt);
}

}  // namespace warden::sql
