// The queue and the matching of responses to requests (request_ledger.h); names and result
// shapes are in request_ledger_shapes.cc.
#include "agent/postgres/request_ledger.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "agent/postgres/request_fields.h"
#include "common/pgwire/pgwire.h"
#include "common/pgwire/reader.h"

namespace warden::agent {

namespace {

// The SQLSTATE of an ErrorResponse body (empty when it is not one).
std::string SqlStateOf(std::string_view body) {
  auto m = pgwire::ParseBackend(pgwire::Frame{'E', body});
  const auto* e = m.ok() ? std::get_if<pgwire::ErrorResponse>(&*m) : nullptr;
  return e ? std::string(e->sqlstate()) : std::string();
}

// A CommandComplete body's tag.
std::string_view CommandTagOf(std::string_view body) {
  const size_t nul = body.find('\0');
  return nul == std::string_view::npos ? body : body.substr(0, nul);
}

}  // namespace

RequestLedger::RequestLedger(sql::ClassifierCache* cache, Clock clock)
    : cache_(cache),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }) {}

void RequestLedger::Push(Request r) {
  if (AwaitsReady(r.kind)) ++awaiting_ready_;
  queue_.push_back(std::move(r));
}

void RequestLedger::Pop() {
  if (AwaitsReady(queue_.front().kind)) --awaiting_ready_;
  queue_.pop_front();
  while (!queue_.empty() && queue_.front().kind == Kind::kCopyEnd) queue_.pop_front();
}

bool RequestLedger::OnClientMessage(char tag, std::string_view body, RequestNote note) {
  switch (tag) {
    case 'c':  // CopyDone, CopyFail: the client's COPY data ends
    case 'f':
      if (copy_ == Copy::kIn) {
        copy_ = Copy::kNone;
      } else if (!queue_.empty() && queue_.size() < kMaxEntries) {
        // Sent before the server said CopyInResponse: marks which Syncs came before it.
        Request end;
        end.kind = Kind::kCopyEnd;
        queue_.push_back(std::move(end));
      }
      return true;
    case 'X':
      terminated_ = true;
      return true;
    case 'H':  // Flush: no answer of its own
      unsynced_ = true;
      return true;
    case 'S':
      // In copy-in mode the server ignores Sync (and Flush); after an extended-protocol error
      // a Sync is what it waits for.
      if (copy_ == Copy::kIn) return true;
      ignoring_till_sync_ = false;
      break;
    case 'Q':
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
    case 'F':
      if (ignoring_till_sync_) return true;  // discarded by the server: no answer comes
      break;
    default:  // CopyData
      return true;
  }
  if (queue_.size() >= kMaxEntries) return false;
  Request r;
  r.kind = Kind::kSync;
  r.action = note.action;
  r.rule = std::move(note.rule);
  r.effects = std::move(note.effects);
  if (recording()) r.sent = clock_();
  // A message the server cannot parse still gets its answer in order (an error): followed by
  // its kind, with nothing known of it. A denial's stand-in is not analysed (each one is a new
  // text): what answers it is the denial (ResultShape::refusal).
  const bool forward = note.action == RequestAction::kForward;
  RequestFields fields;
  const bool parsed = ReadRequestFields(tag, body, &fields);  // false for Bind, Sync, FunctionCall
  if (tag == 'S') {
    unsynced_ = false;
  } else if (tag != 'Q' && tag != 'F') {
    unsynced_ = true;
  }
  switch (tag) {
    case 'Q':
      r.kind = Kind::kQuery;
      if (parsed && forward) {
        r.texts = note.analysis ? std::move(note.analysis) : Analyze(fields.text);
      }
      if (parsed && recording()) r.text = std::string(fields.text);
      break;
    case 'P': {
      r.kind = Kind::kParse;
      if (parsed) r.name = ServerName(fields.name);
      // The extended protocol allows one statement per Parse; more is the server's error.
      std::shared_ptr<const Analysis> texts;
      if (parsed && forward) {
        texts = note.analysis ? std::move(note.analysis) : Analyze(fields.text);
      }
      r.shape = ShapeOf(Resolve(StatementOf(texts, 0)));
      break;
    }
    case 'B': {
      r.kind = Kind::kBind;
      std::string_view portal;
      std::string_view statement;
      if (ReadBindFields(body, &portal, &statement, &bind_formats_)) {
        r.name = ServerName(portal);
        r.statement = ServerName(statement);
        // All text, the common case, shares one empty list.
        static const auto kAllText = std::make_shared<const std::vector<int16_t>>();
        r.formats = AllText(bind_formats_)
                        ? kAllText
                        : std::make_shared<const std::vector<int16_t>>(bind_formats_);
      }
      break;
    }
    case 'D':
      r.kind = parsed && fields.kind == 'S' ? Kind::kDescribeStatement : Kind::kDescribePortal;
      if (parsed) r.name = ServerName(fields.name);
      break;
    case 'E':
      r.kind = Kind::kExecute;
      if (parsed) r.name = ServerName(fields.name);
      r.text = std::move(note.statement);
      break;
    case 'C':
      r.kind = Kind::kClose;
      if (parsed) {
        r.name = ServerName(fields.name);
        r.statement = std::string(1, fields.kind);
      }
      break;
    case 'S':
      r.kind = Kind::kSync;
      break;
    case 'F':
      r.kind = Kind::kFunctionCall;
      r.text = std::move(note.statement);
      break;
    default:
      break;
  }
  Push(std::move(r));
  return true;
}

void RequestLedger::UpdateCopy(char tag) {
  switch (tag) {
    case 'G':  // CopyInResponse, CopyBothResponse
    case 'W':
      copy_ = Copy::kIn;
      DropSyncsSentDuringCopyIn();
      break;
    case 'H':  // CopyOutResponse
      copy_ = Copy::kOut;
      break;
    case 'c':  // CopyDone from the server
      if (copy_ == Copy::kOut) copy_ = Copy::kNone;
      break;
    case 'E':  // an error ends a COPY in either direction
    case 'Z':
      copy_ = Copy::kNone;
      break;
    default:
      break;
  }
}

QueryState RequestLedger::state(bool held) const {
  if (held) return QueryState::kHeld;
  if (copy_ == Copy::kIn) return QueryState::kCopyIn;
  if (copy_ == Copy::kOut) return QueryState::kCopyOut;
  if (awaiting_ready_ > 0 || unsynced_) return QueryState::kInQuery;
  return QueryState::kReady;
}

bool RequestLedger::RunsNothing() const {
  if (copy_ != Copy::kNone || ignoring_till_sync_ || awaiting_ready_ > 0) return false;
  return std::all_of(queue_.begin(), queue_.end(), [](const Request& r) {
    return r.kind == Kind::kParse || r.kind == Kind::kBind || r.kind == Kind::kClose ||
           r.kind == Kind::kDescribeStatement || r.kind == Kind::kDescribePortal;
  });
}

ResultShape* RequestLedger::OnServerMessage(char tag, std::string_view body, size_t size,
                                            bool whole) {
  UpdateCopy(tag);
  switch (tag) {
    case 'N':  // asynchronous: notices, notifications, parameter changes
    case 'A':
    case 'S':
      return nullptr;
    case 'Z':
      OnReady(whole && !body.empty() ? body[0] : '\0');
      return nullptr;
    default:
      break;
  }
  if (queue_.empty()) return nullptr;
  Request& r = queue_.front();
  r.bytes += size;
  if (r.kind == Kind::kQuery) return OnQueryMessage(r, tag, body, whole);
  if (r.kind == Kind::kFunctionCall) {
    // FunctionCallResponse or ErrorResponse, then ReadyForQuery.
    if (tag == 'V' || tag == 'E') Finish(r, {}, tag == 'E' ? body : std::string_view());
    return nullptr;
  }
  return OnExtendedMessage(r, tag, body, whole);
}

ResultShape* RequestLedger::OnQueryMessage(Request& r, char tag, std::string_view body,
                                           bool whole) {
  switch (tag) {
    case 'T': {
      ResultShape* shape = QueryShape(r).get();
      RecordFields(whole ? body : std::string_view(), shape);
      StartRows(RowsEncoding::kRowDescription, nullptr);
      return shape;
    }
    case 'D':
    case 'd':
      ++r.rows;
      return QueryShape(r).get();
    case 'H':
      return QueryShape(r).get();
    case 'C': {
      const std::string_view command = whole ? CommandTagOf(body) : std::string_view();
      current_ = r.shape;  // outlives the reset below for the caller
      Confirm(r, r.index);
      OnQueryStatementComplete(r, command);
      Finish(r, command, {});
      ++r.index;
      r.shape.reset();
      return current_.get();
    }
    case 'I':  // EmptyQueryResponse
      Finish(r, {}, {});
      ++r.index;
      r.shape.reset();
      return nullptr;
    case 'E':  // the statements after it do not run; ReadyForQuery ends the Query
      Finish(r, {}, whole ? body : std::string_view());
      return nullptr;
    default:
      return nullptr;
  }
}

void RequestLedger::SkipToSync() {
  while (!queue_.empty() && queue_.front().kind != Kind::kSync) Pop();
  if (queue_.empty()) ignoring_till_sync_ = true;
}

void RequestLedger::DropSyncsSentDuringCopyIn() {
  // The front request is the COPY; what follows it up to the client's CopyEnd was sent in
  // copy-in mode. (Anything but a Sync there aborts the COPY; its error comes in order.)
  for (size_t i = 1; i < queue_.size() && queue_[i].kind != Kind::kCopyEnd;) {
    if (queue_[i].kind == Kind::kSync) {
      --awaiting_ready_;
      queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

ResultShape* RequestLedger::OnExtendedMessage(Request& r, char tag, std::string_view body,
                                              bool whole) {
  if (tag == 'E') {
    if (r.kind == Kind::kExecute) Finish(r, {}, whole ? body : std::string_view());
    SkipToSync();
    return nullptr;
  }
  switch (r.kind) {
    case Kind::kParse:
      if (tag == '1') {
        OnParseComplete(r);
        Pop();
      }
      return nullptr;
    case Kind::kBind:
      if (tag == '2') {
        OnBindComplete(r);
        Pop();
      }
      return nullptr;
    case Kind::kDescribeStatement:
    case Kind::kDescribePortal:
      return OnDescribed(r, tag, body, whole);
    case Kind::kExecute: {
      if (!r.started) {
        r.started = true;
        Portal portal = FindPortal(r.name);
        r.shape = std::move(portal.shape);
        const auto source = portal.formats ? RowsEncoding::kBind : RowsEncoding::kUnknown;
        StartRows(source, std::move(portal.formats));
      }
      if (tag == 'D' || tag == 'd') ++r.rows;
      if (tag == 'C' || tag == 's' || tag == 'I') {
        const std::string_view command =
            tag == 'C' && whole ? CommandTagOf(body) : std::string_view();
        if (tag == 'C') Confirm(r, 0);
        Finish(r, command, {});
        current_ = std::move(r.shape);  // outlives the pop for the caller
        Pop();
        return tag == 'C' ? current_.get() : nullptr;
      }
      return r.shape.get();
    }
    case Kind::kClose:
      if (tag == '3') {
        OnCloseComplete(r);
        Confirm(r, 0);
        Pop();
      }
      return nullptr;
    default:
      return nullptr;
  }
}

void RequestLedger::OnReady(char status) {
  // A ReadyForQuery no request asked for (the one ending start-up) answers nothing. Otherwise
  // it answers the first Query, Sync or FunctionCall; anything before it was skipped.
  while (awaiting_ready_ > 0 && !queue_.empty()) {
    const bool last = AwaitsReady(queue_.front().kind);
    Pop();
    if (last) break;
  }
  if (status == 'I') {
    // Outside a transaction block no portal is left, and no cursor but one declared WITH HOLD
    // (forgotten too: its rows are then of unknown origin, which fails closed).
    portals_.clear();
    cursors_.clear();
  }
  if (listener_) listener_->OnReadyForQuery(status);
}

void RequestLedger::Confirm(Request& r, size_t effect) {
  if (effect >= r.effects.size() || r.effects[effect].kind == LedgerEffect::Kind::kNone) return;
  if (listener_) listener_->OnConfirmed(std::move(r.effects[effect]));
  r.effects[effect] = LedgerEffect{};  // confirmed: no longer pending
}

void RequestLedger::Finish(Request& r, std::string_view command_tag, std::string_view error_body) {
  if (recording()) {
    const auto now = clock_();
    StatementFacts f;
    f.request = r.kind == Kind::kQuery ? 'Q' : r.kind == Kind::kExecute ? 'E' : 'F';
    f.action = r.action;
    f.sql = r.text;
    f.index = r.index;
    f.rule = r.rule;
    f.command_tag = command_tag;
    f.rows = r.rows;
    f.sqlstate = error_body.empty() ? std::string() : SqlStateOf(error_body);
    f.bytes = r.bytes;
    f.duration = now - std::max(r.sent, last_answer_);
    last_answer_ = now;
    sink_(f);
  }
  r.rows = 0;
  r.bytes = 0;
}

const LedgerEffect* RequestLedger::Pending(LedgerEffect::Kind kind, std::string_view name) const {
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    for (auto e = it->effects.rbegin(); e != it->effects.rend(); ++e) {
      if (e->kind == kind && e->name == name) return &*e;
    }
  }
  return nullptr;
}

std::string ServerName(std::string_view name) { return std::string(name.substr(0, kMaxNameBytes)); }

const LedgerEffect* RequestLedger::PendingStatementChange(std::string_view name) const {
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    for (auto e = it->effects.rbegin(); e != it->effects.rend(); ++e) {
      switch (e->kind) {
        case LedgerEffect::Kind::kStatement:
          if (e->name == name) return &*e;
          break;
        case LedgerEffect::Kind::kClosed:
          if (e->target == "S" && e->name == name) return &*e;
          break;
        case LedgerEffect::Kind::kPrepared:
          for (const sql::PreparedChange& c : e->prepared) {
            if (c.all || ServerName(c.name) == name) return &*e;
          }
          break;
        default:
          break;
      }
    }
  }
  return nullptr;
}

std::vector<std::string> RequestLedger::PendingPreparedNames() const {
  std::vector<std::string> names;
  for (const Request& r : queue_) {
    for (const LedgerEffect& e : r.effects) {
      if (e.kind != LedgerEffect::Kind::kPrepared) continue;
      for (const sql::PreparedChange& c : e.prepared) names.push_back(c.all ? "" : c.name);
    }
  }
  return names;
}

absl::Status FeedClientBytes(std::string_view in, MessageWalker& walker, RequestLedger& ledger) {
  std::string none;
  // COPY data is streamed past; every other message is small or a statement text.
  return WalkMessages(
      in, &none, 64 << 20, pgwire::IsFrontendTag, [](char tag, uint32_t) { return tag != 'd'; },
      [&ledger](std::string_view m, std::string*) {
        if (!ledger.OnClientMessage(m[0], m.substr(pgwire::kHeaderSize))) {
          return absl::ResourceExhaustedError(
              "too many requests sent without reading their results");
        }
        return absl::OkStatus();
      },
      walker);
}

}  // namespace warden::agent
