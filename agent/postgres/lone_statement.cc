#include "agent/postgres/lone_statement.h"

#include <variant>

#include "agent/enforcement/decision_counters.h"
#include "agent/postgres/statement_guard.h"
#include "common/pgwire/pgwire.h"

namespace warden::agent {

namespace {

// The text of the one Query message in `bytes`, or "".
std::string QueryText(const std::string& bytes) {
  auto frame = pgwire::DecodeFrame(bytes, bytes.size());
  if (!frame.has_message()) return {};
  auto parsed = pgwire::ParseFrontend(frame.message());
  if (!parsed.ok()) return {};
  const auto* q = std::get_if<pgwire::Query>(&*parsed);
  return q ? std::string(q->sql) : std::string();
}

// The message of the ErrorResponse in `bytes`, or "".
std::string ErrorMessage(const std::string& bytes) {
  auto frame = pgwire::DecodeFrame(bytes, bytes.size());
  if (!frame.has_message()) return {};
  auto parsed = pgwire::ParseBackend(frame.message());
  if (!parsed.ok()) return {};
  const auto* e = std::get_if<pgwire::ErrorResponse>(&*parsed);
  return e ? std::string(e->message()) : std::string();
}

}  // namespace

LoneDecision DecideAlone(const PolicyHolder& policy, sql::ClassifierCache& cache,
                         const policy::Subject& subject, const std::string& sql) {
  DecisionCounters counted;
  StatementGuard guard(policy, cache, subject, "explain", &counted);
  LoneDecision out;
  const std::string query = pgwire::BuildQuery(sql);
  std::string forwarded;
  if (!guard.Frontend(query, &forwarded).ok()) {
    out.rule = "malformed";
    out.message = "the text cannot be sent as a Query message";
    return out;
  }
  v1::AgentStats stats = counted.Snapshot();
  if (stats.decisions_size() == 1) {
    out.action = stats.decisions(0).action();
    out.policy = stats.decisions(0).policy();
    out.rule = stats.decisions(0).rule();
  }
  if (forwarded == query) return out;
  // Denied: the guard sent the database a statement that fails naming its marker, and turns
  // that failure into the client's error. Play the database's part to read it.
  const std::string replaced = QueryText(forwarded);
  const size_t open = replaced.find('"'), close = replaced.rfind('"');
  if (open == std::string::npos || close <= open) return out;
  const std::string marker = replaced.substr(open + 1, close - open - 1);
  std::string to_client;
  if (guard
          .Backend(pgwire::BuildErrorResponse("ERROR", "42704",
                                              "type \"" + marker + "\" does not exist"),
                   &to_client)
          .ok()) {
    out.message = ErrorMessage(to_client);
  }
  return out;
}

}  // namespace warden::agent
