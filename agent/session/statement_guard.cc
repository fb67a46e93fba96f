#include "agent/session/statement_guard.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/log/log.h"
#include "common/pgwire/pgwire.h"
#include "common/sql/column_lineage.h"

namespace warden::agent {

namespace {

constexpr size_t kHeaderSize = pgwire::kHeaderSize;
// Server error messages larger than this are passed through rather than held.
constexpr size_t kMaxHeldError = 1 << 20;

// Query, Parse and FunctionCall are decided; Bind, Execute and Close are followed for the
// Execute re-check.
bool HoldFrontend(char tag, uint32_t) {
  return tag == 'Q' || tag == 'P' || tag == 'F' || tag == 'B' || tag == 'E' || tag == 'C';
}

// The first C string of a message body, and what follows it.
std::string_view CString(std::string_view* body) {
  size_t nul = body->find('\0');
  if (nul == std::string_view::npos) nul = body->size();
  std::string_view s = body->substr(0, nul);
  body->remove_prefix(std::min(body->size(), nul + 1));
  return s;
}

}  // namespace

StatementGuard::StatementGuard(const PolicyHolder& policy, sql::ClassifierCache& cache,
                               policy::Subject subject, std::string session_id,
                               DecisionCounters* decisions)
    : policy_(policy),
      cache_(cache),
      subject_(std::move(subject)),
      session_id_(std::move(session_id)),
      decisions_(decisions),
      marker_prefix_(
          absl::StrCat("warden_denied_", absl::BytesToHexString(crypto::RandomBytes(8)), "_")) {}

absl::Status StatementGuard::Frontend(std::string_view in, std::string* out) {
  return WalkMessages(
      in, out, kMaxHeldMessage, pgwire::IsFrontendTag, HoldFrontend,
      [this](std::string_view m, std::string* o) { return DecideFrontendMessage(m, o); },
      frontend_);
}

absl::Status StatementGuard::Backend(std::string_view in, std::string* out) {
  // While no denial is outstanding nothing is held: ErrorResponses pass like everything else.
  // A server error larger than kMaxHeldError cannot be one of ours (ours are short).
  auto hold = [this](char tag, uint32_t length) {
    return tag == 'E' && !pending_.empty() && length - 4 <= kMaxHeldError;
  };
  auto any = [](char) { return true; };
  return WalkMessages(
      in, out, SIZE_MAX, any, hold,
      [this](std::string_view m, std::string* o) {
        DecideBackendMessage(m, o);
        return absl::OkStatus();
      },
      backend_);
}

bool StatementGuard::Denied(std::string_view sql, std::string* denial) {
  std::shared_ptr<const sql::ClassifiedBatch> batch = cache_.Get(sql);
  bool executes = std::any_of(batch->statements.begin(), batch->statements.end(),
                              [](const auto& s) { return s.command_tag == "EXECUTE"; });
  if (executes && !prepared_.empty()) {
    batch = std::make_shared<const sql::ClassifiedBatch>(sql::Classify(sql, &prepared_));
  }
  PolicySnapshotPtr snapshot = policy_.Current();
  policy::Decision d;
  if (!snapshot) {
    d.action = v1::ACTION_DENY;
    d.rule = "no-policy";
    d.message = "no policy has reached this agent yet; nothing is allowed";
  } else {
    d = policy::Evaluate(*snapshot, subject_, *batch);
  }
  if (d.action == v1::ACTION_ALLOW && snapshot && UnknownLineageDenied(*snapshot, sql, &d)) {
    d.action = v1::ACTION_DENY;
  }
  Tally(d.policy, d.rule, d.action);
  if (d.action == v1::ACTION_ALLOW) {
    bool tracks = std::any_of(
        batch->statements.begin(), batch->statements.end(),
        [](const auto& s) { return s.command_tag == "PREPARE" || s.command_tag == "DEALLOCATE"; });
    if (tracks) sql::TrackPrepared(sql, &prepared_);
    return false;
  }
  // The fingerprint, never the text: literals may be personal data.
  spdlog::info("session {}: {} denied for {} by policy \"{}\" rule \"{}\" (fingerprint {:016x})",
               session_id_,
               d.action == v1::ACTION_REQUIRE_APPROVAL ? "statement needing approval" : "statement",
               subject_.identity, d.policy, d.rule, batch->fingerprint);
  *denial = d.action == v1::ACTION_REQUIRE_APPROVAL
                ? absl::StrCat(d.message, " (approvals are not available yet, so it is refused)")
                : d.message;
  return true;
}

bool StatementGuard::UnknownLineageDenied(const v1::PolicySnapshot& snapshot, std::string_view sql,
                                          policy::Decision* d) {
  if (deny_unknown_version_ != snapshot.version()) {
    deny_unknown_version_ = snapshot.version();
    deny_unknown_policy_.clear();
    for (const v1::Policy* p : policy::ApplicablePolicies(snapshot, subject_)) {
      const bool columns = std::any_of(p->masking().begin(), p->masking().end(),
                                       [](const auto& r) { return !r.columns().empty(); });
      if (columns && p->masking_unknown() == v1::UNKNOWN_LINEAGE_DENY) {
        deny_unknown_policy_ = p->name();
        break;
      }
    }
  }
  if (deny_unknown_policy_.empty()) return false;
  const sql::LineageResult lineage = sql::AnalyzeLineage(sql);
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

void StatementGuard::Tally(std::string_view policy, std::string_view rule, v1::Action action) {
  ++(action == v1::ACTION_ALLOW ? counters_.allowed : counters_.denied);
  if (decisions_) decisions_->Count(policy, rule, action);
}

int64_t StatementGuard::CurrentVersion() const {
  PolicySnapshotPtr snapshot = policy_.Current();
  return snapshot ? snapshot->version() : -1;
}

void StatementGuard::OnBind(std::string_view message) {
  std::string_view body = message.substr(kHeaderSize);
  std::string portal(CString(&body));
  std::string statement(CString(&body));
  if (portals_.size() >= kMaxTracked) portals_.clear();
  portals_[portal] = statement;
}

void StatementGuard::OnExecute(std::string_view message, std::string* out) {
  std::string_view body = message.substr(kHeaderSize);
  std::string portal(CString(&body));
  auto p = portals_.find(portal);
  auto s = p == portals_.end() ? statements_.end() : statements_.find(p->second);
  int64_t now = CurrentVersion();
  if (s == statements_.end() || s->second.version == now) {
    out->append(message);
    return;
  }
  std::string denial;
  if (!Denied(s->second.sql, &denial)) {
    s->second.version = now;
    out->append(message);
    return;
  }
  // A portal that cannot exist: the server fails this Execute and discards until Sync.
  out->append(pgwire::BuildExecute(NewMarker(std::move(denial))));
}

std::string StatementGuard::NewMarker(std::string denial) {
  std::string marker = absl::StrCat(marker_prefix_, next_denial_++);
  pending_.emplace_back(marker, std::move(denial));
  if (pending_.size() > kMaxPendingDenials) pending_.pop_front();
  return marker;
}

absl::Status StatementGuard::DecideFrontendMessage(std::string_view message, std::string* out) {
  auto frame = pgwire::DecodeFrame(message, kMaxHeldMessage + 4);
  if (!frame.has_message()) return absl::InvalidArgumentError("malformed client message");
  // Bind and Execute come with every extended-protocol query: they are followed from their
  // leading names alone, without decoding parameters.
  switch (frame.message().tag) {
    case 'B':
      OnBind(message);
      out->append(message);
      return absl::OkStatus();
    case 'E':
      OnExecute(message, out);
      return absl::OkStatus();
    case 'F':
      return DenyFunctionCall(out);
    default:
      break;
  }
  auto parsed = pgwire::ParseFrontend(frame.message());
  if (!parsed.ok()) return parsed.status();
  std::string denial;
  if (auto* q = std::get_if<pgwire::Query>(&*parsed)) {
    if (!Denied(q->sql, &denial)) {
      out->append(message);
      return absl::OkStatus();
    }
    out->append(pgwire::BuildQuery(absl::StrCat("SELECT NULL::\"", NewMarker(denial), "\"")));
    return absl::OkStatus();
  }
  if (auto* p = std::get_if<pgwire::Parse>(&*parsed)) {
    if (!Denied(p->query, &denial)) {
      if (statements_.size() >= kMaxTracked) statements_.clear();
      statements_[std::string(p->name)] = Statement{std::string(p->query), CurrentVersion()};
      out->append(message);
      return absl::OkStatus();
    }
    statements_.erase(std::string(p->name));
    out->append(
        pgwire::BuildParse(p->name, absl::StrCat("SELECT NULL::\"", NewMarker(denial), "\"")));
    return absl::OkStatus();
  }
  if (auto* c = std::get_if<pgwire::Close>(&*parsed)) {
    if (c->kind == 'S') statements_.erase(std::string(c->name));
    if (c->kind == 'P') portals_.erase(std::string(c->name));
  }
  out->append(message);
  return absl::OkStatus();
}

// FunctionCall (fast path) names a function by OID, which policy cannot see by name: refused.
// A failing Query gives the client what it expects: ErrorResponse, then ReadyForQuery.
absl::Status StatementGuard::DenyFunctionCall(std::string* out) {
  Tally("", "fast-path-function-call", v1::ACTION_DENY);
  spdlog::info("session {}: fast-path function call denied for {}", session_id_, subject_.identity);
  out->append(pgwire::BuildQuery(absl::StrCat(
      "SELECT NULL::\"",
      NewMarker("fast-path function calls are not allowed through Warden: call the function "
                "in a statement"),
      "\"")));
  return absl::OkStatus();
}

void StatementGuard::DecideBackendMessage(std::string_view message, std::string* out) {
  auto frame = pgwire::DecodeFrame(message, kMaxHeldError + 4);
  auto parsed = frame.has_message() ? pgwire::ParseBackend(frame.message())
                                    : absl::StatusOr<pgwire::BackendMessage>(frame.status());
  auto* err = parsed.ok() ? std::get_if<pgwire::ErrorResponse>(&*parsed) : nullptr;
  if (err) {
    std::string_view text = err->message();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (text.find(it->first) == std::string_view::npos) continue;
      out->append(pgwire::BuildErrorResponse("ERROR", "42501", it->second));
      // Earlier denials were skipped by the server (already discarding until Sync).
      pending_.erase(pending_.begin(), it + 1);
      return;
    }
  }
  out->append(message);
}

}  // namespace warden::agent
