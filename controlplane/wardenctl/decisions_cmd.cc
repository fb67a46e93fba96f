// wardenctl decisions list: how many statements each policy rule allowed, denied or held for
// approval, per agent, cumulative since each agent started (as the agents last reported).
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

// "allow", "deny", "require_approval": as policies spell them.
std::string ActionName(v1::Action action) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::Action_Name(action), "ACTION_"));
}

// Within each agent, the most frequent first; ties by policy, rule and action, so the order is
// stable from one run to the next. Applied to the JSON output too.
void SortByCount(v1::AgentDecisionStats* agent) {
  auto* rows = agent->mutable_stats()->mutable_decisions();
  std::sort(rows->begin(), rows->end(), [](const v1::DecisionCount& a, const v1::DecisionCount& b) {
    return std::make_tuple(b.count(), a.policy(), a.rule(), static_cast<int>(a.action())) <
           std::make_tuple(a.count(), b.policy(), b.rule(), static_cast<int>(b.action()));
  });
}

int ListDecisions(AdminClient& admin, OutputFormat output, const std::string& agent) {
  v1::GetDecisionStatsRequest request;
  request.set_agent(agent);
  v1::GetDecisionStatsResponse response;
  if (int rc = admin.Call(&AdminStub::GetDecisionStats, request, &response); rc != kOk) return rc;
  for (auto& a : *response.mutable_agents()) SortByCount(&a);
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"AGENT", "POLICY", "RULE", "ACTION", "COUNT"});
  for (const v1::AgentDecisionStats& a : response.agents()) {
    for (const v1::DecisionCount& d : a.stats().decisions()) {
      table.AddRow({a.agent(), OrDash(d.policy()), d.rule(), ActionName(d.action()),
                    absl::StrCat(d.count())});
    }
  }
  std::cout << table.Render();
  return kOk;
}

}  // namespace

void RegisterDecisionCommands(Cli& cli) {
  CLI::App* decisions = Cli::AddCommand(
      &cli.app(), "decisions",
      "Show how often each policy rule allowed, denied or held statements, per agent, since each "
      "agent started (as it last reported, every few seconds)");
  decisions->require_subcommand(1);
  auto agent = std::make_shared<std::string>();
  CLI::App* list = Cli::AddCommand(
      decisions, "list",
      "List decision counts by agent, policy, rule and action, most frequent first");
  list->alias("ls");
  list->add_option("--agent", *agent, "Only this agent")->type_name("NAME");
  cli.SetAction(list, [agent](AdminClient& admin, OutputFormat output) {
    return ListDecisions(admin, output, *agent);
  });
}

}  // namespace warden::wardenctl
