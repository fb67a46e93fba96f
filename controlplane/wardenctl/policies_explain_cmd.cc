// wardenctl policies explain: what the agent would do with statements for an identity on a
// connection, under policy files (-f, offline) or the applied policies. The decisions come from
// the agent's own code (agent/postgres/statement_explanation.h).
#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/postgres/statement_explanation.h"
#include "common/log/log.h"
#include "common/policy/policy_yaml.h"
#include "common/sql/parse/statement_split.h"
#include "common/util/files.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"
#include "controlplane/wardenctl/policy_files.h"

namespace warden::wardenctl {

namespace {

struct ExplainOptions {
  std::string identity;
  std::vector<std::string> groups;
  std::string connection;
  bool read_only_connection = false;
  std::vector<std::string> policy_files;
  std::string statements_file;
  std::vector<std::string> sql;  // statements on the command line; "-" reads stdin
};

absl::StatusOr<std::string> StatementText(const ExplainOptions& o) {
  if (!o.statements_file.empty()) return ReadFile(o.statements_file);
  if (o.sql.empty() || (o.sql.size() == 1 && o.sql[0] == "-")) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return absl::DataLossError("cannot read statements from stdin");
    return text;
  }
  return absl::StrJoin(o.sql, ";\n");
}

std::string DecisionLine(const v1::ExplainedDecision& d) {
  std::string line = d.action();
  if (!d.policy().empty()) absl::StrAppend(&line, " by policy \"", d.policy(), "\"");
  if (!d.rule().empty()) absl::StrAppend(&line, " rule \"", d.rule(), "\"");
  if (!d.message().empty()) absl::StrAppend(&line, "\n               ", d.message());
  return line;
}

std::string ColumnLine(const v1::ExplainedColumn& c) {
  std::string line = absl::StrCat(c.name(), "  <- ", c.sources());
  if (!c.masked_by_rule().empty()) {
    absl::StrAppend(&line, "  MASKED by policy \"", c.masked_by_policy(), "\" rule \"",
                    c.masked_by_rule(), "\"");
  }
  if (!c.note().empty()) absl::StrAppend(&line, "  (", c.note(), ")");
  return line;
}

void PrintExplanation(const v1::PolicyExplanation& e) {
  std::cout << "identity " << e.identity() << " (groups: " << JoinOrDash(e.groups())
            << ") on connection " << e.connection() << ", policies from " << e.policies_from()
            << "\n";
  int n = 0;
  for (const v1::ExplainedStatement& s : e.statements()) {
    std::cout << "\n[" << ++n << "] " << s.text() << "\n";
    if (!s.parse_error().empty()) std::cout << "  parse error  " << s.parse_error() << "\n";
    std::cout << "  command      " << OrDash(s.command_tag());
    if (s.commands_size() > 1) std::cout << " (runs " << absl::StrJoin(s.commands(), ", ") << ")";
    std::cout << "\n  class        " << OrDash(s.statement_class()) << "\n"
              << "  reads        " << JoinOrDash(s.relations_read()) << "\n"
              << "  writes       " << JoinOrDash(s.relations_written()) << "\n";
    for (const v1::ExplainedFunction& f : s.functions()) {
      std::cout << "  function     " << f.name() << ": " << f.effect() << "\n";
    }
    std::cout << "  decision     " << DecisionLine(s.decision()) << "\n";
    for (const v1::ExplainedColumn& c : s.columns()) {
      std::cout << "  column       " << ColumnLine(c) << "\n";
    }
    if (s.content_rules_size() > 0) {
      std::cout << "  any column   values that masking rules "
                << absl::StrJoin(s.content_rules(), ", ") << " detect are masked\n";
    }
  }
  if (e.statements_size() > 1) {
    std::cout << "\nsent together as one Query: " << DecisionLine(e.batch()) << "\n";
  }
}

int Explain(const ExplainOptions& o, const v1::PolicySnapshot& snapshot, std::string source,
            OutputFormat output) {
  absl::StatusOr<std::string> text = StatementText(o);
  if (!text.ok()) return Fail(kUsage, text.status().message());
  absl::StatusOr<std::vector<std::string>> statements = sql::SplitStatements(*text);
  if (!statements.ok()) return Fail(kRejected, statements.status().message());
  if (statements->empty()) return Fail(kUsage, "no statements to explain");
  // The agent's code logs its decisions; here they are the output instead.
  spdlog::set_level(spdlog::level::off);
  policy::Subject subject{o.identity, o.groups, o.connection, o.read_only_connection};
  v1::PolicyExplanation e = agent::ExplainStatements(snapshot, subject, *statements, *text);
  e.set_policies_from(std::move(source));
  if (output == OutputFormat::kJson) return PrintJson(e);
  PrintExplanation(e);
  return kOk;
}

int ExplainOffline(const ExplainOptions& o, OutputFormat output) {
  absl::StatusOr<v1::PolicySnapshot> snap = SnapshotFromFiles(o.policy_files);
  if (!snap.ok()) return Fail(kRejected, snap.status().message());
  return Explain(o, *snap, absl::StrJoin(o.policy_files, ", "), output);
}

int ExplainApplied(AdminClient& admin, const ExplainOptions& o, OutputFormat output) {
  v1::ListPoliciesResponse listed;
  if (int rc = admin.Call(&AdminStub::ListPolicies, v1::ListPoliciesRequest(), &listed);
      rc != kOk) {
    return rc;
  }
  v1::PolicySnapshot snap;
  snap.set_version(listed.policy_version());
  for (const v1::PolicyInfo& p : listed.policies()) *snap.add_policies() = p.spec();
  ExplainOptions with_connection = o;
  v1::GetConnectionRequest req;
  req.set_name(o.connection);
  v1::GetConnectionResponse conn;
  if (int rc = admin.Call(&AdminStub::GetConnection, req, &conn); rc != kOk) return rc;
  with_connection.read_only_connection = o.read_only_connection || conn.connection().read_only();
  return Explain(with_connection, snap,
                 absl::StrCat("the applied policies (version ", listed.policy_version(), ")"),
                 output);
}

}  // namespace

void RegisterPolicyExplain(Cli& cli, CLI::App* policies) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* explain = Cli::AddCommand(
      policies, "explain",
      "Show what the agent would do with statements: class, relations, functions, the deciding "
      "policy and rule, masked columns");
  explain->add_option("--identity", o->identity, "Identity the statements run as")->required();
  explain->add_option("--group", o->groups, "Group membership; may be repeated")
      ->type_name("GROUP")
      ->allow_extra_args(false);
  explain->add_option("--connection", o->connection, "Warden connection name")->required();
  explain->add_flag("--read-only-connection", o->read_only_connection,
                    "treat the connection as read-only (without -f, the connection says)");
  explain
      ->add_option("-f,--filename", o->policy_files,
                   "policy file(s) to use instead of the applied policies (offline: no "
                   "control plane needed); may be repeated")
      ->type_name("FILE")
      ->allow_extra_args(false);
  explain->add_option("--file", o->statements_file, "read the statements from FILE");
  explain->add_option("sql", o->sql, "statements, ';'-separated (or - for stdin)");
  cli.SetAction(
      explain,
      [o](AdminClient& admin, OutputFormat output) { return ExplainApplied(admin, *o, output); },
      [o] { return !o->policy_files.empty(); },
      [o](OutputFormat output) { return ExplainOffline(*o, output); });
}

}  // namespace warden::wardenctl
