// wardenctl agents create|list|delete|reset-key|rotate-token
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/duration.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

// "7/7" when the agent runs the current policy, "5/7 (behind)" while a push is outstanding.
std::string PolicyColumn(const v1::AgentInfo& agent, int64_t current) {
  std::string s = absl::StrCat(agent.applied_policy_version(), "/", current);
  if (agent.applied_policy_version() < current) absl::StrAppend(&s, " (behind)");
  return s;
}

int CreateAgent(AdminClient& admin, OutputFormat output, const std::string& name,
                const std::string& identity_key, bool trust_first_key) {
  v1::CreateAgentRequest request;
  request.set_name(name);
  request.set_identity_key(identity_key);
  request.set_trust_first_key(trust_first_key);
  v1::CreateAgentResponse response;
  if (int rc = admin.Call(&AdminStub::CreateAgent, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  // Only the token on stdout, so that TOKEN=$(wardenctl agents create NAME) works.
  std::cout << response.token() << "\n";
  std::cerr << "agent " << response.agent().name() << " created.\n"
            << "Save this token now: it is not shown again. Start the agent with\n"
            << "  warden-agent --name " << response.agent().name()
            << " --token-file FILE --identity-key-file KEYFILE \\\n"
            << "    --controlplane-key " << response.controlplane_key() << "\n"
            << "where FILE holds this token (chmod 600 FILE).\n";
  if (trust_first_key) {
    std::cerr << "The first agent to connect with this token enrols its identity key: check the "
                 "fingerprint in 'wardenctl agents list' against warden-agent "
                 "--print-identity-key.\n";
  }
  return kOk;
}

int RotateAgentToken(AdminClient& admin, OutputFormat output, const std::string& name,
                     const std::string& grace) {
  absl::StatusOr<int64_t> grace_seconds = ParseGraceSeconds(grace);
  if (!grace_seconds.ok()) return Fail(kUsage, grace_seconds.status().message());
  v1::RotateAgentTokenRequest request;
  request.set_name(name);
  request.set_grace_seconds(*grace_seconds);
  v1::RotateAgentTokenResponse response;
  if (int rc = admin.Call(&AdminStub::RotateAgentToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << response.token() << "\n";
  std::cerr << "agent " << name << ": new token issued; the previous one works until "
            << FormatTimestamp(response.previous_token_expires_unix())
            << ". Write it to the agent's --token-file: the agent reads it again before its next "
               "control stream.\n";
  return kOk;
}

int ResetAgentKey(AdminClient& admin, OutputFormat output, const std::string& name,
                  const std::string& identity_key) {
  v1::ResetAgentKeyRequest request;
  request.set_name(name);
  request.set_identity_key(identity_key);
  v1::ResetAgentKeyResponse response;
  if (int rc = admin.Call(&AdminStub::ResetAgentKey, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  if (identity_key.empty()) {
    std::cout << "agent " << name
              << ": identity key forgotten; the next agent to connect with its token is "
                 "enrolled\n";
  } else {
    std::cout << "agent " << name << ": identity key "
              << response.agent().identity_key_fingerprint() << " enrolled\n";
  }
  return kOk;
}

int ListAgents(AdminClient& admin, OutputFormat output) {
  v1::ListAgentsResponse response;
  if (int rc = admin.Call(&AdminStub::ListAgents, v1::ListAgentsRequest(), &response); rc != kOk) {
    return rc;
  }
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"NAME", "STATUS", "VERSION", "GATEWAY", "POLICY", "LAST-SEEN", "CONNECTIONS",
               "IDENTITY-KEY"});
  absl::Time now = absl::Now();
  for (const v1::AgentInfo& a : response.agents()) {
    table.AddRow(
        {a.name(), a.connected() ? "connected" : "offline", OrDash(a.version()),
         OrDash(a.gateway()), PolicyColumn(a, response.current_policy_version()),
         FormatRelative(a.last_seen_unix(), now, "never"), JoinOrDash(a.connections()),
         a.identity_key_fingerprint().empty() ? "(not enrolled)" : a.identity_key_fingerprint()});
  }
  std::cout << table.Render();
  return kOk;
}

int DeleteAgent(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::DeleteAgentRequest request;
  request.set_name(name);
  v1::DeleteAgentResponse response;
  if (int rc = admin.Call(&AdminStub::DeleteAgent, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "agent " << name << " deleted\n";
  return kOk;
}

}  // namespace

void RegisterAgentCommands(Cli& cli) {
  CLI::App* agents = Cli::AddCommand(&cli.app(), "agents",
                                     "Manage agents, the processes that run beside each database");
  agents->require_subcommand(1);

  auto create_name = std::make_shared<std::string>();
  auto create_key = std::make_shared<std::string>();
  auto create_trust_first = std::make_shared<bool>(false);
  CLI::App* create =
      Cli::AddCommand(agents, "create", "Register an agent and print its token (shown once)");
  create->add_option("name", *create_name, "Agent name")->required();
  create->add_option("--identity-key", *create_key,
                     "enrol the agent's identity key now (ed25519:..., from warden-agent "
                     "--print-identity-key)");
  create->add_flag("--trust-first-key", *create_trust_first,
                   "instead: enrol the first key proven with the agent's token (whoever relays "
                   "that first connection could enrol its own)");
  cli.SetAction(create, [create_name, create_key, create_trust_first](AdminClient& admin,
                                                                      OutputFormat output) {
    return CreateAgent(admin, output, *create_name, *create_key, *create_trust_first);
  });

  auto reset_name = std::make_shared<std::string>();
  auto reset_key = std::make_shared<std::string>();
  CLI::App* reset = Cli::AddCommand(
      agents, "reset-key",
      "Replace an agent's enrolled identity key (or forget it, to enrol on next connect); its "
      "control stream ends at once");
  reset->add_option("name", *reset_name, "Agent name")->required();
  reset->add_option("--identity-key", *reset_key, "the new key (ed25519:...); omit to forget");
  cli.SetAction(reset, [reset_name, reset_key](AdminClient& admin, OutputFormat output) {
    return ResetAgentKey(admin, output, *reset_name, *reset_key);
  });

  auto rotate_name = std::make_shared<std::string>();
  auto rotate_grace = std::make_shared<std::string>("1h");
  CLI::App* rotate = Cli::AddCommand(
      agents, "rotate-token", "Issue an agent a new token; the old one works for --grace more");
  rotate->add_option("name", *rotate_name, "Agent name")->required();
  rotate->add_option("--grace", *rotate_grace, "how long the old token keeps working: 0, 10m, 1h")
      ->type_name("DURATION")
      ->capture_default_str();
  cli.SetAction(rotate, [rotate_name, rotate_grace](AdminClient& admin, OutputFormat output) {
    return RotateAgentToken(admin, output, *rotate_name, *rotate_grace);
  });

  CLI::App* list = Cli::AddCommand(agents, "list", "List agents and whether they are connected");
  list->alias("ls");
  cli.SetAction(list, ListAgents);

  auto delete_name = std::make_shared<std::string>();
  CLI::App* del = Cli::AddCommand(agents, "delete", "Delete an agent; its token stops working");
  del->add_option("name", *delete_name, "Agent name")->required();
  cli.SetAction(del, [delete_name](AdminClient& admin, OutputFormat output) {
    return DeleteAgent(admin, output, *delete_name);
  });
}

}  // namespace warden::wardenctl
