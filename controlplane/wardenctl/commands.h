// The command tree, one noun per file: each Register function adds `wardenctl <noun> <verb>`.
#pragma once

#include "controlplane/wardenctl/cli.h"

namespace warden::wardenctl {

void RegisterAgentCommands(Cli& cli);                      // agents_cmd.cc
void RegisterGatewayCommands(Cli& cli);                    // gateways_cmd.cc
void RegisterAdminTokenCommands(Cli& cli);                 // admin_tokens_cmd.cc
void RegisterConnectionCommands(Cli& cli);                 // connections_cmd.cc
void RegisterCredentialCommands(Cli& cli);                 // credentials_cmd.cc
void RegisterPolicyCommands(Cli& cli);                     // policies_cmd.cc
void RegisterPolicyExplain(Cli& cli, CLI::App* policies);  // policies_explain_cmd.cc
void RegisterPolicyTest(Cli& cli, CLI::App* policies);     // policies_test_cmd.cc
// Runs, before policy texts (file name, YAML) are applied, every test of the policies that would
// then be in force: these and the applied ones they do not replace. kOk, or the failure's code
// (kRejected naming each failing test).
int CheckPolicyTestsBeforeApply(AdminClient& admin,
                                const std::vector<std::pair<std::string, std::string>>& texts);
void RegisterTokenCommands(Cli& cli);     // tokens_cmd.cc
void RegisterSessionCommands(Cli& cli);   // sessions_cmd.cc
void RegisterDecisionCommands(Cli& cli);  // decisions_cmd.cc
void RegisterApprovalCommands(Cli& cli);  // approvals_cmd.cc

inline void RegisterAllCommands(Cli& cli) {
  RegisterAgentCommands(cli);
  RegisterGatewayCommands(cli);
  RegisterAdminTokenCommands(cli);
  RegisterConnectionCommands(cli);
  RegisterCredentialCommands(cli);
  RegisterPolicyCommands(cli);
  RegisterTokenCommands(cli);
  RegisterSessionCommands(cli);
  RegisterDecisionCommands(cli);
  RegisterApprovalCommands(cli);
}

}  // namespace warden::wardenctl
