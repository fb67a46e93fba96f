// ResultMasker's column rules: following the client's statements, the catalog snapshot, and
// masking DataRow values and COPY rows by column (result_masker.h).
#include <algorithm>

#include "agent/postgres/copy_row.h"
#include "agent/postgres/result_masker.h"
#include "agent/postgres/withheld_texts.h"
#include "common/log/log.h"
#include "common/masking/strategies.h"
#include "common/pgwire/pgwire.h"

namespace warden::agent {

absl::Status ResultMasker::Frontend(std::string_view in) {
  return FeedClientBytes(in, frontend_walker_, *ledger_);
}

std::string ResultMasker::OnIdle() {
  Refresh();
  if (!plan_.columns() || loader_.in_flight() || txn_status_ != 'I') return {};
  const auto now = std::chrono::steady_clock::now();
  const auto plan = static_cast<int64_t>(plan_generation_);
  if (catalog_version_ == plan) {
    if (catalog_ && !catalog_stale_ && now - catalog_at_ < kCatalogMaxAge) return {};
    if (!catalog_ && now - catalog_at_ < kCatalogRetry) return {};  // failed a moment ago
  }
  std::string sql = MaskingCatalogQuery(plan_.rules);
  if (sql.empty()) return {};
  catalog_version_ = plan;
  catalog_stale_ = false;
  return loader_.Start(sql);
}

void ResultMasker::ForgetCatalog() {
  catalog_.reset();
  ++generation_;
}

void ResultMasker::OnCatalogLoaded() {
  catalog_at_ = std::chrono::steady_clock::now();
  ForgetCatalog();
  if (catalog_version_ != static_cast<int64_t>(plan_generation_) || !plan_.values) {
    catalog_version_ = -2;  // the rules changed meanwhile: load again for the new ones
  } else if (!loader_.status().ok()) {
    spdlog::warn("session {}: {}; columns are masked as of unknown origin until it loads",
                 session_id_, loader_.status().message());
  } else {
    auto built = MaskingCatalog::Build(loader_.rows(), *plan_.values);
    if (built.ok()) {
      catalog_.emplace(*std::move(built));
      spdlog::debug("session {}: masking catalog loaded ({} relations)", session_id_,
                    catalog_->relations());
    } else {
      spdlog::warn(
          "session {}: masking catalog unusable ({}); columns are masked as of "
          "unknown origin",
          session_id_, built.status().message());
    }
  }
  loader_.Clear();
}

void ResultMasker::OnCommandComplete(std::string_view message) {
  // https://www.postgresql.org/docs/15/protocol-message-formats.html (CommandComplete): DDL
  // tags name the command. Tables, views and columns may have changed: reload when idle.
  const std::string_view tag = message.substr(pgwire::kHeaderSize);
  auto starts = [&tag](std::string_view prefix) { return tag.substr(0, prefix.size()) == prefix; };
  if (starts("CREATE ") || starts("ALTER ") || starts("DROP ") || starts("IMPORT ")) {
    // Until the reload, relations the snapshot does not list may be new ones (a view over a
    // masked column): MasksFor() then plans without the snapshot, failing closed.
    if (!catalog_stale_) ++generation_;
    catalog_stale_ = true;
  }
}

const std::vector<ColumnMask>& ResultMasker::MasksFor(ResultShape* shape, size_t ncolumns) {
  ResultShape* s = shape ? shape : &unknown_shape_;
  if (s->plan_stamp == generation_ && s->masks.size() == ncolumns) return s->masks;
  static const std::vector<ResultField> kNoFields;
  const bool described = s->described && s->fields.size() == ncolumns;
  s->masks = PlanColumnMasks(described ? s->fields : kNoFields, ncolumns, s->lineage.get(),
                             catalog_ && !catalog_stale_ ? &*catalog_ : nullptr, *plan_.values);
  s->plan_stamp = generation_;
  return s->masks;
}

std::optional<std::string> ResultMasker::WithheldReason(const pgwire::NoticeFields& fields) {
  if (notice_shape_ && notice_shape_->refusal) return std::nullopt;  // Warden's own denial
  std::string_view sqlstate;
  bool has_position = false;
  for (const pgwire::NoticeField& f : fields.fields) {
    if (f.code == 'C') sqlstate = f.value;
    has_position |= f.code == 'P';
  }
  const sql::ClassifiedStatement* statement =
      plan_.columns() && notice_shape_ ? notice_shape_->classified.get() : nullptr;
  const MaskingCatalog* catalog = catalog_ && !catalog_stale_ ? &*catalog_ : nullptr;
  auto reason = agent::WithholdReason(sqlstate, has_position, statement, catalog, *plan_.values);
  for (size_t i = 0; !reason && plan_.columns() && i < notice_committed_.size(); ++i) {
    reason = agent::WithholdReason(sqlstate, has_position, notice_committed_[i].get(), catalog,
                                   *plan_.values);
  }
  if (reason) {
    spdlog::info("session {}: the texts of an error or notice ({}) withheld: {}", session_id_,
                 sqlstate, *reason);
  }
  return reason;
}

bool ResultMasker::MaskWhole(const ColumnMask& mask, std::string_view value, std::string* out) {
  const masking::RuleSet& rules = *plan_.values;
  if (mask.kind == ColumnMask::kRule) {
    CountOne(mask.rule);
    // A value not of a text type cannot be written in its type: NULL.
    return mask.text && rules.MaskValue(rules.rules()[mask.rule], value, out);
  }
  // Of unknown origin: redacted whole, counted under the first column rule.
  CountOne(first_column_rule_);
  if (!mask.text) return false;
  out->append(masking::kRedactedText);
  return true;
}

absl::Status ResultMasker::OnCopyOutColumns(std::string_view message, std::string* out) {
  using CopyFormat = sql::StatementLineage::CopyFormat;
  const sql::StatementLineage* lineage = shape_ ? shape_->lineage.get() : nullptr;
  const CopyFormat format = lineage ? lineage->copy_format : CopyFormat::kOther;
  if (format != CopyFormat::kText && format != CopyFormat::kCsv) {
    copy_ = Copy::kRefused;
    copy_masks_.clear();
    spdlog::info("session {}: a COPY OUT of masked columns refused: not in a default format",
                 session_id_);
    out->append(pgwire::BuildErrorResponse(
        "ERROR", "42501",
        "COPY of masked columns is only allowed in the default text or CSV format", std::nullopt,
        std::optional<std::string_view>(
            "Drop the DELIMITER, NULL, QUOTE, ESCAPE, FORCE_QUOTE and HEADER options (CSV may "
            "keep HEADER).")));
    return absl::OkStatus();
  }
  copy_ = Copy::kMasking;
  copy_csv_ = format == CopyFormat::kCsv;
  copy_header_ = copy_csv_ && lineage->copy_header;
  // COPY carries no types: masked values are written as the strategy's text.
  copy_masked_.assign(copy_masks_.size(), false);
  for (size_t i = 0; i < copy_masks_.size(); ++i) {
    copy_masks_[i].text = true;
    copy_masked_[i] = copy_masks_[i].kind != ColumnMask::kNone;
  }
  out->append(message);
  return absl::OkStatus();
}

void ResultMasker::MaskCopyRow(std::string_view row, std::string* out) {
  const size_t at = out->size();
  if (copy_header_) {
    copy_header_ = false;  // column names
    out->append(MaskPlainText(row, &copy_row_) ? std::string_view(copy_row_) : row);
    return;
  }
  auto mask = [this](size_t i, std::string_view value, std::string* o) {
    return MaskWhole(copy_masks_[i], value, o);
  };
  if (!RewriteCopyRow(row, copy_csv_, copy_masked_, mask, out)) {
    // Not a row this code can split: no value of it passes (a row of NULLs).
    out->resize(at);
    for (size_t i = 0; i < copy_masks_.size(); ++i) {
      if (copy_csv_) {
        if (i > 0) out->push_back(',');
      } else {
        out->append(i > 0 ? "\t\\N" : "\\N");
      }
    }
    out->push_back('\n');
  }
  // Content rules, the second line, on the row as rewritten.
  if (plan_.content() && MaskPlainText(std::string_view(*out).substr(at), &copy_row_)) {
    out->resize(at);
    out->append(copy_row_);
  }
}

}  // namespace warden::agent
