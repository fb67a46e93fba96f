#include "agent/postgres/statement_guard.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/crypto/token.h"
#include "common/log/log.h"
#include "common/pgwire/pgwire.h"
#include "common/sql/classify/parser_settings.h"

namespace warden::agent {

namespace {

constexpr size_t kHeaderSize = pgwire::kHeaderSize;
// Server error messages larger than this are passed through rather than held.
constexpr size_t kMaxHeldError = 1 << 20;

// Query, Parse and FunctionCall are decided; the other messages are followed for the Execute
// re-check and entered in the request ledger whole. COPY data is streamed past.
bool HoldFrontend(char tag, uint32_t) { return tag != 'd'; }

constexpr const char* kParserSettingsRule = "parser-settings";

bool ChangesPrepared(const sql::ClassifiedBatch& batch) {
  return std::any_of(batch.statements.begin(), batch.statements.end(), [](const auto& s) {
    return s.command_tag == "PREPARE" || absl::StartsWith(s.command_tag, "DEALLOCATE") ||
           s.command_tag == "DISCARD ALL";
  });
}

bool OnlyPrepares(const sql::ClassifiedBatch& batch) {
  return !batch.statements.empty() &&
         std::all_of(batch.statements.begin(), batch.statements.end(),
                     [](const auto& s) { return s.command_tag == "PREPARE"; });
}

RequestNote NoteOf(LedgerEffect e) {
  RequestNote note;
  if (e.kind != LedgerEffect::Kind::kNone) note.effects.push_back(std::move(e));
  return note;
}

// The ledger's note for a denial's stand-in.
RequestNote Refusal(const Verdict& v) {
  return RequestNote{RequestAction::kReplaceError, v.decision.rule};
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
      session_id_(session_id),
      decider_(std::move(subject), std::move(session_id), cache, decisions) {
  own_ledger_.set_analysis_cache(&cache_);
  own_ledger_.set_listener(this);
}

void StatementGuard::UseLedger(RequestLedger* ledger) {
  ledger_ = ledger;
  ledger_->set_analysis_cache(&cache_);
  ledger_->set_listener(this);
}

absl::Status StatementGuard::Frontend(std::string_view in, std::string* out) {
  changes_before_bytes_ = catalog_changes_;
  // While a statement is held, every message behind it is kept whole for the hold.
  auto hold = [this](char tag, uint32_t length) {
    return hold_.active() || HoldFrontend(tag, length);
  };
  return WalkMessages(
      in, out, kMaxHeldMessage, pgwire::IsFrontendTag, hold,
      [this](std::string_view m, std::string* o) { return DecideFrontendMessage(m, o); },
      frontend_);
}

absl::Status StatementGuard::Backend(std::string_view in, std::string* out) {
  // While no denial is outstanding nothing is held: ErrorResponses pass like everything else.
  // A server error larger than kMaxHeldError cannot be one of ours (ours are short).
  // ParameterStatus is held too: every one is checked against what the classifier assumes.
  // ReadyForQuery is held for the transaction status; all of the function catalog's answer.
  auto hold = [this](char tag, uint32_t length) {
    return (tag == 'E' && !markers_.empty() && length - 4 <= kMaxHeldError) || tag == 'S' ||
           tag == 'Z' || function_loader_.in_flight() || estimate_loader_.in_flight();
  };
  auto any = [](char) { return true; };
  return WalkMessages(
      in, out, kMaxHeldError, any, hold,
      [this](std::string_view m, std::string* o) {
        if (estimate_loader_.in_flight() && OnEstimateMessage(m, o)) return absl::OkStatus();
        if (function_loader_.in_flight() && OnFunctionCatalogMessage(m)) return absl::OkStatus();
        if (m[0] == 'Z' && m.size() > kHeaderSize) txn_status_ = m[kHeaderSize];
        if (m[0] == 'S') {
          if (auto st = CheckParameterStatus(m); !st.ok()) return st;
          o->append(m);
          return absl::OkStatus();
        }
        DecideBackendMessage(m, o);
        return absl::OkStatus();
      },
      backend_);
}

absl::Status StatementGuard::CheckParameterStatus(std::string_view message) {
  auto frame = pgwire::DecodeFrame(message, kMaxHeldError + 4);
  auto parsed = frame.has_message() ? pgwire::ParseBackend(frame.message())
                                    : absl::StatusOr<pgwire::BackendMessage>(frame.status());
  auto* ps = parsed.ok() ? std::get_if<pgwire::ParameterStatus>(&*parsed) : nullptr;
  if (ps == nullptr) return absl::InvalidArgumentError("malformed ParameterStatus");
  std::string problem = sql::LexingSettingProblem(ps->name, ps->value);
  if (problem.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("Warden ended the session: the database reports ", std::string(ps->name), "=",
                   std::string(ps->value),
                   ", and Warden no longer reads statements as the database does (", problem, ")"));
}

void StatementGuard::OnReadyForQuery(char status) {
  if ((status != '\0' ? status : txn_status_) == 'I') portals_.clear();
}

absl::Status StatementGuard::Emit(std::string_view message, RequestNote note, std::string* out) {
  out->append(message);
  if (!ledger_->OnClientMessage(message[0], message.substr(kHeaderSize), std::move(note))) {
    return absl::ResourceExhaustedError("too many requests sent without reading their results");
  }
  return absl::OkStatus();
}

std::shared_ptr<const sql::ClassifiedBatch> StatementGuard::Classify(std::string_view sql) {
  last_analysis_ = cache_.Analysis(sql);
  std::shared_ptr<const sql::ClassifiedBatch> batch(last_analysis_, &last_analysis_->classified);
  bool executes = std::any_of(batch->statements.begin(), batch->statements.end(),
                              [](const auto& s) { return s.command_tag == "EXECUTE"; });
  if (!executes || (prepared_.empty() && statements_.empty() && ledger_->size() == 0)) {
    return batch;
  }
  // A name an unconfirmed PREPARE or DEALLOCATE may change is unknown until the server answers:
  // EXECUTE of it is opaque.
  const std::vector<std::string> pending = ledger_->PendingPreparedNames();
  sql::PreparedStatements known;
  if (std::find(pending.begin(), pending.end(), "") == pending.end()) {
    known = prepared_;
    for (const std::string& name : pending) known.erase(name);
    // One namespace: SQL EXECUTE runs statements made by Parse too, as the text they parsed.
    for (const sql::StatementLineage& l : last_analysis_->lineage.statements) {
      if (l.prepared.empty() || known.contains(l.prepared) ||
          std::find(pending.begin(), pending.end(), l.prepared) != pending.end()) {
        continue;
      }
      std::optional<StatementView> parsed = NamedStatement(ServerName(l.prepared));
      if (!parsed || parsed->sql.empty()) continue;
      std::shared_ptr<const sql::StatementAnalysis> a = cache_.Analysis(parsed->sql);
      if (a->classified.statements.size() == 1) known[l.prepared] = a->classified.statements[0];
    }
  }
  return std::make_shared<const sql::ClassifiedBatch>(sql::Classify(sql, &known));
}

ProtocolRefusal StatementGuard::ProtocolProblem(std::string_view sql,
                                                const sql::ClassifiedBatch& batch) {
  std::string problem;
  if (parsing_ && (ledger_->awaiting_ready() > 0 || ran_since_sync_) &&
      sql::TextDependsOnLexingSettings(sql)) {
    problem =
        "this statement holds a backslash or a non-ASCII byte and was sent before the "
        "database answered an earlier request, which may have changed how the database "
        "reads such text (standard_conforming_strings, client_encoding): send it after the "
        "earlier result has arrived";
  } else {
    problem = sql::SettingChangeProblem(batch);
  }
  if (problem.empty()) return {};
  return {kParserSettingsRule,
          absl::StrCat("denied by Warden rule \"", kParserSettingsRule, "\": ", problem)};
}

Verdict StatementGuard::Decide(std::string_view sql, bool parsing) {
  parsing_ = parsing;
  last_analysis_.reset();
  const PolicySnapshotPtr& snapshot = Snapshot();  // one snapshot for the whole decision
  decided_version_ = static_cast<int64_t>(snapshot_generation_);
  Verdict v = decider_.Decide(sql, snapshot, *this, &release_);
  if (v.kind == Verdict::Kind::kAllow) NoteCatalogChanges(*v.batch);
  return v;
}

absl::Status StatementGuard::BeginHold(std::string_view message, char type, std::string_view sql,
                                       const Verdict& v, const StatementView* portal) {
  HoldFacts facts;
  facts.message_type = type;
  facts.statement = std::string(sql);
  facts.policy = v.decision.policy;
  facts.rule = v.decision.rule;
  facts.message = v.decision.message;
  facts.fingerprint = v.batch ? v.batch->fingerprint : 0;
  // Also when statements of this unfinished extended-protocol request already ran: they share
  // its implicit transaction (or began a block), which stays open while this one waits.
  facts.in_transaction = txn_status_ != 'I' || executed_since_sync_;
  facts.batch = v.batch;
  std::string hashed = portal ? std::string(portal->bind) : "";
  hashed.append(message.data(), message.size());
  facts.held_sha256 = crypto::Sha256Hex(hashed);
  if (portal) {
    facts.bind = std::string(portal->bind);
    facts.param_types.assign(portal->param_types.begin(), portal->param_types.end());
  }
  spdlog::info("session {}: {} held until a decision (policy \"{}\" rule \"{}\")", session_id_,
               type == 'Q'   ? "Query"
               : type == 'E' ? "Execute"
                             : "FunctionCall",
               facts.policy, facts.rule);
  return hold_.Begin(message, std::move(facts));
}

absl::Status StatementGuard::Release(const HoldRelease& release, std::string* out) {
  if (!hold_.active()) return absl::FailedPreconditionError("no statement is held");
  const char type = hold_.facts().message_type;
  const std::string held = hold_.Take();
  // Whole messages, the held one first (the walker handed them over whole).
  bool first = true;
  for (std::string_view rest = held; rest.size() >= kHeaderSize;) {
    const size_t size = size_t{pgwire::LoadBigEndian32(rest.data() + 1)} + 1;
    absl::Status st;
    if (first && release.discard) {
      // The server skips it anyway; unsent, it cannot run whatever the server's state.
    } else if (first && !release.forward) {
      // Refused: the stand-in is written from what was held, not decided again (whatever the
      // session's state says now, the held statement must not run).
      st = RefuseHeld(type, release, out);
    } else {
      if (first) release_ = release;  // forward, unless the policy now denies it
      st = DecideFrontendMessage(rest.substr(0, size), out);
      release_.reset();
    }
    first = false;
    if (!st.ok()) return st;
    rest.remove_prefix(size);
  }
  return absl::OkStatus();
}

absl::Status StatementGuard::RefuseHeld(char type, const HoldRelease& release, std::string* out) {
  RequestNote note{RequestAction::kReplaceError, hold_.facts().rule};
  if (type == 'E') {
    // A portal that cannot exist: the server fails this Execute and discards until Sync.
    return Emit(pgwire::BuildExecute(markers_.New(release.sqlstate, release.message)),
                std::move(note), out);
  }
  // A Query or a FunctionCall: ErrorResponse, then ReadyForQuery.
  return Emit(pgwire::BuildQuery(markers_.FailingQuery(release.sqlstate, release.message)),
              std::move(note), out);
}

const PolicySnapshotPtr& StatementGuard::Snapshot() {
  // The generation first: a snapshot installed after it was read is caught next time.
  const uint64_t generation = policy_.generation();
  if (generation != snapshot_generation_) {
    snapshot_ = policy_.Current();
    snapshot_generation_ = generation;
  }
  return snapshot_;
}

// A portal keeps the statement it was bound to, even when that statement's name is parsed
// again before the portal runs: what it runs is captured here, at Bind.
absl::Status StatementGuard::OnBind(std::string_view message, std::string* out) {
  std::string_view body = message.substr(kHeaderSize);
  LedgerEffect e;
  e.kind = LedgerEffect::Kind::kPortal;
  e.name = ServerName(CString(&body));
  if (!e.name.empty() && !portals_.contains(e.name) && portals_.size() >= kMaxTracked) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "more than ", kMaxTracked, " named portals in one transaction: Warden tracks no more"));
  }
  const std::string statement = ServerName(CString(&body));
  e.version = CurrentVersion();
  std::optional<StatementView> s = NamedStatement(statement);
  const bool refused =
      std::find(refused_parses_.begin(), refused_parses_.end(), statement) != refused_parses_.end();
  if (refused) {
    // Its Parse was refused in this request: the server fails the Bind and skips to the Sync.
  } else if (!s) {
    // Not a Parse Warden saw confirmed: a SQL PREPARE's (the namespace is shared), one made
    // where Warden cannot see (inside a function), or one the server does not have (it fails
    // the Bind). Its Execute is decided as an EXECUTE of that name (version -1: decided at
    // Execute), which the session's SQL PREPAREs resolve and an unknown name leaves opaque.
    e.target = absl::StrCat("EXECUTE \"", absl::StrReplaceAll(statement, {{"\"", "\"\""}}), "\"");
    e.version = -1;
    e.bind = std::string(message);
  } else {
    e.target = std::string(s->sql);
    e.version = s->version;
    e.changes_prepared = s->changes_prepared;
    e.needs_approval = s->needs_approval;
    // The parameters its Execute is held with, for the approver to see.
    if (e.needs_approval) {
      e.bind = std::string(message);
      e.param_types.assign(s->param_types.begin(), s->param_types.end());
    }
  }
  ran_since_sync_ = true;  // parameter input functions run
  return Emit(message, NoteOf(std::move(e)), out);
}

absl::Status StatementGuard::OnExecute(std::string_view message, std::string* out) {
  std::string_view body = message.substr(kHeaderSize);
  const std::string portal = ServerName(CString(&body));
  ran_since_sync_ = true;
  std::optional<StatementView> s = PortalStatement(portal);
  int64_t now = CurrentVersion();
  LedgerEffect e;
  if (s && s->changes_prepared) {
    // A SQL PREPARE or DEALLOCATE run through the extended protocol: applied when its
    // CommandComplete confirms it.
    e.kind = LedgerEffect::Kind::kPrepared;
    e.prepared = sql::PreparedChanges(s->sql, prepared_);
    if (e.prepared.empty()) e.kind = LedgerEffect::Kind::kNone;
  }
  // Decided again when the policy changed since its Parse, and each time when it needs approval.
  RequestNote note = NoteOf(std::move(e));
  if (s && ledger_->recording()) note.statement = std::string(s->sql);
  if (!s || s->sql.empty() || (s->version == now && !s->needs_approval)) {
    executed_since_sync_ = true;
    return Emit(message, std::move(note), out);
  }
  Verdict v = Decide(s->sql, /*parsing=*/false);
  if (v.kind == Verdict::Kind::kHold) return BeginHold(message, 'E', s->sql, v, &*s);
  executed_since_sync_ = true;
  if (v.kind == Verdict::Kind::kAllow) return Emit(message, std::move(note), out);
  // A portal that cannot exist: the server fails this Execute and discards until Sync.
  note.effects.clear();
  note.action = RequestAction::kReplaceError;
  note.rule = v.decision.rule;
  return Emit(pgwire::BuildExecute(markers_.New(std::move(v.sqlstate), std::move(v.denial))),
              std::move(note), out);
}

absl::Status StatementGuard::DecideFrontendMessage(std::string_view message, std::string* out) {
  if (hold_.active()) return hold_.Append(message);
  auto frame = pgwire::DecodeFrame(message, kMaxHeldMessage + 4);
  if (!frame.has_message()) return absl::InvalidArgumentError("malformed client message");
  // Bind and Execute come with every extended-protocol query: they are followed from their
  // leading names alone, without decoding parameters.
  switch (frame.message().tag) {
    case 'B':
      return OnBind(message, out);
    case 'E':
      return OnExecute(message, out);
    case 'S':
      ran_since_sync_ = false;
      executed_since_sync_ = false;
      refused_parses_.clear();
      return Emit(message, {}, out);
    default:
      break;
  }
  auto parsed = pgwire::ParseFrontend(frame.message());
  if (!parsed.ok()) {
    // A statement must be read to be decided; any other message the server judges itself.
    const char tag = frame.message().tag;
    if (tag == 'Q' || tag == 'P' || tag == 'F') return parsed.status();
    return Emit(message, {}, out);
  }
  if (auto* f = std::get_if<pgwire::FunctionCall>(&*parsed))
    return OnFunctionCall(message, *f, out);
  if (auto* q = std::get_if<pgwire::Query>(&*parsed)) return OnQuery(message, q->sql, out);
  if (auto* p = std::get_if<pgwire::Parse>(&*parsed)) return OnParse(message, *p, out);
  if (auto* c = std::get_if<pgwire::Close>(&*parsed)) {
    // Forgotten when the server confirms it: after an error it skips the Close, and the name
    // still runs what it ran.
    LedgerEffect e;
    e.kind = LedgerEffect::Kind::kClosed;
    e.name = ServerName(c->name);
    e.target = std::string(1, c->kind);
    return Emit(message, NoteOf(std::move(e)), out);
  }
  return Emit(message, {}, out);
}

absl::Status StatementGuard::OnQuery(std::string_view message, std::string_view sql,
                                     std::string* out) {
  Verdict v = Decide(sql, /*parsing=*/true);
  // SQL PREPARE runs nothing, as a Parse does not: each EXECUTE of it is decided (and held).
  if (v.kind == Verdict::Kind::kHold && OnlyPrepares(*v.batch)) v.kind = Verdict::Kind::kAllow;
  if (v.kind == Verdict::Kind::kHold) return BeginHold(message, 'Q', sql, v);
  if (v.denied()) {
    return Emit(pgwire::BuildQuery(markers_.FailingQuery(std::move(v.sqlstate), v.denial)),
                Refusal(v), out);
  }
  // One CommandComplete per statement; PREPARE and DEALLOCATE apply at theirs.
  RequestNote note;
  note.analysis = std::move(last_analysis_);
  if (ChangesPrepared(*v.batch)) {
    std::vector<sql::PreparedChange> changes = sql::PreparedChanges(sql, prepared_);
    note.effects.resize(v.batch->statements.size());
    for (sql::PreparedChange& c : changes) {
      if (c.statement_index >= note.effects.size()) continue;
      LedgerEffect& e = note.effects[c.statement_index];
      e.kind = LedgerEffect::Kind::kPrepared;
      e.prepared.push_back(std::move(c));
    }
  }
  return Emit(message, std::move(note), out);
}

absl::Status StatementGuard::OnParse(std::string_view message, const pgwire::Parse& parse,
                                     std::string* out) {
  const std::string name = ServerName(parse.name);
  const std::string_view sql = parse.query;
  if (!name.empty() && !statements_.contains(name) && statements_.size() >= kMaxTracked) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", kMaxTracked,
                     " named prepared statements on one connection: Warden tracks no more; "
                     "close the ones no longer needed"));
  }
  Verdict v = Decide(sql, /*parsing=*/true);
  if (v.denied()) {
    // The server drops the unnamed statement before parsing a new one; a named one it keeps.
    if (name.empty()) statements_.erase("");
    refused_parses_.emplace_back(name);
    return Emit(
        pgwire::BuildParse(parse.name, markers_.FailingQuery(std::move(v.sqlstate), v.denial)),
        Refusal(v), out);
  }
  // Needing approval, it may be parsed and described: running it (Execute) is what is held.
  LedgerEffect e;
  e.kind = LedgerEffect::Kind::kStatement;
  e.name = name;
  e.target = std::string(sql);
  e.version = decided_version_;
  e.changes_prepared = ChangesPrepared(*v.batch);
  e.needs_approval = v.kind == Verdict::Kind::kHold;
  if (e.needs_approval) e.param_types = parse.param_types;  // to show its parameters
  RequestNote note = NoteOf(std::move(e));
  note.analysis = std::move(last_analysis_);
  return Emit(message, std::move(note), out);
}

void StatementGuard::DecideBackendMessage(std::string_view message, std::string* out) {
  // Only an ErrorResponse can be one of our denials (ReadyForQuery, say, is held for its status).
  if (message[0] != 'E') {
    out->append(message);
    return;
  }
  auto frame = pgwire::DecodeFrame(message, kMaxHeldError + 4);
  auto parsed = frame.has_message() ? pgwire::ParseBackend(frame.message())
                                    : absl::StatusOr<pgwire::BackendMessage>(frame.status());
  auto* err = parsed.ok() ? std::get_if<pgwire::ErrorResponse>(&*parsed) : nullptr;
  if (err && markers_.Rewrite(err->message(), out)) return;
  out->append(message);
}

}  // namespace warden::agent
