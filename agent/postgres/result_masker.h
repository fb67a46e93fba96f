// Result masking on the wire: every value the database sends back passes the content
// detectors of the session's masking rules before it leaves the agent. Per session, I/O-free:
// backend bytes in, bytes for the client out, one message at a time (message_walker.h); only
// the messages that can carry values are held, and each only until it is complete.
//
// What is masked (https://www.postgresql.org/docs/15/protocol-message-formats.html):
//  - DataRow: each value, by the format and type of its column: as the RowDescription before
//    the rows says, or for the rows of an Execute, in the result formats its Bind asked for
//    (a client re-executing a statement it described once skips Describe; the statement's
//    types come from its last RowDescription: request_ledger.h follows the requests).
//    Text-format values, and binary values of types whose binary form is their text (text,
//    varchar, bpchar, name, json, xml, unknown; jsonb after its version byte), are rewritten
//    with RuleSet::MaskText (a NULL outcome becomes SQL NULL). Any other binary value (an
//    array, a record, bytea, ...) is scanned too; one that a detector fires on cannot be
//    rewritten in its type, so it becomes NULL (never passed through). A binary int4
//    cannot hold an email, so the common case finds nothing. Rows whose format cannot be
//    told (an Execute of a portal no Bind made, such as a SQL cursor) are scanned as binary of
//    unknown type: a value a detector fires on becomes NULL, never a text a binary decoder
//    would choke on. A DataRow is rebuilt only when a value changed.
//  - COPY OUT in text or CSV format: each CopyData (the server sends one row per message) is
//    masked as one text. COPY text has no NULL for part of a row without parsing its columns
//    (and the NULL marker is configurable), so the spans a NULL rule finds are redacted
//    ("****") instead (masking_plan.h). Binary COPY OUT (overall format 1) cannot be masked in
//    place: while content rules are on it is refused, the CopyOutResponse replaced by
//    ErrorResponse 42501 and the CopyData, CopyDone and CommandComplete that follow dropped.
//  - ErrorResponse and NoticeResponse: every field except severity, SQLSTATE, position, and
//    the server's source file, line and routine (a failing cast or a RAISE prints the value it
//    touched, in M, D, W, q, ...). Under column rules, the texts of one that answers a
//    statement that may have touched a masked column are withheld first (withheld_texts.h).
//    NotificationResponse: the payload (under column rules, redacted whole: it has no column
//    to trace and any session, a trigger say, may put any value in it).
//
// Column rules: each result column is masked whole by the first rule
// that names it or any source column that flows into it (column_masks.h), by its RowDescription
// identity looked up in a catalog snapshot (masking_catalog.h, loaded in band by
// catalog_loader.h) and by the lineage of the statement that produced it
// (request_ledger.h follows the client's requests for that). The masked value is the
// rule's strategy output where the column's type is text-like, else NULL. A column of unknown
// origin is redacted whole (counted under the first column rule); `masking_unknown: deny`
// refuses such statements before they run (statement_guard.h). COPY rows in the default text or
// CSV format are split into columns and masked the same way; a COPY in another format with a
// masked column is refused. The catalog is (re)loaded at the first idle moment after the
// session starts, after the rules change, after this session ran DDL (a CREATE, ALTER or DROP
// command tag), and every kCatalogMaxAge, only outside a transaction block (a failure inside
// one would abort the client's transaction); until it is loaded, every column RowDescription
// names by table is of unknown origin (fail closed).
//
// The rules are recompiled when the policy version changes, checked at each ReadyForQuery,
// RowDescription, CopyOutResponse and message text: one snapshot per statement. Values masked
// are counted per rule, in this session and agent-wide (DecisionCounters::CountMasked).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "agent/enforcement/column_masks.h"
#include "agent/enforcement/decision_counters.h"
#include "agent/enforcement/masking_catalog.h"
#include "agent/enforcement/masking_plan.h"
#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/catalog_loader.h"
#include "agent/postgres/message_walker.h"
#include "agent/postgres/request_ledger.h"
#include "common/pgwire/backend_messages.h"
#include "common/pgwire/framing.h"
#include "common/policy/evaluator.h"

namespace warden::agent {

class ResultMasker {
 public:
  // The largest message held to be masked: the server's own limit. A value larger than this
  // could not be masked, and must not pass unmasked: the stream is refused.
  static constexpr size_t kMaxHeldMessage = pgwire::kDefaultMaxMessage;

  // `counters`, when given, must outlive the masker. `hash_key` keys HASH rules; empty (the
  // default) uses the masking key that came with the policy snapshot (PolicyHolder), and
  // without one they redact (masking_plan.h).
  ResultMasker(const PolicyHolder& policy, policy::Subject subject, std::string session_id,
               DecisionCounters* counters = nullptr, std::string hash_key = {});

  // Follows the session's requests in `ledger` (the session's one, which must outlive the
  // masker) instead of its own: the masker feeds it every server message as it walks them
  // (the client's messages are entered by whoever forwards them). Set before the first byte.
  void UseLedger(RequestLedger* ledger) { ledger_ = ledger; }

  // Database -> client. Appends to *out the bytes for the client, masked. An error means the
  // server's stream is not PostgreSQL framing (or a message is too large to mask): end the
  // session.
  [[nodiscard]] absl::Status Backend(std::string_view in, std::string* out);

  // Client -> database, as the database gets them (after the statement guard), so that results
  // can be matched to their statements: for a masker on its own ledger. Observes only.
  [[nodiscard]] absl::Status Frontend(std::string_view in);

  // Called before client bytes are forwarded while no request is outstanding and both
  // directions are at a message boundary: picks up new rules, and returns a Query message to
  // send ahead of the client's bytes when the catalog must be (re)loaded (empty otherwise).
  std::string OnIdle();

  static constexpr auto kCatalogMaxAge = std::chrono::seconds(60);
  static constexpr auto kCatalogRetry = std::chrono::seconds(5);

  // Values masked in this session (a value counts once, however many rules fired in it).
  uint64_t masked_values() const { return masked_values_; }

  // Its catalog query is at the database (its answer is taken out of the stream).
  bool loading_catalog() const { return loader_.in_flight(); }

 private:
  // kPassing: a COPY OUT whose rows need no masking (they stream; its CopyDone is held to end it).
  enum class Copy { kNone, kPassing, kMasking, kRefused };
  enum class ColumnKind : uint8_t { kText, kBinaryText, kBinaryJsonb, kBinaryOther };
  // A DataRow value replaced: SQL NULL, or the text change_text_[begin, end).
  struct Change {
    size_t column = 0;
    bool null = true;
    size_t begin = 0;
    size_t end = 0;
  };

  bool Hold(char tag) const;
  bool HoldCopy(char tag) const;  // CopyData, CopyDone
  // CopyData outside a COPY OUT (a server that breaks the protocol) is held while any masking
  // is in force: scanned by detectors and patterns, or redacted whole under column rules (it has
  // no column to trace) and when the rules withhold results. No value passes unmasked.
  bool MasksStrayCopyData() const { return !compiled_ || plan_.active(); }
  static ColumnKind KindOf(uint32_t type_oid, int16_t format);
  // kinds_ for the rows of an Execute (ledger_->rows()), with the types shape_ knows.
  void KindsOfExecute(size_t ncolumns);
  // Column masking (result_masker_columns.cc).
  void OnCatalogLoaded();
  void ForgetCatalog();
  // The column plan for `ncolumns` columns of the rows `shape` describes (null: unknown).
  const std::vector<ColumnMask>& MasksFor(ResultShape* shape, size_t ncolumns);
  // One value of a column a column rule (or unknown origin) masks: appends the masked text to
  // *out, or returns false for NULL (nothing appended).
  bool MaskWhole(const ColumnMask& mask, std::string_view value, std::string* out);
  void OnCommandComplete(std::string_view message);
  // Why an error or notice's texts are withheld under column rules (withheld_texts.h), given
  // the statement it answers (notice_shape_); nullopt when they may pass.
  std::optional<std::string> WithheldReason(const pgwire::NoticeFields& fields);
  // COPY OUT with columns to mask (copy_masks_): masked by column, or refused.
  absl::Status OnCopyOutColumns(std::string_view message, std::string* out);
  // Appends a COPY row masked by column, then by content.
  void MaskCopyRow(std::string_view row, std::string* out);
  absl::Status OnMessage(std::string_view message, std::string* out);
  // Recompiles the rules if another snapshot was installed.
  void Refresh();
  void FlushCounts();
  void Count(const std::vector<size_t>& fired);
  void CountOne(size_t rule) {
    ++masked_values_;
    if (rule < pending_.size()) ++pending_[rule];
  }
  absl::Status OnRowDescription(std::string_view message);
  absl::Status OnCopyOut(std::string_view message, std::string* out);
  absl::Status MaskDataRow(std::string_view message, std::string* out);
  // One DataRow value by content; false when it stays as it is.
  bool MaskColumn(ColumnKind kind, std::string_view value, Change* change);
  // Records change *c, whose text (unless NULL) was appended to change_text_ from c->begin.
  void AddChange(Change* c, bool null);
  absl::Status MaskNoticeFields(std::string_view message, std::string* out);
  absl::Status MaskNotification(std::string_view message, std::string* out);
  void MaskCopyData(std::string_view message, std::string* out);
  // Text with no NULL form; false when it stays as it is, else the masked text in *masked.
  bool MaskPlainText(std::string_view text, std::string* masked);

  const PolicyHolder& policy_;
  policy::Subject subject_;
  std::string session_id_;
  DecisionCounters* counters_;  // may be null
  std::string hash_key_;

  bool compiled_ = false;         // plan_ reflects some snapshot (maybe none)
  uint64_t plan_generation_ = 0;  // PolicyHolder::generation() when plan_ was compiled
  MaskingPlan plan_;
  std::vector<uint64_t> pending_;  // values masked per rule, not yet in counters_
  uint64_t masked_values_ = 0;

  MessageWalker walker_;
  Copy copy_ = Copy::kNone;
  // OnRowDescription's buffer, kept for its capacity (its names view a message already gone).
  pgwire::RowDescription row_description_;

  // Column masking state.
  RequestLedger own_ledger_;
  RequestLedger* ledger_ = &own_ledger_;
  MessageWalker frontend_walker_;
  CatalogLoader loader_;
  std::optional<MaskingCatalog> catalog_;
  int64_t catalog_version_ = -2;  // the plan (plan_generation_) the catalog was built for
  bool catalog_stale_ = false;    // this session ran DDL since
  std::chrono::steady_clock::time_point catalog_at_{};  // loaded or last failed
  uint64_t generation_ = 1;  // bumps when the plan or the catalog changes (ResultShape stamp)
  char txn_status_ = 'I';
  ResultShape* shape_ = nullptr;               // the rows being sent (ledger's), null when unknown
  std::vector<ColumnMask> masks_;              // the current rows' column plan
  ResultShape unknown_shape_;                  // stands for rows no statement could be found for
  std::shared_ptr<ResultShape> notice_shape_;  // the statement an error or notice answers
  // The statements whose implicit commit it may come from too (RequestLedger::CommittedWith).
  std::vector<std::shared_ptr<const sql::ClassifiedStatement>> notice_committed_;
  // COPY OUT masked by column: the plan, the format, and a CSV header row still to come.
  std::vector<ColumnMask> copy_masks_;
  std::vector<bool> copy_masked_;
  size_t first_column_rule_ = 0;  // unknown-origin values are counted under it
  std::string copy_row_;          // scratch for a COPY row masked by content
  bool copy_csv_ = false;
  bool copy_header_ = false;
  // Per column of the rows being sent: as the latest RowDescription says, or for an Execute's
  // rows as its Bind asked (kinds_serial_ is the ledger's result serial they were made for).
  std::vector<ColumnKind> kinds_;
  uint64_t kinds_serial_ = 0;
  // Scratch reused by every DataRow, so that an unchanged row allocates nothing.
  std::vector<std::optional<std::string_view>> values_;
  std::vector<Change> changes_;
  std::string change_text_;  // the texts of changes_
};

}  // namespace warden::agent
