#include "agent/enforcement/statement_decider.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/sql/classify/function_effects.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

namespace {

constexpr const char* kStatementSizeRule = "statement-size";

}  // namespace

StatementDecider::StatementDecider(policy::Subject subject, std::string session_id,
                                   sql::ClassifierCache& cache, DecisionCounters* decisions)
    : subject_(std::move(subject)),
      session_id_(std::move(session_id)),
      cache_(cache),
      decisions_(decisions) {}

Verdict StatementDecider::TooLarge(std::string_view sql) {
  // Refused before it is parsed: parsing is the costly part, and it runs on a thread other
  // sessions share.
  static const auto* const kNotParsed = new std::shared_ptr<const sql::ClassifiedBatch>(
      std::make_shared<const sql::ClassifiedBatch>());
  Verdict v;
  v.batch = *kNotParsed;
  v.kind = Verdict::Kind::kDeny;
  v.decision.action = v1::ACTION_DENY;
  v.decision.rule = kStatementSizeRule;
  v.decision.message =
      absl::StrCat("denied by Warden rule \"", kStatementSizeRule, "\": the statement is ",
                   sql.size(), " bytes, more than this agent's limit of ", max_statement_bytes_,
                   " (--max-statement-bytes): split it, or send data with COPY");
  v.denial = v.decision.message;
  Tally(v.decision.policy, v.decision.rule, v.decision.action);
  spdlog::info("session {}: statement of {} bytes refused for {}", session_id_, sql.size(),
               subject_.identity);
  return v;
}

Verdict StatementDecider::Decide(std::string_view sql,
                                 const std::shared_ptr<const v1::PolicySnapshot>& snapshot,
                                 SessionView& session, std::optional<HoldRelease>* release) {
  if (sql.size() > max_statement_bytes_) return TooLarge(sql);
  Verdict v;
  std::string why_write;  // why a read counts as a write (function_catalog.h)
  v.batch = WithCatalogEffects(session.Classify(sql), session, &why_write);
  policy::Decision d;
  if (ProtocolRefusal refusal = session.ProtocolProblem(sql, *v.batch); !refusal.rule.empty()) {
    d.action = v1::ACTION_DENY;
    d.rule = std::move(refusal.rule);
    d.message = std::move(refusal.message);
  } else if (!snapshot) {
    d.action = v1::ACTION_DENY;
    d.rule = "no-policy";
    d.message = "no policy has reached this agent yet; nothing is allowed";
  } else {
    d = policy::Evaluate(Applicable(snapshot), subject_, *v.batch);
  }
  if (d.action == v1::ACTION_ALLOW && snapshot &&
      (ComputedSettingDenied(*snapshot, *v.batch, &d) ||
       UnknownLineageDenied(*snapshot, sql, &d))) {
    d.action = v1::ACTION_DENY;
  }
  if (release != nullptr && release->has_value()) {
    HoldRelease r = std::move(**release);
    release->reset();
    if (d.action != v1::ACTION_DENY) return Released(std::move(v), std::move(r));
  }
  Tally(d.policy, d.rule, d.action);
  if (d.action == v1::ACTION_ALLOW) return v;
  if (!why_write.empty())
    absl::StrAppend(&d.message, " (this statement counts as a write: ", why_write, ")");
  const bool hold = d.action == v1::ACTION_REQUIRE_APPROVAL && holds_enabled_;
  // The fingerprint, never the text: literals may be personal data. Whether a statement that
  // needs approval is held is the adapter's to say (a Parse of it passes; its Execute is held).
  spdlog::info("session {}: {} for {} by policy \"{}\" rule \"{}\" (fingerprint {:016x})",
               session_id_,
               hold                                      ? "statement needs approval"
               : d.action == v1::ACTION_REQUIRE_APPROVAL ? "statement needing approval denied"
                                                         : "statement denied",
               subject_.identity, d.policy, d.rule, v.batch->fingerprint);
  v.kind = hold ? Verdict::Kind::kHold : Verdict::Kind::kDeny;
  v.denial =
      d.action == v1::ACTION_REQUIRE_APPROVAL && !hold
          ? absl::StrCat(d.message, " (this agent cannot ask for approvals, so it is refused)")
          : d.message;
  v.decision = std::move(d);
  return v;
}

// A held statement dispatched again: the releaser decides (a policy that now denies it still
// wins). Counted when it was held.
Verdict StatementDecider::Released(Verdict v, HoldRelease r) {
  if (r.forward) {
    v.kind = Verdict::Kind::kAllow;
    return v;
  }
  v.kind = Verdict::Kind::kDeny;
  v.sqlstate = std::move(r.sqlstate);
  v.denial = std::move(r.message);
  return v;
}

void StatementDecider::Tally(std::string_view policy, std::string_view rule, v1::Action action) {
  ++(action == v1::ACTION_ALLOW ? counters_.allowed : counters_.denied);
  if (decisions_) decisions_->Count(policy, rule, action);
}

std::shared_ptr<const sql::ClassifiedBatch> StatementDecider::WithCatalogEffects(
    std::shared_ptr<const sql::ClassifiedBatch> batch, const SessionView& session,
    std::string* why) const {
  static const FunctionCatalog* const kNone = new FunctionCatalog(*FunctionCatalog::Build({}));
  const FunctionCatalog* functions = session.functions();
  const FunctionCatalog& catalog = functions ? *functions : *kNone;
  const bool stale = !functions || session.functions_stale();
  std::shared_ptr<sql::ClassifiedBatch> raised;
  for (size_t i = 0; i < batch->statements.size(); ++i) {
    const sql::ClassifiedStatement& s = batch->statements[i];
    const v1::StatementClass write =
        sql::RaiseClass(s.statement_class, sql::FunctionEffect::kWritesData);
    if (write == s.statement_class) continue;  // already a write or more
    std::string reason = catalog.PossibleWrite(s, stale);
    if (reason.empty()) continue;
    if (!raised) raised = std::make_shared<sql::ClassifiedBatch>(*batch);
    raised->statements[i].statement_class = write;
    if (why->empty()) *why = std::move(reason);
  }
  if (!raised) return batch;
  return raised;
}

const std::vector<const v1::Policy*>& StatementDecider::Applicable(
    const std::shared_ptr<const v1::PolicySnapshot>& snapshot) {
  if (applicable_in_ != snapshot) {
    applicable_ = policy::ApplicablePolicies(*snapshot, subject_);
    applicable_in_ = snapshot;
  }
  return applicable_;
}

void StatementDecider::RefreshMaskingFacts(const v1::PolicySnapshot& snapshot) {
  if (masking_facts_version_ == snapshot.version()) return;
  masking_facts_version_ = snapshot.version();
  deny_unknown_policy_.clear();
  masking_policy_.clear();
  for (const v1::Policy* p : policy::ApplicablePolicies(snapshot, subject_)) {
    if (masking_policy_.empty() && !p->masking().empty()) masking_policy_ = p->name();
    const bool columns = std::any_of(p->masking().begin(), p->masking().end(),
                                     [](const auto& r) { return !r.columns().empty(); });
    if (deny_unknown_policy_.empty() && columns &&
        p->masking_unknown() == v1::UNKNOWN_LINEAGE_DENY) {
      deny_unknown_policy_ = p->name();
    }
  }
}

const std::string& StatementDecider::MaskingPolicy(const v1::PolicySnapshot& snapshot) {
  RefreshMaskingFacts(snapshot);
  return masking_policy_;
}

bool StatementDecider::ComputedSettingDenied(const v1::PolicySnapshot& snapshot,
                                             const sql::ClassifiedBatch& batch,
                                             policy::Decision* d) {
  RefreshMaskingFacts(snapshot);
  if (masking_policy_.empty()) return false;
  for (const sql::ClassifiedStatement& s : batch.statements) {
    for (const sql::SettingChange& c : s.settings) {
      if (c.value != sql::SettingChange::Value::kComputed ||
          c.scope == sql::SettingChange::Scope::kFunction) {
        continue;
      }
      d->policy = masking_policy_;
      d->rule = "masked-values";
      d->message = absl::StrCat(
          "denied by policy \"", masking_policy_,
          "\" rule \"masked-values\": this policy masks "
          "result values, and setting ",
          c.name.empty() ? "a setting" : c.name,
          " to a computed value could carry one out through the server's settings "
          "(ParameterStatus, SHOW, current_setting(), pg_stat_activity): set it to a literal");
      return true;
    }
  }
  return false;
}

bool StatementDecider::UnknownLineageDenied(const v1::PolicySnapshot& snapshot,
                                            std::string_view sql, policy::Decision* d) {
  RefreshMaskingFacts(snapshot);
  if (deny_unknown_policy_.empty()) return false;
  const std::shared_ptr<const sql::StatementAnalysis> analysis = cache_.Analysis(sql);
  const sql::LineageResult& lineage = analysis->lineage;
  std::string column;
  bool unknown = !lineage.parsed;
  for (const sql::StatementLineage& s : lineage.statements) {
    if (unknown) break;
    // Rows it sends, or that a cursor or prepared statement it creates will send.
    const bool rows = s.returns_rows ? s.outputs.size() > 0 || s.opaque
                                     : !s.cursor.empty() || !s.prepared.empty();
    if (!rows) continue;
    if (s.opaque) {
      unknown = true;
      break;
    }
    for (const sql::OutputLineage& o : s.outputs) {
      if (o.unknown) {
        unknown = true;
        column = o.name;
        break;
      }
    }
  }
  if (!unknown) return false;
  d->policy = deny_unknown_policy_;
  d->rule = "masking_unknown";
  d->message = absl::StrCat("policy \"", deny_unknown_policy_,
                            "\" masks columns, and masking cannot tell what feeds ",
                            column.empty() ? std::string("this statement's result")
                                           : absl::StrCat("result column \"", column, "\""),
                            " (a function it cannot see into?): masking_unknown: deny refuses it");
  return true;
}

}  // namespace warden::agent
