#include "agent/postgres/result_lineage_tracker.h"

#include <algorithm>
#include <utility>

#include "common/pgwire/pgwire.h"
#include "common/sql/classify/classifier.h"

namespace warden::agent {

namespace {

void RecordFields(std::string_view body, ResultShape* shape) {
  auto m = pgwire::ParseBackend(pgwire::Frame{'T', body});
  shape->fields.clear();
  shape->described = false;
  shape->plan_stamp = 0;
  if (!m.ok()) return;
  const auto* rd = std::get_if<pgwire::RowDescription>(&*m);
  if (!rd) return;
  for (const pgwire::FieldDescription& f : rd->fields) {
    shape->fields.push_back({f.table_oid, f.column_attnum, f.type_oid});
  }
  shape->described = true;
}

}  // namespace

std::shared_ptr<const ResultLineageTracker::Analysis> ResultLineageTracker::Analyze(
    std::string_view sql) {
  if (!follow_lineage_) return nullptr;
  if (cache_ != nullptr) return cache_->Analysis(sql);
  auto it = texts_.find(std::string(sql));
  if (it != texts_.end()) return it->second;
  auto result = std::make_shared<const Analysis>(sql::AnalyzeStatement(sql));
  if (texts_.size() >= kMaxCachedTexts) texts_.clear();
  texts_.emplace(std::string(sql), result);
  return result;
}

ResultLineageTracker::Statement ResultLineageTracker::StatementOf(
    const std::shared_ptr<const Analysis>& texts, size_t i) {
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

ResultLineageTracker::Statement ResultLineageTracker::Resolve(Statement s) const {
  const sql::StatementLineage* l = s.lineage.get();
  if (!l || !l->outputs.empty() || !l->returns_rows) return s;
  // FETCH names a cursor, EXECUTE a prepared statement: their rows are the DECLARE's or the
  // PREPARE's query's. One the tracker never saw created is unknown.
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

std::shared_ptr<ResultShape> ResultLineageTracker::ShapeOf(Statement s) {
  auto shape = std::make_shared<ResultShape>();
  shape->lineage = std::move(s.lineage);
  shape->classified = std::move(s.classified);
  return shape;
}

std::shared_ptr<ResultShape> ResultLineageTracker::Answering() {
  if (lost_ || queue_.empty()) return nullptr;
  Item& item = queue_.front();
  switch (item.kind) {
    case Kind::kQuery:
      return QueryShape(item);
    case Kind::kParse:
      return item.shape;
    case Kind::kBind:
    case Kind::kDescribeStatement: {
      auto it = statements_.find(item.kind == Kind::kBind ? item.statement : item.name);
      return it == statements_.end() ? nullptr : it->second;
    }
    case Kind::kDescribePortal:
      return FindPortal(item.name).shape;
    case Kind::kExecute:
      return item.shape ? item.shape : FindPortal(item.name).shape;
    default:
      return nullptr;
  }
}

std::vector<std::shared_ptr<const sql::ClassifiedStatement>> ResultLineageTracker::CommittedWith() {
  std::vector<std::shared_ptr<const sql::ClassifiedStatement>> earlier;
  if (lost_ || queue_.empty() || queue_.front().kind != Kind::kQuery) return earlier;
  const Item& item = queue_.front();
  if (!item.texts) return earlier;
  const size_t count =
      std::max(item.texts->classified.statements.size(), item.texts->lineage.statements.size());
  if (item.index == 0 || item.index + 1 < count) return earlier;
  for (size_t i = 0; i < item.index; ++i) {
    earlier.push_back(Resolve(StatementOf(item.texts, i)).classified);
  }
  return earlier;
}

template <typename Map, typename V>
void ResultLineageTracker::Remember(Map& map, std::string name, V value) {
  if (map.size() >= kMaxNames && !map.contains(name)) map.clear();  // forgotten: unknown
  map[std::move(name)] = std::move(value);
}

void ResultLineageTracker::Push(Item item) {
  if (lost_) return;
  if (queue_.size() >= kMaxQueued) {
    lost_ = true;
    queue_.clear();
    return;
  }
  queue_.push_back(std::move(item));
}

void ResultLineageTracker::Frontend(char tag, std::string_view body) {
  if (lost_) return;
  auto parsed = pgwire::ParseFrontend(pgwire::Frame{tag, body});
  if (!parsed.ok()) return;  // the server rejects it too; its error comes back in order
  const pgwire::FrontendMessage& m = *parsed;
  if (const auto* q = std::get_if<pgwire::Query>(&m)) {
    Push({Kind::kQuery, {}, {}, Analyze(q->sql)});
  } else if (const auto* p = std::get_if<pgwire::Parse>(&m)) {
    Item item{Kind::kParse, std::string(p->name)};
    // The extended protocol allows one statement per Parse; more is the server's error.
    item.shape = ShapeOf(Resolve(StatementOf(Analyze(p->query), 0)));
    Push(std::move(item));
  } else if (const auto* b = std::get_if<pgwire::Bind>(&m)) {
    Item item{Kind::kBind, std::string(b->portal), std::string(b->statement)};
    item.formats = std::make_shared<const std::vector<int16_t>>(b->result_formats);
    Push(std::move(item));
  } else if (const auto* d = std::get_if<pgwire::Describe>(&m)) {
    Push({d->kind == 'S' ? Kind::kDescribeStatement : Kind::kDescribePortal, std::string(d->name)});
  } else if (const auto* e = std::get_if<pgwire::Execute>(&m)) {
    Push({Kind::kExecute, std::string(e->portal)});
  } else if (std::holds_alternative<pgwire::Close>(m)) {
    Push({Kind::kClose});
  } else if (std::holds_alternative<pgwire::Sync>(m)) {
    Push({Kind::kSync});
  } else if (std::holds_alternative<pgwire::FunctionCall>(m)) {
    Push({Kind::kFunctionCall});
  }
}

std::shared_ptr<ResultShape> ResultLineageTracker::QueryShape(Item& item) {
  if (!item.shape) item.shape = ShapeOf(Resolve(StatementOf(item.texts, item.index)));
  return item.shape;
}

ResultLineageTracker::Portal ResultLineageTracker::FindPortal(const std::string& portal) {
  if (auto it = portals_.find(portal); it != portals_.end()) return it->second;
  // A cursor DECLAREd in SQL is a portal too: Execute can fetch from it (in the formats the
  // DECLARE chose, BINARY or not: unknown here).
  auto it = cursors_.find(portal);
  return {ShapeOf(it != cursors_.end() ? it->second : Statement{}), nullptr};
}

void ResultLineageTracker::StartRows(RowsEncoding::Source source,
                                     std::shared_ptr<const std::vector<int16_t>> formats) {
  rows_.source = source;
  rows_.formats = std::move(formats);
  ++rows_.serial;
}

void ResultLineageTracker::OnQueryComplete(Item& item, std::string_view tag) {
  Statement s = StatementOf(item.texts, item.index);
  const sql::StatementLineage* l = s.lineage.get();
  if (l && !l->cursor.empty() && !l->returns_rows && tag == "DECLARE CURSOR") {
    portals_.erase(l->cursor);
    Remember(cursors_, l->cursor, std::move(s));
  } else if (l && !l->prepared.empty() && !l->returns_rows && tag == "PREPARE") {
    statements_.erase(l->prepared);
    Remember(prepared_, l->prepared, std::move(s));
  }
  ++item.index;
  item.shape.reset();
}

ResultShape* ResultLineageTracker::OnQueryMessage(Item& item, char tag, std::string_view body) {
  switch (tag) {
    case 'T': {
      ResultShape* shape = QueryShape(item).get();
      RecordFields(body, shape);
      StartRows(RowsEncoding::kRowDescription, nullptr);
      return shape;
    }
    case 'D':
    case 'H':
    case 'd':
      return QueryShape(item).get();
    case 'C': {
      auto m = pgwire::ParseBackend(pgwire::Frame{'C', body});
      const auto* cc = m.ok() ? std::get_if<pgwire::CommandComplete>(&*m) : nullptr;
      current_ = item.shape;  // outlives the reset below for the caller
      OnQueryComplete(item, cc ? cc->tag : std::string_view());
      return current_.get();
    }
    case 'I':  // EmptyQueryResponse
      OnQueryComplete(item, {});
      return nullptr;
    case 'Z':
      queue_.pop_front();
      return nullptr;
    default:
      return nullptr;
  }
}

void ResultLineageTracker::SkipToSync() {
  while (!queue_.empty() && queue_.front().kind != Kind::kSync &&
         queue_.front().kind != Kind::kQuery && queue_.front().kind != Kind::kFunctionCall) {
    queue_.pop_front();
  }
}

ResultShape* ResultLineageTracker::OnExtendedMessage(Item& item, char tag, std::string_view body) {
  if (tag == 'E') {
    SkipToSync();
    return nullptr;
  }
  switch (item.kind) {
    case Kind::kParse:
      if (tag == '1') {
        if (!item.name.empty()) prepared_.erase(item.name);
        Remember(statements_, std::move(item.name), std::move(item.shape));
        queue_.pop_front();
      }
      return nullptr;
    case Kind::kBind:
      if (tag == '2') {
        auto it = statements_.find(item.statement);
        std::shared_ptr<ResultShape> shape =
            it != statements_.end() ? it->second : std::make_shared<ResultShape>();
        if (!item.name.empty()) cursors_.erase(item.name);
        Remember(portals_, std::move(item.name), Portal{std::move(shape), std::move(item.formats)});
        queue_.pop_front();
      }
      return nullptr;
    case Kind::kDescribeStatement:
    case Kind::kDescribePortal: {
      if (tag == 't') return nullptr;  // ParameterDescription; the RowDescription follows
      if (tag != 'T' && tag != 'n') return nullptr;
      std::shared_ptr<ResultShape> shape;
      const bool portal = item.kind == Kind::kDescribePortal;
      if (!portal) {
        auto it = statements_.find(item.name);
        if (it != statements_.end()) shape = it->second;
      } else {
        shape = FindPortal(item.name).shape;
      }
      queue_.pop_front();
      if (tag == 'n' || !shape) return nullptr;
      RecordFields(body, shape.get());
      if (portal) StartRows(RowsEncoding::kRowDescription, nullptr);  // its formats are real
      return shape.get();  // owned by statements_/portals_ (or dropped: see Backend())
    }
    case Kind::kExecute: {
      if (!item.shape) {
        Portal portal = FindPortal(item.name);
        item.shape = std::move(portal.shape);
        const auto source = portal.formats ? RowsEncoding::kBind : RowsEncoding::kUnknown;
        StartRows(source, std::move(portal.formats));
      }
      ResultShape* shape = item.shape.get();
      if (tag == 'C' || tag == 's' || tag == 'I') {
        current_ = std::move(item.shape);  // outlives the pop for the caller
        queue_.pop_front();
        return tag == 'C' ? current_.get() : nullptr;
      }
      return shape;
    }
    case Kind::kClose:
      if (tag == '3') queue_.pop_front();
      return nullptr;
    case Kind::kSync:
      if (tag == 'Z') queue_.pop_front();
      return nullptr;
    default:
      return nullptr;
  }
}

ResultShape* ResultLineageTracker::Backend(char tag, std::string_view body) {
  if (lost_ || queue_.empty()) return nullptr;
  Item& item = queue_.front();
  switch (tag) {
    case 'N':  // asynchronous: notices, notifications, parameter changes
    case 'A':
    case 'S':
      return nullptr;
    default:
      break;
  }
  if (item.kind == Kind::kQuery) return OnQueryMessage(item, tag, body);
  if (item.kind == Kind::kFunctionCall) {
    if (tag == 'Z') queue_.pop_front();
    return nullptr;
  }
  if (tag == 'T' && item.kind == Kind::kDescribePortal) {
    // A portal's shape may be a fresh one (a cursor's): keep it alive for the caller.
    current_ = FindPortal(item.name).shape;
    if (!portals_.contains(item.name)) {
      queue_.pop_front();
      RecordFields(body, current_.get());
      StartRows(RowsEncoding::kRowDescription, nullptr);
      return current_.get();
    }
  }
  return OnExtendedMessage(item, tag, body);
}

}  // namespace warden::agent
