#include "common/sql/classify/tree_walker.h"

#include <google/protobuf/message.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/sql/classify/column_refs.h"
#include "common/sql/classify/merge_bounds.h"
#include "common/sql/classify/setting_changes.h"

namespace warden::sql {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Restores a member on scope exit, so early returns cannot leak walker state.
template <typename T>
class Restore {
 public:
  Restore(T* slot, T value) : slot_(slot), saved_(*slot) { *slot = value; }
  ~Restore() { *slot_ = saved_; }
  Restore(const Restore&) = delete;
  Restore& operator=(const Restore&) = delete;

 private:
  T* slot_;
  T saved_;
};

// Per message type of pg_query.proto: its reflection and its message-typed fields, so the walk
// neither scans scalar fields nor asks each message for its descriptor and reflection (both
// go through protobuf's lazy descriptor initialisation on every call). Built once, then only
// read.
struct TypeInfo {
  const Reflection* reflection = nullptr;
  std::vector<const FieldDescriptor*> message_fields;
  std::vector<const FieldDescriptor*> by_number;  // Node only: oneof member by node_case()
};

class TypeTable {
 public:
  static const TypeTable& Get() {
    static const TypeTable* const table = new TypeTable();
    return *table;
  }
  // nullptr for a message from another file (none occur in a parse tree).
  const TypeInfo* Find(const Descriptor* d) const {
    return d->file() == file_ && d->containing_type() == nullptr ? &types_[d->index()] : nullptr;
  }

 private:
  TypeTable() : file_(pg_query::Node::descriptor()->file()) {
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    types_.resize(file_->message_type_count());
    for (int i = 0; i < file_->message_type_count(); ++i) {
      const Descriptor* d = file_->message_type(i);
      TypeInfo& t = types_[i];
      t.reflection = factory->GetPrototype(d)->GetReflection();
      for (int j = 0; j < d->field_count(); ++j) {
        const FieldDescriptor* f = d->field(j);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) t.message_fields.push_back(f);
        if (d == pg_query::Node::descriptor()) {
          if (t.by_number.size() <= static_cast<size_t>(f->number())) {
            t.by_number.resize(f->number() + 1);
          }
          t.by_number[f->number()] = f;
        }
      }
    }
  }

  const google::protobuf::FileDescriptor* file_;
  std::vector<TypeInfo> types_;
};

}  // namespace

void TreeFacts::Finalize() {
  SortUnique(&reads);
  SortUnique(&writes);
  SortUnique(&functions);
  SortUnique(&operators);
  SortUnique(&commands);
  ResolveColumns(this);
  SortUnique(&columns_read);
  SortUnique(&columns_written);
}

std::string JoinNames(const google::protobuf::RepeatedPtrField<pg_query::Node>& names) {
  std::string out;
  for (const pg_query::Node& n : names) {
    if (n.node_case() != pg_query::Node::kString) continue;  // e.g. A_Star in "t.*"
    if (!out.empty()) out += '.';
    out += n.string().sval();
  }
  return absl::AsciiStrToLower(out);
}

std::string RelationName(const pg_query::RangeVar& rv) {
  std::string out;
  if (!rv.schemaname().empty()) {
    out = rv.schemaname();
    out += '.';
  }
  out += rv.relname();
  return absl::AsciiStrToLower(out);
}

void TreeWalker::AddWritten(const pg_query::RangeVar& rv) {
  facts_->writes.push_back(RelationName(rv));
  written_.push_back(&rv);
  AddAlias(rv);
}

void TreeWalker::AddAlias(const pg_query::RangeVar& rv) {
  if (rv.has_alias() && !rv.alias().aliasname().empty()) {
    facts_->aliases.push_back({absl::AsciiStrToLower(rv.alias().aliasname()), RelationName(rv)});
  }
}

void TreeWalker::AddAssigned(const google::protobuf::RepeatedPtrField<pg_query::Node>& targets,
                             const pg_query::RangeVar& target) {
  const std::string relation = RelationName(target);
  bool any = false;
  for (const pg_query::Node& n : targets) {
    if (!n.has_res_target() || n.res_target().name().empty()) continue;
    facts_->assigned.push_back({relation, absl::AsciiStrToLower(n.res_target().name())});
    any = true;
  }
  if (!any) facts_->assigned.push_back({relation, "*"});
}

void TreeWalker::Visit(const Message& msg) { Visit(msg, msg.GetDescriptor()); }

void TreeWalker::Visit(const Message& msg, const Descriptor* d) {
  static const Descriptor* const kNode = pg_query::Node::descriptor();
  static const Descriptor* const kRangeVar = pg_query::RangeVar::descriptor();
  static const Descriptor* const kFuncCall = pg_query::FuncCall::descriptor();
  static const Descriptor* const kSelect = pg_query::SelectStmt::descriptor();
  static const Descriptor* const kWith = pg_query::WithClause::descriptor();
  static const Descriptor* const kVariableSet = pg_query::VariableSetStmt::descriptor();
  if (d == kNode) {
    VisitNode(static_cast<const pg_query::Node&>(msg));
  } else if (d == kRangeVar) {
    VisitRangeVar(static_cast<const pg_query::RangeVar&>(msg));
  } else if (d == kFuncCall) {
    VisitFuncCall(static_cast<const pg_query::FuncCall&>(msg));
  } else if (d == kSelect) {
    VisitSelect(static_cast<const pg_query::SelectStmt&>(msg));
  } else if (d == kVariableSet) {
    VisitVariableSet(static_cast<const pg_query::VariableSetStmt&>(msg));
  } else if (d == kWith) {
    // Walked by the statement that owns it (EnterWith), which also scopes the CTE names.
  } else {
    VisitChildren(msg, d);
  }
}

void TreeWalker::VisitNode(const pg_query::Node& node) {
  switch (node.node_case()) {
    case pg_query::Node::kInsertStmt: {
      const auto& s = node.insert_stmt();
      // INSERT ... ON CONFLICT DO UPDATE updates the rows it conflicts with.
      if (s.has_on_conflict_clause() &&
          s.on_conflict_clause().action() == pg_query::ONCONFLICT_UPDATE) {
        facts_->commands.emplace_back("UPDATE");
        AddAssigned(s.on_conflict_clause().target_list(), s.relation());
      }
      AddAssigned(s.cols(), s.relation());
      VisitModify("INSERT", s, s.relation(), s.has_with_clause() ? &s.with_clause() : nullptr);
      return;
    }
    case pg_query::Node::kUpdateStmt: {
      const auto& s = node.update_stmt();
      if (!s.has_where_clause()) facts_->without_where = true;
      AddAssigned(s.target_list(), s.relation());
      VisitModify("UPDATE", s, s.relation(), s.has_with_clause() ? &s.with_clause() : nullptr);
      return;
    }
    case pg_query::Node::kDeleteStmt: {
      const auto& s = node.delete_stmt();
      if (!s.has_where_clause()) facts_->without_where = true;
      facts_->assigned.push_back({RelationName(s.relation()), "*"});
      VisitModify("DELETE", s, s.relation(), s.has_with_clause() ? &s.with_clause() : nullptr);
      return;
    }
    case pg_query::Node::kMergeStmt: {
      const auto& s = node.merge_stmt();
      if (MergeMayTouchEveryRow(s)) facts_->without_where = true;
      AddMergeActions(s);
      VisitModify("MERGE", s, s.relation(), s.has_with_clause() ? &s.with_clause() : nullptr);
      return;
    }
    case pg_query::Node::kAExpr: {
      // An operator written by name (`a ### b`, `a OPERATOR(s.###) ANY (...)`) calls its
      // function: recorded so that a user operator's volatility can count (function_catalog.h).
      const auto& e = node.a_expr();
      switch (e.kind()) {
        case pg_query::AEXPR_OP:
        case pg_query::AEXPR_OP_ANY:
        case pg_query::AEXPR_OP_ALL:
          facts_->operators.push_back(JoinNames(e.name()));
          break;
        default:
          break;
      }
      VisitChildren(e);
      return;
    }
    case pg_query::Node::kColumnRef: {
      // `col`, `t.col`, `s.t.col`, `t.*`, `*`: the last field is the column.
      const auto& fields = node.column_ref().fields();
      if (fields.empty()) return;
      TreeFacts::ColumnMention m;
      for (int i = 0; i + 1 < fields.size(); ++i) {
        if (!fields[i].has_string()) continue;
        if (!m.qualifier.empty()) m.qualifier += '.';
        m.qualifier += absl::AsciiStrToLower(fields[i].string().sval());
      }
      const pg_query::Node& last = fields[fields.size() - 1];
      m.column = last.has_string() ? absl::AsciiStrToLower(last.string().sval()) : "*";
      facts_->mentioned.push_back(std::move(m));
      return;
    }
    case pg_query::Node::NODE_NOT_SET:
      return;
    default: {
      // The oneof holds exactly one message (its field number is the case); reach it without
      // naming its type.
      static const TypeInfo* const kNodeInfo = TypeTable::Get().Find(pg_query::Node::descriptor());
      const size_t number = static_cast<size_t>(node.node_case());
      const FieldDescriptor* f =
          number < kNodeInfo->by_number.size() ? kNodeInfo->by_number[number] : nullptr;
      if (f != nullptr) Visit(kNodeInfo->reflection->GetMessage(node, f), f->message_type());
    }
  }
}

void TreeWalker::VisitChildren(const Message& msg) { VisitChildren(msg, msg.GetDescriptor()); }

void TreeWalker::VisitChildren(const Message& msg, const Descriptor* d) {
  const TypeInfo* t = TypeTable::Get().Find(d);
  if (t == nullptr) return;
  const Reflection* r = t->reflection;
  for (const FieldDescriptor* f : t->message_fields) {
    if (f->is_repeated()) {
      const int n = r->FieldSize(msg, f);
      for (int j = 0; j < n; ++j) Visit(r->GetRepeatedMessage(msg, f, j), f->message_type());
    } else if (r->HasField(msg, f)) {
      Visit(r->GetMessage(msg, f), f->message_type());
    }
  }
}

// MERGE's WHEN clauses insert, update or delete rows: name those changes too, so a rule on
// DELETE also sees MERGE ... WHEN MATCHED THEN DELETE.
void TreeWalker::AddMergeActions(const pg_query::MergeStmt& stmt) {
  for (const pg_query::Node& n : stmt.merge_when_clauses()) {
    if (!n.has_merge_when_clause()) continue;
    const pg_query::MergeWhenClause& when = n.merge_when_clause();
    switch (when.command_type()) {
      case pg_query::CMD_INSERT:
        facts_->commands.emplace_back("INSERT");
        AddAssigned(when.target_list(), stmt.relation());
        break;
      case pg_query::CMD_UPDATE:
        facts_->commands.emplace_back("UPDATE");
        AddAssigned(when.target_list(), stmt.relation());
        break;
      case pg_query::CMD_DELETE:
        facts_->commands.emplace_back("DELETE");
        facts_->assigned.push_back({RelationName(stmt.relation()), "*"});
        break;
      default:
        break;  // DO NOTHING
    }
  }
}

void TreeWalker::VisitRangeVar(const pg_query::RangeVar& rv) {
  if (std::find(written_.begin(), written_.end(), &rv) != written_.end()) return;
  std::string name = RelationName(rv);
  if (targets_written_) {
    facts_->writes.push_back(std::move(name));
    return;
  }
  // An unqualified name that matches a visible CTE is the CTE, not a table.
  if (rv.schemaname().empty() && std::find(ctes_.begin(), ctes_.end(), name) != ctes_.end()) {
    return;
  }
  AddAlias(rv);
  facts_->reads.push_back(std::move(name));
}

void TreeWalker::VisitFuncCall(const pg_query::FuncCall& call) {
  std::string name = JoinNames(call.funcname());
  if (name == "set_config" || name == "pg_catalog.set_config") {
    facts_->settings.push_back(SetConfigChange(call));
  }
  facts_->functions.push_back(std::move(name));
  VisitChildren(call);
}

void TreeWalker::VisitVariableSet(const pg_query::VariableSetStmt& stmt) {
  facts_->settings.push_back(VariableSetChange(stmt, setting_scope_));
  VisitChildren(stmt);
}

size_t TreeWalker::EnterWith(const pg_query::WithClause& with) {
  const size_t mark = ctes_.size();
  if (with.recursive()) {
    for (const auto& n : with.ctes())
      ctes_.push_back(absl::AsciiStrToLower(n.common_table_expr().ctename()));
  }
  for (const auto& n : with.ctes()) {
    if (n.node_case() != pg_query::Node::kCommonTableExpr) continue;
    const auto& cte = n.common_table_expr();
    VisitChildren(cte);
    if (!with.recursive()) ctes_.push_back(absl::AsciiStrToLower(cte.ctename()));
  }
  return mark;
}

void TreeWalker::VisitSelect(const pg_query::SelectStmt& stmt) {
  Restore<bool> plain(&targets_written_, false);
  const size_t mark = stmt.has_with_clause() ? EnterWith(stmt.with_clause()) : ctes_.size();
  if (stmt.has_into_clause() && stmt.into_clause().has_rel()) {
    // SELECT ... INTO creates and fills a table; PostgreSQL reports it as SELECT n.
    facts_->modifies_data = true;
    facts_->commands.emplace_back("SELECT INTO");
    AddWritten(stmt.into_clause().rel());
  }
  VisitChildren(stmt);
  ctes_.resize(mark);
}

void TreeWalker::VisitModify(const char* tag, const Message& stmt, const pg_query::RangeVar& target,
                             const pg_query::WithClause* with) {
  Restore<bool> plain(&targets_written_, false);
  facts_->modifies_data = true;
  facts_->commands.emplace_back(tag);
  const size_t mark = with != nullptr ? EnterWith(*with) : ctes_.size();
  AddWritten(target);
  VisitChildren(stmt);
  ctes_.resize(mark);
}

}  // namespace warden::sql
