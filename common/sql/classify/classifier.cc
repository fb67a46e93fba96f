#include "common/sql/classify/classifier.h"

#include <pg_query.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/sql/classify/command_tag.h"
#include "common/sql/classify/function_effects.h"
#include "common/sql/classify/tree_walker.h"
#include "common/sql/parse/large_stack.h"
#include "common/sql/parse/parse_tree.h"
#include "common/sql/parse/tree_fingerprint.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql {
namespace {

using pg_query::Node;

struct Context {
  const PreparedStatements* session = nullptr;
  PreparedStatements local;  // PREPAREs seen earlier in the same text

  const ClassifiedStatement* FindPrepared(const std::string& name) const {
    if (auto it = local.find(name); it != local.end()) return &it->second;
    if (session != nullptr) {
      if (auto it = session->find(name); it != session->end()) return &it->second;
    }
    return nullptr;
  }
};

ClassifiedStatement ClassifyNode(const Node& node, Context* ctx);

void AppendAll(const std::vector<std::string>& from, std::vector<std::string>* to) {
  to->insert(to->end(), from.begin(), from.end());
}

// Copies a walk's facts into `out` (class and tag are the caller's; ClassifyNode adds the tag
// to the commands).
void Fill(TreeFacts facts, ClassifiedStatement* out) {
  facts.Finalize();
  out->relations_read = std::move(facts.reads);
  out->relations_written = std::move(facts.writes);
  out->columns_read = std::move(facts.columns_read);
  out->columns_written = std::move(facts.columns_written);
  out->functions = std::move(facts.functions);
  out->operators = std::move(facts.operators);
  out->commands = std::move(facts.commands);
  out->without_where = out->without_where || facts.without_where;
  out->settings = std::move(facts.settings);
}

// Adds the facts of `extra` (e.g. EXECUTE's parameter expressions) to `out`.
void Merge(TreeFacts extra, ClassifiedStatement* out) {
  TreeFacts all;
  all.reads = std::move(out->relations_read);
  all.writes = std::move(out->relations_written);
  all.columns_read = std::move(out->columns_read);
  all.columns_written = std::move(out->columns_written);
  all.functions = std::move(out->functions);
  all.operators = std::move(out->operators);
  all.commands = std::move(out->commands);
  all.settings = std::move(out->settings);
  all.settings.insert(all.settings.end(), extra.settings.begin(), extra.settings.end());
  AppendAll(extra.reads, &all.reads);
  AppendAll(extra.writes, &all.writes);
  AppendAll(extra.columns_read, &all.columns_read);
  AppendAll(extra.columns_written, &all.columns_written);
  all.mentioned = std::move(extra.mentioned);
  all.assigned = std::move(extra.assigned);
  all.aliases = std::move(extra.aliases);
  AppendAll(extra.functions, &all.functions);
  AppendAll(extra.operators, &all.operators);
  AppendAll(extra.commands, &all.commands);
  all.without_where = extra.without_where;
  Fill(std::move(all), out);
}

ClassifiedStatement ClassifyDml(const Node& node) {
  ClassifiedStatement out;
  switch (node.node_case()) {
    case Node::kInsertStmt:
      out.command_tag = "INSERT";
      break;
    case Node::kUpdateStmt:
      out.command_tag = "UPDATE";
      break;
    case Node::kDeleteStmt:
      out.command_tag = "DELETE";
      break;
    case Node::kMergeStmt:
      out.command_tag = "MERGE";
      break;
    default:
      out.command_tag = "SELECT";
      break;  // also VALUES, TABLE t and SELECT ... INTO
  }
  TreeFacts facts;
  TreeWalker walker(&facts);
  walker.Visit(node);
  out.statement_class = facts.modifies_data ? v1::STATEMENT_CLASS_WRITE : v1::STATEMENT_CLASS_READ;
  // SELECT ... INTO creates a table, as CREATE TABLE AS does (its tag stays SELECT).
  if (std::find(facts.commands.begin(), facts.commands.end(), "SELECT INTO") !=
      facts.commands.end()) {
    out.statement_class = v1::STATEMENT_CLASS_DDL;
  }
  Fill(std::move(facts), &out);
  return out;
}

// https://www.postgresql.org/docs/15/sql-explain.html: ANALYZE executes the statement, so it is
// the inner statement's class; plain EXPLAIN only plans, so it reads whatever the inner touches.
// ExplainQuery() assigns each option in order, so the last ANALYZE decides, and defGetBoolean()
// reads no argument as true, 0/1, and true/false/on/off in any case. Any other spelling makes
// the server refuse the statement; it counts as true here, the reading that runs it.
bool ExplainAnalyzes(const pg_query::ExplainStmt& s) {
  bool analyze = false;
  for (const Node& n : s.options()) {
    if (!n.has_def_elem() || n.def_elem().defname() != "analyze") continue;
    const pg_query::DefElem& opt = n.def_elem();
    analyze = true;
    if (!opt.has_arg()) continue;
    const Node& arg = opt.arg();
    const pg_query::String* str = arg.has_string() ? &arg.string()
                                  : arg.has_a_const() && arg.a_const().has_sval()
                                      ? &arg.a_const().sval()
                                      : nullptr;
    if (str != nullptr) {
      const std::string v = absl::AsciiStrToLower(str->sval());
      analyze = !(v == "false" || v == "off");
    } else if (arg.has_integer()) {
      analyze = arg.integer().ival() != 0;
    } else if (arg.has_a_const() && arg.a_const().has_ival()) {
      analyze = arg.a_const().ival().ival() != 0;
    }
  }
  return analyze;
}

ClassifiedStatement ClassifyExplain(const pg_query::ExplainStmt& s, Context* ctx) {
  ClassifiedStatement out = ClassifyNode(s.query(), ctx);
  out.command_tag = "EXPLAIN";
  if (ExplainAnalyzes(s)) return out;
  out.statement_class = v1::STATEMENT_CLASS_READ;
  out.without_where = false;
  out.commands.clear();  // planned, not run
  out.settings.clear();
  TreeFacts facts;
  facts.reads = std::move(out.relations_written);
  out.relations_written.clear();
  facts.columns_read = std::move(out.columns_written);
  out.columns_written.clear();
  Merge(std::move(facts), &out);
  return out;
}

ClassifiedStatement ClassifyPrepare(const pg_query::PrepareStmt& s, Context* ctx) {
  ClassifiedStatement body = ClassifyNode(s.query(), ctx);
  ctx->local[s.name()] = body;
  body.command_tag = "PREPARE";
  return body;
}

// The server reports EXECUTE with the prepared statement's own tag. Without the body's text the
// statement is opaque: policy decides on code it cannot see into.
ClassifiedStatement ClassifyExecute(const pg_query::ExecuteStmt& s, Context* ctx) {
  ClassifiedStatement out;
  if (const ClassifiedStatement* known = ctx->FindPrepared(s.name())) {
    out = *known;
    out.commands.emplace_back("EXECUTE");  // the tag is the prepared statement's
  } else {
    out.command_tag = "EXECUTE";
    out.statement_class = v1::STATEMENT_CLASS_OPAQUE;
    out.opaque = true;
  }
  TreeFacts params;
  TreeWalker walker(&params);
  for (const Node& p : s.params()) walker.Visit(p);
  Merge(std::move(params), &out);
  return out;
}

// https://www.postgresql.org/docs/15/sql-copy.html: PROGRAM runs a shell command as the server's
// OS user (admin, and opaque); a file name reads or writes the server's file system (admin).
ClassifiedStatement ClassifyCopy(const pg_query::CopyStmt& s) {
  ClassifiedStatement out;
  out.command_tag = "COPY";
  TreeFacts facts;
  TreeWalker walker(&facts);
  if (s.is_from() && s.has_relation()) walker.AddWritten(s.relation());
  walker.Visit(s);
  const bool writes = s.is_from() || facts.modifies_data;
  if (s.is_program()) {
    out.statement_class = v1::STATEMENT_CLASS_ADMIN;
    out.opaque = true;
  } else if (!s.filename().empty()) {
    out.statement_class = v1::STATEMENT_CLASS_ADMIN;
  } else {
    out.statement_class = writes ? v1::STATEMENT_CLASS_WRITE : v1::STATEMENT_CLASS_READ;
  }
  Fill(std::move(facts), &out);
  return out;
}

ClassifiedStatement ClassifyCreateTableAs(const pg_query::CreateTableAsStmt& s) {
  ClassifiedStatement out;
  if (s.objtype() == pg_query::OBJECT_MATVIEW) {
    out.command_tag = "CREATE MATERIALIZED VIEW";
  } else {
    out.command_tag = s.is_select_into() ? "SELECT" : "CREATE TABLE AS";
  }
  out.statement_class = v1::STATEMENT_CLASS_DDL;
  TreeFacts facts;
  TreeWalker walker(&facts);
  if (s.has_into() && s.into().has_rel()) walker.AddWritten(s.into().rel());
  walker.Visit(s);
  Fill(std::move(facts), &out);
  return out;
}

// DROP's objects are name lists, not RangeVars; record the relation-like ones as written.
void AddDroppedRelations(const pg_query::DropStmt& s, TreeFacts* facts) {
  switch (s.remove_type()) {
    case pg_query::OBJECT_TABLE:
    case pg_query::OBJECT_VIEW:
    case pg_query::OBJECT_MATVIEW:
    case pg_query::OBJECT_INDEX:
    case pg_query::OBJECT_SEQUENCE:
    case pg_query::OBJECT_FOREIGN_TABLE:
      break;
    default:
      return;
  }
  for (const Node& obj : s.objects()) {
    if (obj.has_list()) facts->writes.push_back(JoinNames(obj.list().items()));
  }
}

// Where the settings a utility statement's SET clauses change apply.
SettingChange::Scope SettingScope(const Node& node) {
  switch (node.node_case()) {
    case Node::kAlterRoleSetStmt:
    case Node::kAlterDatabaseSetStmt:
    case Node::kAlterSystemStmt:
      return SettingChange::Scope::kStored;
    case Node::kCreateFunctionStmt:
    case Node::kAlterFunctionStmt:
      return SettingChange::Scope::kFunction;
    default:
      return SettingChange::Scope::kSession;
  }
}

ClassifiedStatement ClassifyUtility(const Node& node) {
  CommandInfo info = UtilityCommand(node);
  ClassifiedStatement out;
  out.command_tag = std::move(info.tag);
  out.statement_class = info.statement_class;
  TreeFacts facts;
  TreeWalker walker(&facts);
  walker.set_targets_written(true);
  walker.set_setting_scope(SettingScope(node));
  walker.Visit(node);
  switch (node.node_case()) {
    case Node::kDiscardStmt:
      // DISCARD ALL runs RESET ALL (https://www.postgresql.org/docs/15/sql-discard.html).
      if (node.discard_stmt().target() == pg_query::DISCARD_ALL) {
        facts.settings.push_back({"*", SettingChange::Value::kDefault, "", {}});
      }
      break;
    case Node::kDropStmt:
      AddDroppedRelations(node.drop_stmt(), &facts);
      break;
    case Node::kTruncateStmt:
      // TRUNCATE removes every row, as DELETE without WHERE does; policy treats them alike.
      facts.without_where = true;
      break;
    case Node::kCreateFunctionStmt:
      // The body runs later, unseen by us (unless it is a BEGIN ATOMIC body, walked above).
      out.opaque = true;
      break;
    case Node::kCreateTrigStmt:
      // The trigger function will run on every matching write: record it.
      facts.functions.push_back(JoinNames(node.create_trig_stmt().funcname()));
      break;
    default:
      break;
  }
  Fill(std::move(facts), &out);
  return out;
}

ClassifiedStatement Opaque(const Node& node, const char* tag) {
  ClassifiedStatement out;
  out.command_tag = tag;
  out.statement_class = v1::STATEMENT_CLASS_OPAQUE;
  out.opaque = true;
  TreeFacts facts;
  TreeWalker walker(&facts);
  walker.Visit(node);  // CALL's procedure and argument functions
  Fill(std::move(facts), &out);
  return out;
}

ClassifiedStatement ClassifyStatement(const Node& node, Context* ctx) {
  switch (node.node_case()) {
    case Node::kSelectStmt:
    case Node::kInsertStmt:
    case Node::kUpdateStmt:
    case Node::kDeleteStmt:
    case Node::kMergeStmt:
      return ClassifyDml(node);
    case Node::kExplainStmt:
      return ClassifyExplain(node.explain_stmt(), ctx);
    case Node::kPrepareStmt:
      return ClassifyPrepare(node.prepare_stmt(), ctx);
    case Node::kExecuteStmt:
      return ClassifyExecute(node.execute_stmt(), ctx);
    case Node::kDeclareCursorStmt: {
      ClassifiedStatement out = ClassifyNode(node.declare_cursor_stmt().query(), ctx);
      out.command_tag = "DECLARE CURSOR";
      return out;
    }
    case Node::kCopyStmt:
      return ClassifyCopy(node.copy_stmt());
    case Node::kCreateTableAsStmt:
      return ClassifyCreateTableAs(node.create_table_as_stmt());
    case Node::kDoStmt:
      return Opaque(node, "DO");
    case Node::kCallStmt:
      return Opaque(node, "CALL");
    case Node::NODE_NOT_SET: {
      ClassifiedStatement out;
      out.command_tag = "???";
      return out;  // class unknown
    }
    default:
      return ClassifyUtility(node);
  }
}

// A statement that calls a function which changes state is not a read (function_effects.h).
// Plain EXPLAIN runs nothing, and EXPLAIN ANALYZE has its statement's class already.
void RaiseForFunctions(const Node& node, ClassifiedStatement* out) {
  if (node.node_case() == Node::kExplainStmt) return;
  for (const std::string& f : out->functions) {
    out->statement_class = RaiseClass(out->statement_class, EffectOfFunction(f));
  }
}

ClassifiedStatement ClassifyNode(const Node& node, Context* ctx) {
  ClassifiedStatement out = ClassifyStatement(node, ctx);
  RaiseForFunctions(node, &out);
  std::vector<std::string>& c = out.commands;
  c.push_back(out.command_tag);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return out;
}

// Texts up to internal::kInlineTextBytes are classified on the caller's stack: nested as deeply
// as the grammar allows (1+1+... filling 4 KB), they need 1 to 1.5 MB of it. Longer ones run on
// a helper thread (large_stack.h) with room for libpg_query's printer (about 100 bytes per tree
// level, a level per 2 bytes of text) and for our decode and walk, which stop at kMaxTreeDepth.
// The thread costs 50 to 200 us, against a millisecond or more to classify such a text.
size_t HelperStackBytes(size_t text_bytes) { return (32u << 20) + 128 * text_bytes; }

// A short statement's tree fits in the arena's first block, so the parse allocates nothing.
constexpr size_t kArenaBlockBytes = 8192;

void ClassifyTreeWith(const pg_query::ParseResult& tree, const PreparedStatements* prepared,
                      ClassifiedBatch* batch) {
  Context ctx;
  ctx.session = prepared;
  batch->statements.reserve(tree.stmts_size());
  for (const pg_query::RawStmt& raw : tree.stmts()) {
    batch->statements.push_back(ClassifyNode(raw.stmt(), &ctx));
  }
  batch->fingerprint = TreeFingerprint(tree);
  batch->parsed = true;
}

ClassifiedBatch ClassifyText(const std::string& text, const PreparedStatements* prepared) {
  ClassifiedBatch batch;
  alignas(16) char block[kArenaBlockBytes];
  google::protobuf::Arena arena(block, sizeof block);
  const pg_query::ParseResult* tree = ParseTree(text, &arena, &batch.parse_error);
  if (tree == nullptr) return batch;
  ClassifyTreeWith(*tree, prepared, &batch);
  return batch;
}

std::vector<PreparedChange> ChangesOfText(const std::string& text,
                                          const PreparedStatements& prepared) {
  alignas(16) char block[kArenaBlockBytes];
  google::protobuf::Arena arena(block, sizeof block);
  std::string error;
  const pg_query::ParseResult* tree = ParseTree(text, &arena, &error);
  std::vector<PreparedChange> out;
  if (tree == nullptr) return out;
  Context ctx;
  ctx.session = &prepared;
  for (int i = 0; i < tree->stmts_size(); ++i) {
    const Node& n = tree->stmts(i).stmt();
    PreparedChange c;
    c.statement_index = static_cast<size_t>(i);
    if (n.has_prepare_stmt()) {
      c.name = n.prepare_stmt().name();
      ClassifiedStatement body = ClassifyNode(n.prepare_stmt().query(), &ctx);
      ctx.local[c.name] = body;  // a later EXECUTE in the same text sees it
      c.body = std::move(body);
    } else if (n.has_deallocate_stmt()) {
      c.name = n.deallocate_stmt().name();
      c.all = c.name.empty();
    } else if (n.has_discard_stmt() && n.discard_stmt().target() == pg_query::DISCARD_ALL) {
      c.all = true;  // DISCARD ALL deallocates every prepared statement
    } else {
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

namespace internal {

void ClassifyTree(const pg_query::ParseResult& tree, ClassifiedBatch* out) {
  ClassifyTreeWith(tree, nullptr, out);
}

}  // namespace internal

ClassifiedBatch Classify(std::string_view sql, const PreparedStatements* prepared) {
  ClassifiedBatch batch;
  batch.parse_error = internal::RejectText(sql);
  if (!batch.parse_error.empty()) return batch;
  const std::string text(sql);  // libpg_query takes a C string
  if (text.size() <= internal::kInlineTextBytes) return ClassifyText(text, prepared);
  if (!RunOnLargeStack(HelperStackBytes(text.size()),
                       [&] { batch = ClassifyText(text, prepared); })) {
    batch.parse_error = "no thread available to parse a long statement";
  }
  return batch;
}

std::vector<PreparedChange> PreparedChanges(std::string_view sql,
                                            const PreparedStatements& prepared) {
  std::vector<PreparedChange> out;
  if (!internal::RejectText(sql).empty()) return out;
  const std::string text(sql);
  if (text.size() <= internal::kInlineTextBytes) return ChangesOfText(text, prepared);
  if (!RunOnLargeStack(HelperStackBytes(text.size()),
                       [&] { out = ChangesOfText(text, prepared); })) {
    // The map could no longer mirror the server: forget it, so every EXECUTE is opaque rather
    // than classified as a statement it may no longer be.
    out.assign(1, PreparedChange{0, "", true, std::nullopt});
  }
  return out;
}

void ApplyPreparedChange(const PreparedChange& change, PreparedStatements* prepared) {
  if (change.all) {
    prepared->clear();
  } else if (change.body) {
    (*prepared)[change.name] = *change.body;
  } else {
    prepared->erase(change.name);
  }
}

void TrackPrepared(std::string_view sql, PreparedStatements* prepared) {
  for (const PreparedChange& c : PreparedChanges(sql, *prepared)) ApplyPreparedChange(c, prepared);
}

}  // namespace warden::sql
