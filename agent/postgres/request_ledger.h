// The requests of one PostgreSQL session that the database has not answered yet, in the order
// it will answer them (PgBouncer's outstanding-request queue), and the one place that matches
// each server message to the request it answers. I/O-free. The statement guard, the result
// masker and the session's query state all read this one queue; nothing else follows the
// request/response pipeline.
//
// Fed every client message the database gets (OnClientMessage: by the statement guard, which
// adds what it decided, or FeedClientBytes) and every server message the client gets
// (OnServerMessage: by the result masker as it walks them). The agent's own queries (catalog
// loads) go ahead of the client's bytes at an idle moment and their answers are taken out by
// their loaders before this ledger sees the stream: they are never the client's requests.
// A held statement (statement_hold.h) is not outstanding: nothing of it reached the database.
//
// Responses per request (https://www.postgresql.org/docs/15/protocol-flow.html):
//  - Query: one result per statement of its text, each ended by CommandComplete or
//    EmptyQueryResponse (an error ends the rest), then ReadyForQuery;
//  - Parse -> ParseComplete, Bind -> BindComplete, Describe -> [ParameterDescription]
//    RowDescription | NoData, Execute -> rows then CommandComplete | PortalSuspended |
//    EmptyQueryResponse, Close -> CloseComplete, Sync -> ReadyForQuery; after an error the
//    server skips every message up to the next Sync;
//  - FunctionCall -> FunctionCallResponse, ReadyForQuery.
// What a request changes in the session (a statement name bound by Parse, a portal by Bind, a
// SQL PREPARE, DECLARE or DEALLOCATE) is applied only when the server confirms that request: a
// Parse the server rejects (42P05, the name is taken) must not rebind the name the guard
// decides by, nor replace the lineage of the statement that still holds it.
//
// The ledger also tells how the rows of each result are encoded (a simple Query's rows follow a
// RowDescription; an Execute's rows have the formats its portal was bound with), which
// statement an error or notice answers, and what a recording needs of each statement run
// (StatementFacts: text, decision, command tag, rows, SQLSTATE, bytes, duration).
//
// A result whose statement cannot be told (a portal or cursor never seen created, a text the
// parser rejects) has no lineage: the masker treats its columns as of unknown origin.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "agent/postgres/message_walker.h"
#include "agent/postgres/query_phase.h"
#include "agent/postgres/result_shape.h"
#include "common/pgwire/backend_messages.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"
#include "common/sql/statement_analysis.h"

namespace warden::agent {

// A statement or portal name as PostgreSQL keys it: its first NAMEDATALEN - 1 bytes, so that two
// names the server takes for one are one here too.
inline constexpr size_t kMaxNameBytes = 63;
std::string ServerName(std::string_view name);

// What a confirmed request changes in the statement guard's view of the session.
struct LedgerEffect {
  // kClosed: a Close the server confirmed (a Close it skipped after an error closes nothing).
  enum class Kind : uint8_t { kNone, kStatement, kPortal, kPrepared, kClosed };
  Kind kind = Kind::kNone;
  std::string name;     // kStatement, kClosed: statement name; kPortal, kClosed: portal name
  std::string target;   // kStatement: its SQL text; kPortal: the statement it binds; kClosed:
                        // "S" (a statement) or "P" (a portal)
  int64_t version = 0;  // kStatement: the policy version the text was allowed under
  bool changes_prepared = false;  // kStatement: the text PREPAREs or DEALLOCATEs
  bool needs_approval = false;    // kStatement: each Execute of it is held
  // For the approver, when the statement needs approval: the parameter types its Parse declared
  // (kStatement, kPortal) and the Bind message with the values (kPortal).
  std::vector<uint32_t> param_types;
  std::string bind;
  std::vector<sql::PreparedChange> prepared;  // kPrepared
};

// What the agent sent in place of the client's request.
enum class RequestAction : uint8_t {
  kForward,       // the request as the client sent it
  kReplaceError,  // a failing stand-in for a denied one: the client gets the denial (42501)
};

// What the sender of a request adds to it: its decision and the effects the guard applies when
// the server confirms it.
struct RequestNote {
  RequestNote() = default;
  RequestNote(RequestAction a, std::string r) : action(a), rule(std::move(r)) {}

  RequestAction action = RequestAction::kForward;
  std::string rule;  // kReplaceError: the rule that refused it
  // Query: one per statement (shorter when the rest change nothing); Parse, Bind, Execute: one.
  std::vector<LedgerEffect> effects;
  // Query, Parse: the text's analysis, when the sender has it (else the ledger looks it up).
  std::shared_ptr<const sql::StatementAnalysis> analysis;
  // Execute: the text of the statement its portal runs; FunctionCall: the SELECT it stands for.
  std::string statement;
};

// One statement the session ran (or was refused), when the database has answered it.
struct StatementFacts {
  char request = 0;  // 'Q' (a statement of a Query), 'E' (Execute), 'F' (FunctionCall)
  RequestAction action = RequestAction::kForward;
  std::string_view sql;   // the Query's text, the Execute's statement, the FunctionCall's SELECT
  size_t index = 0;       // 'Q': which statement of the text
  std::string_view rule;  // kReplaceError: the rule
  std::string_view command_tag;  // CommandComplete's tag; empty when it ended otherwise
  uint64_t rows = 0;             // DataRows (COPY OUT: CopyData messages) the database sent
  std::string sqlstate;          // the ErrorResponse's code when it failed
  uint64_t bytes = 0;            // bytes of the database's answer
  std::chrono::steady_clock::duration duration{};  // from reaching the database to its answer
};

// Told of confirmed effects and of each ReadyForQuery (the statement guard).
class LedgerListener {
 public:
  virtual ~LedgerListener() = default;
  virtual void OnConfirmed(LedgerEffect&& effect) = 0;
  // `status`: the transaction status ReadyForQuery reports ('I', 'T', 'E'; 0 when unknown).
  virtual void OnReadyForQuery(char status) = 0;
};

class RequestLedger {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // More unanswered requests than this end the session (the client pipelines without reading).
  static constexpr size_t kMaxEntries = 1 << 19;
  // Names of statements, portals, cursors and SQL-prepared statements kept for the masker.
  static constexpr size_t kMaxNames = 10000;
  static constexpr size_t kMaxCachedTexts = 512;

  // `cache`, when given (it must outlive the ledger), supplies texts' analyses: the agent's
  // shared cache, where the guard already put them, so a text is parsed once. `clock` is read
  // when a request is sent and answered (time is injected for tests).
  explicit RequestLedger(sql::ClassifierCache* cache = nullptr, Clock clock = nullptr);

  void set_analysis_cache(sql::ClassifierCache* cache) { cache_ = cache; }
  void set_listener(LedgerListener* listener) { listener_ = listener; }
  // Receives the facts of each statement as its answer completes.
  void set_facts_sink(std::function<void(const StatementFacts&)> sink) { sink_ = std::move(sink); }
  // A sink is set: texts are kept and the clock is read for the facts (else neither is).
  bool recording() const { return static_cast<bool>(sink_); }

  // A whole client message the database gets (tag, body). False when the ledger is full (end
  // the session); a message the server cannot parse gets its error in order, like any other.
  [[nodiscard]] bool OnClientMessage(char tag, std::string_view body, RequestNote note = {});
  // A server message the client gets: `body` when the message is whole (`whole`), else empty
  // (only its header was seen: tags decide the matching; bodies add the RowDescription's
  // columns, the command tag and the SQLSTATE). `size`: tag, length and body. Returns the shape
  // the message belongs to for RowDescription, DataRow, CopyOutResponse, CopyData and
  // CommandComplete of a result; null otherwise or when unknown (valid until the next call).
  ResultShape* OnServerMessage(char tag, std::string_view body, size_t size, bool whole);

  // Where the session's query traffic stands (query_phase.h); `held`: a statement is held.
  QueryState state(bool held) const;
  bool terminated() const { return terminated_; }
  // Requests outstanding, and of them the Query, Sync and FunctionCall awaiting ReadyForQuery.
  size_t size() const { return queue_.size(); }
  size_t awaiting_ready() const { return awaiting_ready_; }
  // Nothing outstanding runs a statement: at most Parse, Bind, Describe and Close of an
  // unfinished extended-protocol request, no COPY, and the server is not discarding.
  bool RunsNothing() const;
  // After an error the server discards the client's messages until its Sync.
  bool discarding() const { return ignoring_till_sync_; }
  // The server failed something of the agent's own inside the client's unfinished request
  // (nothing of the client's outstanding): it now discards the client's messages until Sync.
  void DiscardUntilSync() { ignoring_till_sync_ = true; }

  // The newest unconfirmed effect of `kind` for `name`, or nullptr.
  const LedgerEffect* Pending(LedgerEffect::Kind kind, std::string_view name) const;
  // The newest unconfirmed change to what the prepared statement `name` stands for: its Parse
  // (kStatement), its Close (kClosed), or a PREPARE, DEALLOCATE or DISCARD ALL that may touch it
  // (kPrepared; the namespace is shared); nullptr when none.
  const LedgerEffect* PendingStatementChange(std::string_view name) const;
  // Names of SQL prepared statements that unconfirmed PREPARE/DEALLOCATEs may change ("" for
  // DEALLOCATE ALL).
  std::vector<std::string> PendingPreparedNames() const;

  // The encoding of the rows of the result OnServerMessage() was last given a message of.
  const RowsEncoding& rows() const { return rows_; }
  // The statement the next server message answers (its ErrorResponse or NoticeResponse): the
  // one a Query is running, the one parsed, bound, described or executed; null when none can
  // be told. Call before passing that message to OnServerMessage().
  std::shared_ptr<ResultShape> Answering();
  // The statements a simple Query ran before the one Answering() gives, when that one is the
  // last of several: the Query's implicit transaction commits as its last statement ends, so a
  // deferred constraint or trigger of any of them fails (or notices) there. Empty otherwise; a
  // null entry is a statement that cannot be told.
  std::vector<std::shared_ptr<const sql::ClassifiedStatement>> CommittedWith();

 private:
  enum class Kind : uint8_t {
    kQuery,
    kParse,
    kBind,
    kDescribeStatement,
    kDescribePortal,
    kExecute,
    kClose,
    kSync,
    kFunctionCall,
    // The client's CopyDone or CopyFail, kept only to know which Syncs it sent before it (the
    // server ignores those if they arrive in copy-in mode): no answer of its own.
    kCopyEnd,
  };
  using Analysis = sql::StatementAnalysis;
  // One statement of an analysed text.
  struct Statement {
    std::shared_ptr<const sql::StatementLineage> lineage;
    std::shared_ptr<const sql::ClassifiedStatement> classified;
  };
  struct Portal {
    std::shared_ptr<ResultShape> shape;
    std::shared_ptr<const std::vector<int16_t>> formats;  // null: unknown
  };
  struct Request {
    Kind kind = Kind::kSync;
    RequestAction action = RequestAction::kForward;
    std::string name;                       // statement (Parse), portal (Bind, Execute, Describe)
    std::string text;                       // Query, Parse: its text; Execute, F: note.statement
    std::string statement;                  // Bind: the statement bound; Close: "S" or "P"
    std::string rule;                       // kReplaceError
    std::shared_ptr<const Analysis> texts;  // Query
    size_t index = 0;                       // Query: the statement being answered
    std::shared_ptr<ResultShape> shape;     // Parse: the new statement; Query, Execute: current
    std::shared_ptr<const std::vector<int16_t>> formats;  // Bind: result formats asked for
    std::vector<LedgerEffect> effects;
    // Facts of the statement being answered.
    std::chrono::steady_clock::time_point sent{};
    uint64_t rows = 0;
    uint64_t bytes = 0;
    bool started = false;  // Execute: its rows' encoding is set
  };

  bool AwaitsReady(Kind k) const {
    return k == Kind::kQuery || k == Kind::kSync || k == Kind::kFunctionCall;
  }
  void Push(Request r);
  void Pop();
  // Request in front answered by `tag`: the matching for each kind.
  ResultShape* OnQueryMessage(Request& r, char tag, std::string_view body, bool whole);
  ResultShape* OnExtendedMessage(Request& r, char tag, std::string_view body, bool whole);
  // After an error in the extended protocol: the server discards every message up to the next
  // Sync (Query and FunctionCall too): drop them, or if none is queued yet, discard what the
  // client sends until its Sync.
  void SkipToSync();
  // CopyInResponse: the Syncs the client sent before its CopyDone or CopyFail reach the server
  // in copy-in mode, which ignores them.
  void DropSyncsSentDuringCopyIn();
  // ReadyForQuery: the first request awaiting it is answered, with any before it.
  void OnReady(char status);
  void Confirm(Request& r, size_t effect);
  // The facts of the statement `r` is answering, to the sink; resets its counts.
  void Finish(Request& r, std::string_view command_tag, std::string_view error_body);
  void UpdateCopy(char tag);

  // Names and shapes (request_ledger_shapes.cc).
  std::shared_ptr<const Analysis> Analyze(std::string_view sql);
  static Statement StatementOf(const std::shared_ptr<const Analysis>& texts, size_t i);
  // The statement whose rows `s` returns: a FETCH or EXECUTE resolves to its DECLARE or
  // PREPARE.
  Statement Resolve(Statement s) const;
  static std::shared_ptr<ResultShape> ShapeOf(Statement s);
  std::shared_ptr<ResultShape> QueryShape(Request& r);
  Portal FindPortal(const std::string& portal);
  void StartRows(RowsEncoding::Source source, std::shared_ptr<const std::vector<int16_t>> formats);
  // A Query's statement completed with `tag`: DECLARE and PREPARE name what they made.
  void OnQueryStatementComplete(Request& r, std::string_view tag);
  void OnParseComplete(Request& r);
  void OnBindComplete(Request& r);
  void OnCloseComplete(Request& r);
  ResultShape* OnDescribed(Request& r, char tag, std::string_view body, bool whole);
  // The columns of a RowDescription body into `shape` (none when the body is not at hand).
  void RecordFields(std::string_view body, ResultShape* shape);
  template <typename Map, typename V>
  void Remember(Map& map, std::string name, V value);

  sql::ClassifierCache* cache_;
  Clock clock_;
  LedgerListener* listener_ = nullptr;
  std::function<void(const StatementFacts&)> sink_;
  std::deque<Request> queue_;
  size_t awaiting_ready_ = 0;
  bool unsynced_ = false;  // an extended-protocol message since the last Sync
  bool terminated_ = false;
  bool ignoring_till_sync_ = false;  // the server discards the client's messages until a Sync
  enum class Copy : uint8_t { kNone, kIn, kOut };
  Copy copy_ = Copy::kNone;
  std::chrono::steady_clock::time_point last_answer_{};  // when the database last finished one
  RowsEncoding rows_;
  // The shape OnServerMessage() returned last when its request was already answered: kept alive
  // until the next call.
  std::shared_ptr<ResultShape> current_;
  std::unordered_map<std::string, std::shared_ptr<ResultShape>> statements_;  // Parse names
  std::unordered_map<std::string, Portal> portals_;                           // Bind portals
  // SQL-level names: DECLARE'd cursors and PREPARE'd statements.
  std::unordered_map<std::string, Statement> cursors_;
  std::unordered_map<std::string, Statement> prepared_;
  std::unordered_map<std::string, std::shared_ptr<const Analysis>> texts_;  // without cache_
  // RecordFields' buffer, kept for its capacity (its names view a message already gone).
  pgwire::RowDescription row_description_;
  std::vector<int16_t> bind_formats_;  // a Bind's result formats, read into kept capacity
};

// Feeds the ledger the client messages in `in` (a byte stream split anywhere; `walker` keeps a
// partial message): for a session whose bytes pass no statement guard.
[[nodiscard]] absl::Status FeedClientBytes(std::string_view in, MessageWalker& walker,
                                           RequestLedger& ledger);

}  // namespace warden::agent
