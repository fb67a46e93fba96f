// The session's names as the result masker needs them (request_ledger.h): which statement a
// prepared statement, portal, cursor or SQL-prepared name runs, and the shape of its rows.
// Names are registered when the server confirms them (ParseComplete, BindComplete, the
// CommandComplete of DECLARE or PREPARE), so a failed Parse or DECLARE can never replace the
// lineage of the statement or cursor that still holds the name.
#include <algorithm>
#include <utility>

#include "agent/postgres/request_ledger.h"
#include "common/pgwire/pgwire.h"

namespace warden::agent {

void RequestLedger::RecordFields(std::string_view body, ResultShape* shape) {
  shape->fields.clear();
  shape->described = false;
  shape->plan_stamp = 0;
  if (body.empty()) return;
  if (!pgwire::ParseRowDescription(body, &row_description_).ok()) return;
  for (const pgwire::FieldDescription& f : row_description_.fields) {
    shape->fields.push_back({f.table_oid, f.column_attnum, f.type_oid});
  }
  shape->described = true;
}

std::shared_ptr<const RequestLedger::Analysis> RequestLedger::Analyze(std::string_view sql) {
  if (cache_ != nullptr) return cache_->Analysis(sql);
  auto it = texts_.find(std::string(sql));
  if (it != texts_.end()) return it->second;
  auto result = std::make_shared<const Analysis>(sql::AnalyzeStatement(sql));
  if (texts_.size() >= kMaxCachedTexts) texts_.clear();
  texts_.emplace(std::string(sql), result);
  return result;
}

RequestLedger::Statement RequestLedger::StatementOf(const std::shared_ptr<const Analysis>& texts,
                                                    size_t i) {
  Statement s;
  if (!texts) return s;
  if (texts->lineage.parsed && i < texts->lineage.statements.size()) {
    s.lineage = {texts, &texts->lineage.statements[i]};
  }
  if (texts->classified.parsed && i < texts->classified.statements.size()) {
    s.classified = {texts, &texts->classified.statements[i]};
  }
  return s;
}

RequestLedger::Statement RequestLedger::Resolve(Statement s) const {
  const sql::StatementLineage* l = s.lineage.get();
  if (!l || !l->outputs.empty() || !l->returns_rows) return s;
  // FETCH names a cursor, EXECUTE a prepared statement: their rows are the DECLARE's or the
  // PREPARE's query's. One never seen created is unknown.
  // SQL and the protocol share both namespaces: a cursor may be a portal Bind made, and
  // EXECUTE may run a statement Parse made (each registration drops the other's entry).
  auto of_shape = [](const std::shared_ptr<ResultShape>& shape) {
    return Statement{shape->lineage, shape->classified};
  };
  if (!l->cursor.empty()) {
    if (auto it = cursors_.find(l->cursor); it != cursors_.end()) return it->second;
    auto it = portals_.find(l->cursor);
    return it == portals_.end() ? Statement{} : of_shape(it->second.shape);
  }
  if (!l->prepared.empty()) {
    if (auto it = prepared_.find(l->prepared); it != prepared_.end()) return it->second;
    auto it = statements_.find(l->prepared);
    return it == statements_.end() ? Statement{} : of_shape(it->second);
  }
  return s;
}

std::shared_ptr<ResultShape> RequestLedger::ShapeOf(Statement s) {
  auto shape = std::make_shared<ResultShape>();
  shape->lineage = std::move(s.lineage);
  shape->classified = std::move(s.classified);
  return shape;
}

std::shared_ptr<ResultShape> RequestLedger::QueryShape(Request& r) {
  if (!r.shape) r.shape = ShapeOf(Resolve(StatementOf(r.texts, r.index)));
  return r.shape;
}

RequestLedger::Portal RequestLedger::FindPortal(const std::string& portal) {
  if (auto it = portals_.find(portal); it != portals_.end()) return it->second;
  // A cursor DECLAREd in SQL is a portal too: Execute can fetch from it (in the formats the
  // DECLARE chose, BINARY or not: unknown here).
  auto it = cursors_.find(portal);
  return {ShapeOf(it != cursors_.end() ? it->second : Statement{}), nullptr};
}

void RequestLedger::StartRows(RowsEncoding::Source source,
                              std::shared_ptr<const std::vector<int16_t>> formats) {
  rows_.source = source;
  rows_.formats = std::move(formats);
  ++rows_.serial;
}

template <typename Map, typename V>
void RequestLedger::Remember(Map& map, std::string name, V value) {
  if (map.size() >= kMaxNames && !map.contains(name)) map.clear();  // forgotten: unknown
  map[std::move(name)] = std::move(value);
}

void RequestLedger::OnQueryStatementComplete(Request& r, std::string_view tag) {
  Statement s = StatementOf(r.texts, r.index);
  const sql::StatementLineage* l = s.lineage.get();
  if (l && !l->cursor.empty() && !l->returns_rows && tag == "DECLARE CURSOR") {
    portals_.erase(l->cursor);
    Remember(cursors_, l->cursor, std::move(s));
  } else if (l && !l->prepared.empty() && !l->returns_rows && tag == "PREPARE") {
    statements_.erase(l->prepared);
    Remember(prepared_, l->prepared, std::move(s));
  } else if (tag == "DEALLOCATE ALL" || tag == "DISCARD ALL") {
    // One namespace: every prepared statement goes but the unnamed one.
    std::erase_if(statements_, [](const auto& kv) { return !kv.first.empty(); });
    prepared_.clear();
  }
}

void RequestLedger::OnParseComplete(Request& r) {
  Confirm(r, 0);
  if (!r.name.empty()) prepared_.erase(r.name);
  Remember(statements_, std::move(r.name), std::move(r.shape));
}

void RequestLedger::OnBindComplete(Request& r) {
  Confirm(r, 0);
  auto it = statements_.find(r.statement);
  std::shared_ptr<ResultShape> shape =
      it != statements_.end() ? it->second : std::make_shared<ResultShape>();
  if (!r.name.empty()) cursors_.erase(r.name);
  Remember(portals_, std::move(r.name), Portal{std::move(shape), std::move(r.formats)});
}

void RequestLedger::OnCloseComplete(Request& r) {
  // Statements and portals share their namespaces with SQL PREPARE and DECLARE.
  if (r.statement == "S") {
    statements_.erase(r.name);
    prepared_.erase(r.name);
  } else if (r.statement == "P") {
    portals_.erase(r.name);
    cursors_.erase(r.name);
  }
}

ResultShape* RequestLedger::OnDescribed(Request& r, char tag, std::string_view body, bool whole) {
  if (tag != 'T' && tag != 'n') return nullptr;  // ParameterDescription: the rest follows
  const bool portal = r.kind == Kind::kDescribePortal;
  std::shared_ptr<ResultShape> shape;
  if (portal) {
    shape = FindPortal(r.name).shape;  // a cursor's may be a fresh one
  } else if (auto it = statements_.find(r.name); it != statements_.end()) {
    shape = it->second;
  }
  Pop();
  if (tag == 'n' || !shape) return nullptr;
  current_ = std::move(shape);  // kept alive for the caller
  RecordFields(whole ? body : std::string_view(), current_.get());
  if (portal) StartRows(RowsEncoding::kRowDescription, nullptr);  // its formats are real
  return current_.get();
}

std::shared_ptr<ResultShape> RequestLedger::Answering() {
  if (queue_.empty()) return nullptr;
  Request& r = queue_.front();
  if (r.action == RequestAction::kReplaceError) {
    auto refusal = std::make_shared<ResultShape>();
    refusal->refusal = true;
    return refusal;
  }
  switch (r.kind) {
    case Kind::kQuery:
      return QueryShape(r);
    case Kind::kParse:
      return r.shape;
    case Kind::kBind:
    case Kind::kDescribeStatement: {
      auto it = statements_.find(r.kind == Kind::kBind ? r.statement : r.name);
      return it == statements_.end() ? nullptr : it->second;
    }
    case Kind::kDescribePortal:
      return FindPortal(r.name).shape;
    case Kind::kExecute:
      return r.shape ? r.shape : FindPortal(r.name).shape;
    default:
      return nullptr;
  }
}

std::vector<std::shared_ptr<const sql::ClassifiedStatement>> RequestLedger::CommittedWith() {
  std::vector<std::shared_ptr<const sql::ClassifiedStatement>> earlier;
  if (queue_.empty() || queue_.front().kind != Kind::kQuery) return earlier;
  const Request& r = queue_.front();
  if (!r.texts) return earlier;
  const size_t count =
      std::max(r.texts->classified.statements.size(), r.texts->lineage.statements.size());
  if (r.index == 0 || r.index + 1 < count) return earlier;
  for (size_t i = 0; i < r.index; ++i) {
    earlier.push_back(Resolve(StatementOf(r.texts, i)).classified);
  }
  return earlier;
}

}  // namespace warden::agent
