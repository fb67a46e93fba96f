#include "agent/postgres/result_masker.h"

#include <algorithm>
#include <deque>
#include <variant>

#include "absl/strings/str_cat.h"
#include "agent/postgres/withheld_texts.h"
#include "common/log/log.h"
#include "common/masking/strategies.h"
#include "common/pgwire/pgwire.h"
#include "common/pgwire/reader.h"
#include "common/pgwire/writer.h"
#include "common/util/status_macros.h"

namespace warden::agent {

namespace {

using pgwire::kHeaderSize;
using TextOutcome = masking::RuleSet::TextResult::Outcome;

// Type OIDs whose binary send format is their text (pg_type.dat; jsonb adds a version byte).
// https://www.postgresql.org/docs/15/datatype-json.html
constexpr uint32_t kNameOid = 19;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kJsonOid = 114;
constexpr uint32_t kXmlOid = 142;
constexpr uint32_t kUnknownOid = 705;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kVarcharOid = 1043;
constexpr uint32_t kJsonbOid = 3802;
constexpr char kJsonbVersion = 1;

// The decoded body of a complete backend message the walker held.
template <typename M>
absl::StatusOr<M> Parse(std::string_view message) {
  ASSIGN_OR_RETURN(pgwire::BackendMessage m,
                   pgwire::ParseBackend(pgwire::Frame{message[0], message.substr(kHeaderSize)}));
  if (auto* typed = std::get_if<M>(&m)) return std::move(*typed);
  return absl::InternalError("the masker decoded an unexpected message type");
}

}  // namespace

ResultMasker::ResultMasker(const PolicyHolder& policy, policy::Subject subject,
                           std::string session_id, DecisionCounters* counters, std::string hash_key)
    : policy_(policy),
      subject_(std::move(subject)),
      session_id_(std::move(session_id)),
      counters_(counters),
      hash_key_(std::move(hash_key)) {}

absl::Status ResultMasker::Backend(std::string_view in, std::string* out) {
  auto any = [](char) { return true; };  // framing is checked; tags are the client's to judge
  // Every message goes to the ledger: a held one whole (OnMessage), the rest by their header.
  auto hold = [this](char tag, uint32_t length) {
    if (Hold(tag)) return true;
    ledger_->OnServerMessage(tag, {}, size_t{length} + 1, /*whole=*/false);
    return false;
  };
  absl::Status st = WalkMessages(
      in, out, kMaxHeldMessage, any, hold,
      [this](std::string_view m, std::string* o) { return OnMessage(m, o); }, walker_);
  FlushCounts();
  return st;
}

bool ResultMasker::Hold(char tag) const {
  if (loader_.in_flight()) {
    // Every message may answer the catalog load. They are small, except rows.
    return (tag != 'd' && tag != 'c') || HoldCopy(tag);
  }
  switch (tag) {
    case 'Z':  // ReadyForQuery, RowDescription, CopyOutResponse: the policy version is checked
    case 'T':
    case 'H':
    case 'E':  // texts that can carry values
    case 'N':
    case 'A':
      return true;
    case 'D':
      return !compiled_ || plan_.active();
    case 'd':  // CopyData, CopyDone
    case 'c':
      return HoldCopy(tag);
    case 'C':  // CommandComplete ends a refused COPY; its tag is the ledger's (and small)
      return true;
    default:
      return false;
  }
}

bool ResultMasker::HoldCopy(char tag) const {
  switch (copy_) {
    case Copy::kNone:
      return MasksStrayCopyData();
    case Copy::kPassing:
      return tag == 'c';
    case Copy::kMasking:
    case Copy::kRefused:
      return true;
  }
  return true;
}

absl::Status ResultMasker::OnMessage(std::string_view message, std::string* out) {
  const char tag = message[0];
  if (loader_.in_flight() && loader_.OnMessage(message)) {
    // The catalog query's answer: the client never asked for it.
    if (!loader_.in_flight()) OnCatalogLoaded();
    return absl::OkStatus();
  }
  if (tag == 'E' || tag == 'N') {
    // Before the error moves the ledger on; for every one, so that rules that change before it
    // is judged (Refresh) never judge it by an older statement's.
    notice_shape_ = ledger_->Answering();
    notice_committed_ = ledger_->CommittedWith();
  }
  ResultShape* shape =
      ledger_->OnServerMessage(tag, message.substr(kHeaderSize), message.size(), /*whole=*/true);
  // CopyData belongs to the COPY its CopyOutResponse started (shape_ stays).
  if (tag != 'A' && tag != 'N' && tag != 'S' && tag != 'd') shape_ = shape;
  if (copy_ == Copy::kRefused) {
    // The client already has its ErrorResponse: the rest of the COPY is dropped, through the
    // CommandComplete (or the server's own error) that ends it.
    // Anything else (a notice, a notification) is masked as usual and the refusal goes on.
    if (tag == 'd' || tag == 'c') return absl::OkStatus();
    if (tag == 'C' || tag == 'E') {
      copy_ = Copy::kNone;
      return absl::OkStatus();
    }
    if (tag == 'Z') copy_ = Copy::kNone;  // not expected before C or E; the COPY is over
  }
  switch (tag) {
    case 'D':
      if (!compiled_) Refresh();
      return MaskDataRow(message, out);
    case 'C':
      OnCommandComplete(message);
      break;
    case 'd':
      if (!compiled_) Refresh();
      MaskCopyData(message, out);
      return absl::OkStatus();
    case 'T':
      Refresh();
      RETURN_IF_ERROR(OnRowDescription(message));
      break;
    case 'H':
      Refresh();
      return OnCopyOut(message, out);
    case 'E':
    case 'N':
      copy_ = tag == 'E' ? Copy::kNone : copy_;
      Refresh();
      return MaskNoticeFields(message, out);
    case 'A':
      Refresh();
      return MaskNotification(message, out);
    case 'c':
      copy_ = Copy::kNone;
      break;
    case 'Z':
      if (message.size() > kHeaderSize) txn_status_ = message[kHeaderSize];
      Refresh();
      break;
    default:
      break;
  }
  out->append(message);
  return absl::OkStatus();
}

void ResultMasker::Refresh() {
  // Checked at every ReadyForQuery and idle moment: the lock-free generation first (every
  // install counts, also one under the version in force).
  const uint64_t generation = policy_.generation();
  if (compiled_ && generation == plan_generation_) return;
  FlushCounts();  // rule indices change with the plan
  std::string pushed_key;
  PolicySnapshotPtr snapshot = policy_.Current(&pushed_key);
  plan_generation_ = generation;
  plan_ = CompileMaskingPlan(snapshot.get(), subject_, hash_key_.empty() ? pushed_key : hash_key_,
                             session_id_);
  ForgetCatalog();  // it holds the old rules' indices
  first_column_rule_ = plan_.values ? plan_.values->first_column_rule().value_or(0) : 0;
  pending_.assign(plan_.policy_of_rule.size(), 0);
  compiled_ = true;
}

void ResultMasker::FlushCounts() {
  if (!plan_.values) return;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i] == 0) continue;
    if (counters_) {
      counters_->CountMasked(plan_.policy_of_rule[i], plan_.values->rules()[i].name, pending_[i]);
    }
    pending_[i] = 0;
  }
}

void ResultMasker::Count(const std::vector<size_t>& fired) {
  ++masked_values_;
  for (size_t rule : fired) {
    if (rule < pending_.size()) ++pending_[rule];
  }
}

ResultMasker::ColumnKind ResultMasker::KindOf(uint32_t type_oid, int16_t format) {
  if (format == 0) return ColumnKind::kText;
  switch (type_oid) {
    case kNameOid:
    case kTextOid:
    case kJsonOid:
    case kXmlOid:
    case kUnknownOid:
    case kBpcharOid:
    case kVarcharOid:
      return ColumnKind::kBinaryText;
    case kJsonbOid:
      return ColumnKind::kBinaryJsonb;
    default:  // also a type not known (0): scanned, and nulled when a detector fires
      return ColumnKind::kBinaryOther;
  }
}

void ResultMasker::KindsOfExecute(size_t ncolumns) {
  const RowsEncoding& rows = ledger_->rows();
  kinds_serial_ = rows.serial;
  kinds_.clear();
  const bool typed = shape_ && shape_->described && shape_->fields.size() == ncolumns;
  for (size_t i = 0; i < ncolumns; ++i) {
    if (rows.source == RowsEncoding::kUnknown) {
      kinds_.push_back(ColumnKind::kBinaryOther);  // either format: never rewritten as text
      continue;
    }
    kinds_.push_back(
        KindOf(typed ? shape_->fields[i].type_oid : 0, pgwire::FormatCode(*rows.formats, i)));
  }
}

absl::Status ResultMasker::OnRowDescription(std::string_view message) {
  RETURN_IF_ERROR(pgwire::ParseRowDescription(message.substr(kHeaderSize), &row_description_));
  const pgwire::RowDescription& rd = row_description_;
  kinds_.clear();
  for (const pgwire::FieldDescription& f : rd.fields)
    kinds_.push_back(KindOf(f.type_oid, f.format));
  if (!shape_) {
    // Rows no statement could be found for: at least their RowDescription is known.
    unknown_shape_.fields.clear();
    for (const pgwire::FieldDescription& f : rd.fields) {
      unknown_shape_.fields.push_back({f.table_oid, f.column_attnum, f.type_oid});
    }
    unknown_shape_.described = true;
    unknown_shape_.plan_stamp = 0;
  }
  return absl::OkStatus();
}

// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-COPY
absl::Status ResultMasker::OnCopyOut(std::string_view message, std::string* out) {
  ASSIGN_OR_RETURN(pgwire::CopyOutResponse response, Parse<pgwire::CopyOutResponse>(message));
  copy_ = Copy::kNone;
  copy_masks_.clear();
  if (!plan_.active()) {
    out->append(message);
    return absl::OkStatus();
  }
  bool by_column = false;
  if (plan_.columns()) {
    const std::vector<ColumnMask>& masks = MasksFor(shape_, response.column_formats.size());
    by_column = std::any_of(masks.begin(), masks.end(),
                            [](const ColumnMask& m) { return m.kind != ColumnMask::kNone; });
    if (by_column) copy_masks_ = masks;
  }
  if (plan_.withhold || (response.format != 0 && (plan_.content() || by_column))) {
    copy_ = Copy::kRefused;
    spdlog::info("session {}: {} COPY OUT refused while masking is on", session_id_,
                 plan_.withhold ? "a" : "a binary");
    out->append(pgwire::BuildErrorResponse(
        "ERROR", "42501",
        plan_.withhold ? "COPY is not allowed: the masking rules in force do not compile"
                       : "binary COPY is not allowed while masking is on",
        std::nullopt,
        plan_.withhold ? std::nullopt
                       : std::optional<std::string_view>("Use COPY in text or CSV format.")));
    return absl::OkStatus();
  }
  if (by_column) return OnCopyOutColumns(message, out);
  copy_ = plan_.content() ? Copy::kMasking : Copy::kPassing;
  out->append(message);
  return absl::OkStatus();
}

// https://www.postgresql.org/docs/15/protocol-message-formats.html (DataRow)
absl::Status ResultMasker::MaskDataRow(std::string_view message, std::string* out) {
  if (!plan_.active()) {
    out->append(message);
    return absl::OkStatus();
  }
  pgwire::BodyReader r('D', message.substr(kHeaderSize));
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount16("columns", 4, &n));
  values_.resize(n);
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(r.ReadNullableBytes(&values_[i]));
  RETURN_IF_ERROR(r.Finish());
  changes_.clear();
  change_text_.clear();
  const std::vector<ColumnMask>* masks = plan_.columns() ? &MasksFor(shape_, n) : nullptr;
  if (ledger_->rows().serial != kinds_serial_ &&
      ledger_->rows().source != RowsEncoding::kRowDescription) {
    KindsOfExecute(n);  // the rows of an Execute: as its Bind asked
  }
  for (size_t i = 0; i < n; ++i) {
    if (!values_[i]) continue;
    Change change{i, true, change_text_.size(), 0};
    if (plan_.withhold) {
      AddChange(&change, true);
    } else if (masks && (*masks)[i].kind != ColumnMask::kNone) {
      AddChange(&change, !MaskWhole((*masks)[i], *values_[i], &change_text_));
    } else if (plan_.content()) {
      MaskColumn(i < kinds_.size() ? kinds_[i] : ColumnKind::kText, *values_[i], &change);
    }
  }
  if (changes_.empty()) {
    out->append(message);
    return absl::OkStatus();
  }
  pgwire::MessageWriter w(out);
  w.Begin('D');
  w.AddInt16(static_cast<int16_t>(n));
  auto next = changes_.begin();
  for (size_t i = 0; i < n; ++i) {
    if (next != changes_.end() && next->column == i) {
      w.AddNullableBytes(
          next->null
              ? std::nullopt
              : std::optional<std::string_view>(
                    std::string_view(change_text_).substr(next->begin, next->end - next->begin)));
      ++next;
    } else {
      w.AddNullableBytes(values_[i]);
    }
  }
  w.End();
  return absl::OkStatus();
}

bool ResultMasker::MaskColumn(ColumnKind kind, std::string_view value, Change* change) {
  std::string_view prefix;
  if (kind == ColumnKind::kBinaryJsonb) {
    if (!value.empty() && value[0] == kJsonbVersion) {
      prefix = value.substr(0, 1);
      value.remove_prefix(1);
    } else {
      kind = ColumnKind::kBinaryOther;  // a jsonb version this code does not know
    }
  }
  masking::RuleSet::TextResult result = plan_.values->MaskText(value);
  if (result.outcome == TextOutcome::kUnchanged) return false;
  Count(result.fired);
  if (result.outcome == TextOutcome::kNull || kind == ColumnKind::kBinaryOther) {
    AddChange(change, true);  // cannot be rewritten in its type: NULL, never passed through
  } else {
    change_text_.append(prefix);
    change_text_.append(result.text);
    AddChange(change, false);
  }
  return true;
}

void ResultMasker::AddChange(Change* c, bool null) {
  c->null = null;
  c->end = change_text_.size();
  changes_.push_back(*c);
}

bool ResultMasker::MaskPlainText(std::string_view text, std::string* masked) {
  if (plan_.withhold) {
    masked->assign(masking::kRedactedText);
    return true;
  }
  // No rules when the policy changed in the middle of a COPY (a notice refreshed the plan).
  const masking::RuleSet* rules = plan_.text_rules();
  if (!rules) return false;
  masking::RuleSet::TextResult result = rules->MaskText(text);
  if (result.outcome == TextOutcome::kUnchanged) return false;
  Count(result.fired);
  // text_rules() has no NULL strategy; should one slip in, the whole text is redacted.
  *masked = result.outcome == TextOutcome::kNull ? std::string(masking::kRedactedText)
                                                 : std::move(result.text);
  return true;
}

// https://www.postgresql.org/docs/15/protocol-error-fields.html
absl::Status ResultMasker::MaskNoticeFields(std::string_view message, std::string* out) {
  if (!plan_.active()) {
    out->append(message);
    return absl::OkStatus();
  }
  const bool error = message[0] == 'E';
  pgwire::NoticeFields fields;
  if (error) {
    ASSIGN_OR_RETURN(fields, Parse<pgwire::ErrorResponse>(message));
  } else {
    ASSIGN_OR_RETURN(fields, Parse<pgwire::NoticeResponse>(message));
  }
  std::deque<std::string> masked;  // stable addresses for the views below
  if (plan_.columns()) {
    if (auto reason = WithheldReason(fields)) {
      std::erase_if(fields.fields,
                    [](const pgwire::NoticeField& f) { return !KeptWhenWithheld(f.code); });
      fields.fields.push_back(
          {'M', masked.emplace_back(absl::StrCat("message withheld: ", *reason,
                                                 ", and it could show a masked value"))});
    }
  }
  for (pgwire::NoticeField& f : fields.fields) {
    if (FieldCarriesNoData(f.code)) continue;
    std::string text;
    if (!MaskPlainText(f.value, &text)) continue;
    f.value = masked.emplace_back(std::move(text));
  }
  if (masked.empty()) {
    out->append(message);
  } else if (error) {
    pgwire::Encode(pgwire::ErrorResponse{std::move(fields)}, out);
  } else {
    pgwire::Encode(pgwire::NoticeResponse{std::move(fields)}, out);
  }
  return absl::OkStatus();
}

absl::Status ResultMasker::MaskNotification(std::string_view message, std::string* out) {
  if (!plan_.active()) {
    out->append(message);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(pgwire::NotificationResponse n, Parse<pgwire::NotificationResponse>(message));
  std::string payload;
  if (plan_.columns() && !plan_.withhold && !n.payload.empty()) {
    // Any session may notify with any value (a trigger's pg_notify(..., NEW.name)), and a
    // payload has no column to trace: under column rules it is of unknown origin, redacted
    // whole (counted under the first column rule). The channel stays, so it still signals.
    CountOne(first_column_rule_);
    n.payload = masking::kRedactedText;
    pgwire::Encode(n, out);
    return absl::OkStatus();
  }
  if (!MaskPlainText(n.payload, &payload)) {
    out->append(message);
    return absl::OkStatus();
  }
  n.payload = payload;
  pgwire::Encode(n, out);
  return absl::OkStatus();
}

void ResultMasker::MaskCopyData(std::string_view message, std::string* out) {
  const std::string_view text = message.substr(kHeaderSize);
  if (copy_ == Copy::kMasking && !copy_masks_.empty()) {
    // By column: the CopyData is written straight into *out, its length patched after.
    pgwire::MessageWriter w(out);
    w.Begin('d');
    MaskCopyRow(text, out);
    w.End();
    return;
  }
  // Outside a COPY the server should send none. If it does: redacted whole where its origin
  // matters (column rules, withheld results), else scanned like any other text.
  if (copy_ == Copy::kNone && (plan_.withhold || plan_.columns()) && !text.empty()) {
    if (plan_.columns()) CountOne(first_column_rule_);
    pgwire::Encode(pgwire::CopyData{masking::kRedactedText}, out);
    return;
  }
  if ((copy_ == Copy::kMasking || copy_ == Copy::kNone) && MaskPlainText(text, &copy_row_)) {
    pgwire::Encode(pgwire::CopyData{copy_row_}, out);
    return;
  }
  out->append(message);
}

}  // namespace warden::agent
