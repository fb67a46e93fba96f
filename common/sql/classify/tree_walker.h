// Walks one statement's libpg_query parse tree (the protobuf form) and collects what it touches:
// relations read and written, functions called, and data changes anywhere in the tree (CTEs,
// subqueries, COPY queries, rule actions). Reflection visits every field, so a node type this
// file does not name is still searched for relations and function calls.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/sql/classify/classified_statement.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql {

// What a walk found. Lists may hold duplicates until Finalize().
struct TreeFacts {
  std::vector<std::string> reads;
  std::vector<std::string> writes;
  std::vector<std::string> functions;
  std::vector<std::string> operators;  // written by name: "###", "s.###"
  // Tags of the data changes anywhere in the tree: "INSERT", "UPDATE", "DELETE", "MERGE",
  // "SELECT INTO"; also the changes MERGE's WHEN clauses and INSERT ... ON CONFLICT DO UPDATE
  // make ("DELETE", "UPDATE", "INSERT").
  std::vector<std::string> commands;
  bool modifies_data = false;  // INSERT/UPDATE/DELETE/MERGE/SELECT INTO anywhere in the tree
  bool without_where = false;  // an UPDATE or DELETE without WHERE anywhere in the tree
  // SET/RESET statements and set_config() calls anywhere in the tree, in walk order.
  std::vector<SettingChange> settings;
  // Columns as the tree names them, lower case: references (`qualifier` as written, maybe
  // empty; `column` "*" for a star), the columns INSERT, UPDATE, MERGE and DELETE targets get
  // (`qualifier`: the relation written; "*": whole rows), and the aliases FROM items give
  // relations. Finalize() resolves them into columns_read and columns_written (column_refs.h).
  struct ColumnMention {
    std::string qualifier;
    std::string column;
  };
  std::vector<ColumnMention> mentioned;
  std::vector<ColumnMention> assigned;
  std::vector<ColumnMention> aliases;  // qualifier: the alias; column: the relation
  std::vector<std::string> columns_read;
  std::vector<std::string> columns_written;

  // Sorts and de-duplicates the lists, so results do not depend on tree order, and resolves
  // the column mentions.
  void Finalize();
};

// "a.b" from a list of String nodes (qualified names in the parse tree), lower case.
std::string JoinNames(const google::protobuf::RepeatedPtrField<pg_query::Node>& names);
// "schema.name" where a schema was written, else "name"; lower case.
std::string RelationName(const pg_query::RangeVar& rv);

class TreeWalker {
 public:
  explicit TreeWalker(TreeFacts* facts) : facts_(facts) {}

  // For DDL, DCL and admin statements: relations met outside any embedded query are the objects
  // the statement changes (ALTER TABLE t, GRANT ... ON t, VACUUM t), so they count as written.
  void set_targets_written(bool on) { targets_written_ = on; }
  // Where the settings a SET met from now on apply (ALTER ROLE ... SET stores them for later
  // sessions; CREATE FUNCTION ... SET only while the function runs).
  void set_setting_scope(SettingChange::Scope scope) { setting_scope_ = scope; }

  void Visit(const google::protobuf::Message& msg);
  // Records `rv` as written; the walk then skips it instead of also counting it as read.
  void AddWritten(const pg_query::RangeVar& rv);

 private:
  void Visit(const google::protobuf::Message& msg, const google::protobuf::Descriptor* d);
  void VisitChildren(const google::protobuf::Message& msg);
  void VisitChildren(const google::protobuf::Message& msg, const google::protobuf::Descriptor* d);
  void VisitNode(const pg_query::Node& node);
  void VisitRangeVar(const pg_query::RangeVar& rv);
  void VisitFuncCall(const pg_query::FuncCall& call);
  void VisitVariableSet(const pg_query::VariableSetStmt& stmt);
  void VisitSelect(const pg_query::SelectStmt& stmt);
  // INSERT, UPDATE, DELETE, MERGE: the target is written; the rest of the statement is read.
  void VisitModify(const char* tag, const google::protobuf::Message& stmt,
                   const pg_query::RangeVar& target, const pg_query::WithClause* with);
  void AddMergeActions(const pg_query::MergeStmt& stmt);
  // The columns an INSERT, UPDATE or MERGE action sets (ResTarget names), of `target`; none
  // named: whole rows.
  void AddAssigned(const google::protobuf::RepeatedPtrField<pg_query::Node>& targets,
                   const pg_query::RangeVar& target);
  void AddAlias(const pg_query::RangeVar& rv);
  // Makes the CTE names of `with` visible (PostgreSQL's scoping: a non-recursive CTE sees only
  // the ones before it) and walks their bodies. Returns the scope mark to restore afterwards.
  size_t EnterWith(const pg_query::WithClause& with);

  TreeFacts* facts_;
  bool targets_written_ = false;
  SettingChange::Scope setting_scope_ = SettingChange::Scope::kSession;
  std::vector<std::string> ctes_;                   // CTE names visible here
  std::vector<const pg_query::RangeVar*> written_;  // targets already recorded as written
};

}  // namespace warden::sql
