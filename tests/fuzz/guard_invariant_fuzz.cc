// The statement policy's promise, over the agent's real statement guard (no sockets): for any
// client byte stream, fed in pieces of any size, and any policy built from the input, no
// statement text that reaches the database is one the policy does not allow. Every Query and
// Parse the guard lets through is decided again here, alone, with the policy evaluator: it must
// be ALLOW, or be the guard's own replacement for a denied statement
// (`SELECT NULL::"warden_denied_<hex>_<n>"`, which fails in the database's parse analysis).
//
// Holds (statement_hold.h), when the input's bits turn them on: a statement that requires
// approval is held, and released here by a rule the bits choose (refuse all, forward all, or
// alternate). While a statement is held the guard lets nothing through; a Query that requires
// approval reaches the database only as often as a held Query was forwarded (never when all are
// refused). A Parse of such a statement passes (its Execute is what is held; the unit tests of
// the hold cover Execute).
//
// Decided alone, a text is read without the session's context, which the guard has: an
// `EXECUTE` of a statement the session prepared (decided by its body), so such statements are
// left out of the check (the rest of their text is not); and the guard's extra refusals (the
// function catalog, parser settings, masked values, statement size) only make it stricter.
// FunctionCall messages are not checked here (the guard decides them as the SELECT they amount
// to; agent_statement_guard_test.cc covers them), nor are database answers fed in.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/statement_guard.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/evaluator.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/classifier_cache.h"
#include "common/sql/classify/classifier.h"
#include "spdlog/spdlog.h"

namespace {

using namespace warden;

// A policy for group "ai" on connection "demo", its parts chosen by the bits of `bits`.
std::string PolicyYaml(uint16_t bits) {
  std::string y = "name: fuzz\nsubjects: {groups: [ai]}\nconnections: [demo]\n";
  y += (bits & 1) ? "default_action: deny\n" : "default_action: allow\n";
  if (bits & (1 << 5)) y += "read_only: true\n";
  if (bits & (1 << 7)) y += "forward_unparsed: true\n";
  y += "rules:\n";
  y += "  - {name: never-matches, match: {commands: [LOAD]}, action: deny}\n";
  if (bits & (1 << 1)) {
    y += "  - {name: no-drop, match: {commands: [DROP TABLE, TRUNCATE TABLE]}, action: deny}\n";
  }
  if (bits & (1 << 2)) y += "  - {name: no-writes, match: {classes: [write]}, action: deny}\n";
  if (bits & (1 << 3)) {
    y += "  - {name: no-secrets, match: {relations: [\"secret*\", \"pg_authid\"]}, action: deny}\n";
  }
  if (bits & (1 << 4)) {
    y += "  - {name: no-files, match: {functions: [pg_read_file, \"lo_*\"]}, action: deny}\n";
  }
  if (bits & (1 << 6)) y += "  - {name: reads, match: {classes: [read, tcl]}, action: allow}\n";
  if (bits & (1 << 8)) {
    y += "  - {name: no-ddl, match: {classes: [ddl, admin, dcl, opaque]}, action: deny}\n";
  }
  if (bits & (1 << 9)) y += "  - {name: bounded, match: {without_where: true}, action: deny}\n";
  if (bits & (1 << 10)) {
    y += "  - {name: hold-deletes, match: {commands: [DELETE]}, action: require_approval}\n";
  }
  if (bits & (1 << 14)) {
    y +=
        "  - {name: hold-updates, match: {commands: [UPDATE, INSERT]}, action: require_approval}\n";
  }
  if (bits & (1 << 11)) {
    y += "masking:\n  - {name: emails, columns: [\"*.email\"], strategy: redact}\n";
  }
  return y;
}

// The guard's replacement for a denied statement, exactly.
bool IsDenialMarker(std::string_view sql) {
  constexpr std::string_view kStart = "SELECT NULL::\"warden_denied_";
  if (!sql.starts_with(kStart) || !sql.ends_with("\"")) return false;
  std::string_view rest = sql.substr(kStart.size(), sql.size() - kStart.size() - 1);
  size_t hex = 0;
  while (hex < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[hex]))) ++hex;
  if (hex != 16 || hex >= rest.size() || rest[hex] != '_') return false;
  rest.remove_prefix(hex + 1);
  if (rest.empty()) return false;
  for (char c : rest) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Checks one statement text the database got; returns true when it is one that requires
// approval (then allowed only as held and forwarded, or at Parse, by the caller).
bool CheckForwarded(std::string_view sql, const v1::PolicySnapshot& snap,
                    const policy::Subject& subject, bool holds) {
  if (IsDenialMarker(sql)) return false;
  sql::ClassifiedBatch batch = sql::Classify(sql);
  // An EXECUTE is decided by the body the session prepared: the rest of the text is checked.
  std::erase_if(batch.statements, [](const sql::ClassifiedStatement& s) {
    return std::find(s.commands.begin(), s.commands.end(), "EXECUTE") != s.commands.end();
  });
  if (batch.parsed && batch.statements.empty()) return false;
  const policy::Decision d = policy::Evaluate(snap, subject, batch);
  if (holds && d.action == v1::ACTION_REQUIRE_APPROVAL) return true;
  if (d.action != v1::ACTION_ALLOW) __builtin_trap();
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  static bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  const uint16_t bits = static_cast<uint16_t>(data[0] | (data[1] << 8));
  const size_t piece = 1 + data[2];
  std::string_view in(reinterpret_cast<const char*>(data + 3), size - 3);

  auto parsed = policy::ParsePolicyYaml(PolicyYaml(bits), "fuzz.yaml");
  if (!parsed.ok()) __builtin_trap();  // the generated policies are all valid
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(1);
  *snap->add_policies() = *parsed;
  agent::PolicyHolder holder;
  holder.Install(snap);
  sql::ClassifierCache cache;  // per input, so a finding does not depend on earlier inputs
  const policy::Subject subject{"claude", {"ai"}, "demo"};
  agent::StatementGuard guard(holder, cache, subject, "ses_fuzz");
  const int release_mode = (bits >> 12) & 3;  // 0: no holds; 1 refuse, 2 forward, 3 alternate
  guard.set_holds_enabled(release_mode != 0);
  size_t releases = 0;
  size_t forwarded_queries = 0;

  std::string to_database;
  bool ended = false;
  while (!in.empty() && !ended) {
    const std::string_view chunk = in.substr(0, piece);
    in.remove_prefix(chunk.size());
    const bool was_holding = guard.holding();
    const size_t before = to_database.size();
    if (!guard.Frontend(chunk, &to_database).ok()) break;               // the session ends here
    if (was_holding && to_database.size() != before) __builtin_trap();  // passed a hold
    while (guard.holding()) {
      const bool forward = release_mode == 2 || (release_mode == 3 && releases % 2 == 1);
      ++releases;
      if (forward && guard.held().message_type == 'Q') ++forwarded_queries;
      const agent::HoldRelease r =
          forward ? agent::HoldRelease::Forward() : agent::HoldRelease::Refuse("42501", "refused");
      if (!guard.Release(r, &to_database).ok()) {
        ended = true;
        break;
      }
    }
  }
  size_t approval_queries = 0;
  // What reached the database, framed as the server frames it: every Query and Parse allowed.
  // Other messages may be malformed inside (the server then refuses them with an error).
  std::string_view rest = to_database;
  while (!rest.empty()) {
    if (rest.size() < 5) break;  // a partial header: checked below as a partial message
    const uint32_t len = (uint32_t{static_cast<uint8_t>(rest[1])} << 24) |
                         (uint32_t{static_cast<uint8_t>(rest[2])} << 16) |
                         (uint32_t{static_cast<uint8_t>(rest[3])} << 8) |
                         uint32_t{static_cast<uint8_t>(rest[4])};
    if (len < 4) __builtin_trap();
    if (rest.size() - 1 < len) break;
    const std::string_view message = rest.substr(0, 1 + len);
    rest.remove_prefix(message.size());
    if (message[0] != 'Q' && message[0] != 'P') continue;
    auto r = pgwire::DecodeFrontend(message);
    if (!r.has_message()) __builtin_trap();  // a statement text must be one the guard read
    const bool holds = release_mode != 0;
    if (const auto* q = std::get_if<pgwire::Query>(&r.message())) {
      approval_queries += CheckForwarded(q->sql, *snap, subject, holds) ? 1 : 0;
    } else if (const auto* p = std::get_if<pgwire::Parse>(&r.message())) {
      CheckForwarded(p->query, *snap, subject, holds);
    }
  }
  if (approval_queries > forwarded_queries) __builtin_trap();  // one went without a release
  // Messages the guard does not decide on (COPY data, Bind, Describe, ...) stream as they
  // arrive, so the input may end inside one; a statement text is held until it is whole.
  if (!rest.empty() && (rest[0] == 'Q' || rest[0] == 'P')) __builtin_trap();
  return 0;
}
