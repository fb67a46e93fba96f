// Result masking on the wire (issue 5): every value the database sends back passes the content
// detectors of the session's masking rules before it leaves the agent. Per session, I/O-free:
// backend bytes in, bytes for the client out, one message at a time (message_walker.h); only
// the messages that can carry values are held, and each only until it is complete.
//
// What is masked (https://www.postgresql.org/docs/15/protocol-message-formats.html):
//  - DataRow: each value, by the format and type of its column in the latest RowDescription.
//    Text-format values, and binary values of types whose binary form is their text (text,
//    varchar, bpchar, name, json, xml, unknown; jsonb after its version byte), are rewritten
//    with RuleSet::MaskText (a NULL outcome becomes SQL NULL). Any other binary value (an
//    array, a record, bytea, ...) is scanned too; one that a detector fires on cannot be
//    rewritten in its type, so it becomes NULL (issue 5: never passed through). A binary int4
//    cannot hold an email, so the common case finds nothing. The RowDescription of a Describe
//    (statement) says format 0 until Bind chooses; a wrong guess never leaks: a binary value
//    taken for text is rewritten as text (the client fails to decode it), a text value taken
//    for binary is nulled. A DataRow is rebuilt only when a value changed.
//  - COPY OUT in text or CSV format: each CopyData (the server sends one row per message) is
//    masked as one text. COPY text has no NULL for part of a row without parsing its columns
//    (and the NULL marker is configurable), so the spans a NULL rule finds are redacted
//    ("****") instead (masking_plan.h). Binary COPY OUT (overall format 1) cannot be masked in
//    place: while content rules are on it is refused, the CopyOutResponse replaced by
//    ErrorResponse 42501 and the CopyData, CopyDone and CommandComplete that follow dropped.
//  - ErrorResponse and NoticeResponse: every field except severity, SQLSTATE, position, and
//    the server's source file, line and routine (a failing cast or a RAISE prints the value it
//    touched, in M, D, W, q, ...). NotificationResponse: the payload.
//
// The rules are recompiled when the policy version changes, checked at each ReadyForQuery,
// RowDescription, CopyOutResponse and message text: one snapshot per statement. Values masked
// are counted per rule, in this session and agent-wide (DecisionCounters::CountMasked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "agent/decision_counters.h"
#include "agent/policy_holder.h"
#include "agent/session/masking_plan.h"
#include "agent/session/message_walker.h"
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

  // Database -> client. Appends to *out the bytes for the client, masked. An error means the
  // server's stream is not PostgreSQL framing (or a message is too large to mask): end the
  // session.
  [[nodiscard]] absl::Status Backend(std::string_view in, std::string* out);

  // Values masked in this session (a value counts once, however many rules fired in it).
  uint64_t masked_values() const { return masked_values_; }

 private:
  enum class Copy { kNone, kMasking, kRefused };
  enum class ColumnKind : uint8_t { kText, kBinaryText, kBinaryJsonb, kBinaryOther };
  struct Change {
    size_t column = 0;
    std::optional<std::string> value;  // nullopt: SQL NULL
  };

  bool Hold(char tag) const;
  absl::Status OnMessage(std::string_view message, std::string* out);
  // Recompiles the rules if the policy version changed.
  void Refresh();
  void FlushCounts();
  void Count(const std::vector<size_t>& fired);
  absl::Status OnRowDescription(std::string_view message);
  absl::Status OnCopyOut(std::string_view message, std::string* out);
  absl::Status MaskDataRow(std::string_view message, std::string* out);
  // One DataRow value; false when it stays as it is.
  bool MaskColumn(ColumnKind kind, std::string_view value, Change* change);
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

  bool compiled_ = false;  // plan_ reflects some snapshot (maybe none)
  MaskingPlan plan_;
  std::vector<uint64_t> pending_;  // values masked per rule, not yet in counters_
  uint64_t masked_values_ = 0;

  MessageWalker walker_;
  Copy copy_ = Copy::kNone;
  std::vector<ColumnKind> kinds_;  // per column of the latest RowDescription
  // Scratch reused by every DataRow, so that an unchanged row allocates nothing.
  std::vector<std::optional<std::string_view>> values_;
  std::vector<Change> changes_;
};

}  // namespace warden::agent
