// Which statement each result belongs to, so that column masking can follow the data of that
// statement. I/O-free: fed every message the database gets from the client
// and every message the database sends back, in order.
//
// PostgreSQL answers requests strictly in order
// (https://www.postgresql.org/docs/15/protocol-flow.html), so a queue of the requests sent
// and not yet answered says which request each response answers:
//  - Query: one result per statement of its text, each ended by CommandComplete (or an error,
//    which ends the rest), then ReadyForQuery;
//  - Parse -> ParseComplete, Bind -> BindComplete, Describe -> [ParameterDescription]
//    RowDescription | NoData, Execute -> rows then CommandComplete | PortalSuspended |
//    EmptyQueryResponse, Close -> CloseComplete, Sync -> ReadyForQuery; after an error the
//    server skips everything up to the next Sync;
//  - FunctionCall -> FunctionCallResponse, ReadyForQuery.
// Names are registered when the server confirms them (ParseComplete, BindComplete, the
// CommandComplete of DECLARE or PREPARE), so a failed Parse or DECLARE can never replace the
// lineage of the statement or cursor that still holds the name.
//
// It also tells how the rows of each result are encoded: a simple Query's rows (and a
// Describe of a portal) come after a RowDescription that gives their formats, while the rows
// of an Execute have the result formats its portal was bound with, which no RowDescription
// may have shown (a client re-executing a statement it described once skips Describe).
//
// A result whose statement cannot be told (a portal or cursor this tracker never saw created,
// a text the parser rejects, a queue that overflowed) has no lineage: the masker then treats
// every column RowDescription does not name as of unknown origin (fail closed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/enforcement/column_masks.h"
#include "common/pgwire/backend_messages.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classified_statement.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

// What the masker knows about one statement's rows. Shared by a prepared statement and its
// portals; the masker caches its column plan in it.
struct ResultShape {
  // The statement's lineage; null when it cannot be told.
  std::shared_ptr<const sql::StatementLineage> lineage;
  // What the classifier says about it (relations, functions), for texts that may show values
  // (error and notice messages); null when it cannot be told.
  std::shared_ptr<const sql::ClassifiedStatement> classified;
  // The columns of its latest RowDescription (names dropped); empty until described.
  std::vector<ResultField> fields;
  bool described = false;
  // Filled by the masker: its plan for these columns and the state it was made under (0: none).
  uint64_t plan_stamp = 0;
  std::vector<ColumnMask> masks;
};

// How the rows being answered are encoded (ResultLineageTracker::rows()).
struct RowsEncoding {
  enum Source : uint8_t {
    kRowDescription,  // as the RowDescription just before them says
    kBind,            // as `formats` says (Bind's convention: pgwire::FormatCode)
    kUnknown,         // the rows of a portal whose Bind was never seen: any format
  };
  Source source = kRowDescription;
  std::shared_ptr<const std::vector<int16_t>> formats;  // kBind
  uint64_t serial = 0;                                  // changes whenever a result starts
};

class ResultLineageTracker {
 public:
  // `follow_lineage`: analyse statement texts for their lineage; without it every shape's
  // lineage is null and the tracker only matches results to requests (result encodings).
  // `cache`, when given (it must outlive the tracker), supplies texts' analyses: the agent's
  // shared cache, where the statement guard already put them, so a text is parsed once.
  explicit ResultLineageTracker(bool follow_lineage = true, sql::ClassifierCache* cache = nullptr)
      : follow_lineage_(follow_lineage), cache_(cache) {}

  // Requests awaiting answers; beyond this the tracker gives up (every result unknown).
  static constexpr size_t kMaxQueued = 100000;
  // Names tracked (statements, portals, cursors, SQL-prepared statements) and texts cached.
  static constexpr size_t kMaxNames = 10000;
  static constexpr size_t kMaxCachedTexts = 512;

  // A whole client message, as the database gets it (tag, body).
  void Frontend(char tag, std::string_view body);
  // A whole backend message. Returns the shape it belongs to for RowDescription, DataRow,
  // CopyOutResponse, CopyData and CommandComplete of a result; null otherwise or when unknown.
  // A RowDescription is recorded in the shape before it is returned.
  ResultShape* Backend(char tag, std::string_view body);

  // True when the tracker lost track (queue overflow): every shape is unknown from then on.
  bool lost() const { return lost_; }

  // The encoding of the rows of the result Backend() was last given a message of.
  const RowsEncoding& rows() const { return rows_; }

  // The statement the next backend message answers (its ErrorResponse or NoticeResponse): the
  // one a Query is running, the one parsed, bound, described or executed; null when none can
  // be told. Call before passing that message to Backend().
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
  };
  // One statement of an analysed text.
  struct Statement {
    std::shared_ptr<const sql::StatementLineage> lineage;
    std::shared_ptr<const sql::ClassifiedStatement> classified;
  };
  // A text's lineage and classification.
  using Analysis = sql::StatementAnalysis;
  struct Item {
    Kind kind;
    std::string name;                       // statement, portal
    std::string statement;                  // Bind: the statement bound
    std::shared_ptr<const Analysis> texts;  // Query
    size_t index = 0;                       // Query: the statement being answered
    std::shared_ptr<ResultShape> shape;     // Parse: the new statement; Query: current
    std::shared_ptr<const std::vector<int16_t>> formats;  // Bind: result formats asked for
  };
  struct Portal {
    std::shared_ptr<ResultShape> shape;
    std::shared_ptr<const std::vector<int16_t>> formats;  // null: unknown
  };

  std::shared_ptr<const Analysis> Analyze(std::string_view sql);
  // Statement `i` of an analysed text, sharing its ownership; nulls when there is none.
  static Statement StatementOf(const std::shared_ptr<const Analysis>& texts, size_t i);
  // The statement whose rows `s` returns: a FETCH or EXECUTE resolves to its DECLARE or
  // PREPARE.
  Statement Resolve(Statement s) const;
  static std::shared_ptr<ResultShape> ShapeOf(Statement s);
  std::shared_ptr<ResultShape> QueryShape(Item& item);
  Portal FindPortal(const std::string& portal);
  void StartRows(RowsEncoding::Source source, std::shared_ptr<const std::vector<int16_t>> formats);
  void OnQueryComplete(Item& item, std::string_view tag);
  ResultShape* OnQueryMessage(Item& item, char tag, std::string_view body);
  ResultShape* OnExtendedMessage(Item& item, char tag, std::string_view body);
  // After an error in the extended protocol: drop requests up to (not including) the Sync.
  void SkipToSync();
  void Push(Item item);
  template <typename Map, typename V>
  void Remember(Map& map, std::string name, V value);

  bool follow_lineage_;
  sql::ClassifierCache* cache_;
  RowsEncoding rows_;
  std::deque<Item> queue_;
  // The shape Backend() returned last when its request was already answered: kept alive until
  // the next call.
  std::shared_ptr<ResultShape> current_;
  bool lost_ = false;
  std::unordered_map<std::string, std::shared_ptr<ResultShape>> statements_;  // Parse names
  std::unordered_map<std::string, Portal> portals_;                           // Bind portals
  // SQL-level names: DECLARE'd cursors and PREPARE'd statements.
  std::unordered_map<std::string, Statement> cursors_;
  std::unordered_map<std::string, Statement> prepared_;
  std::unordered_map<std::string, std::shared_ptr<const Analysis>> texts_;  // without cache_
};

}  // namespace warden::agent
