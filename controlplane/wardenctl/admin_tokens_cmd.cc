// wardenctl admin-tokens create|list|revoke: the tokens wardenctl itself presents. To rotate:
// create a new one, put it in the config's token_file, revoke the old one by its id.
#include <iostream>
#include <memory>

#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

int CreateAdminToken(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::CreateAdminTokenRequest request;
  request.set_name(name);
  v1::CreateAdminTokenResponse response;
  if (int rc = admin.Call(&AdminStub::CreateAdminToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  // Only the token on stdout, so that TOKEN=$(wardenctl admin-tokens create NAME) works.
  std::cout << response.token() << "\n";
  std::cerr << "admin token " << response.info().id() << " (" << name
            << ") created. Save it now: it is not shown again.\n";
  return kOk;
}

int ListAdminTokens(AdminClient& admin, OutputFormat output) {
  v1::ListAdminTokensResponse response;
  if (int rc = admin.Call(&AdminStub::ListAdminTokens, v1::ListAdminTokensRequest(), &response);
      rc != kOk) {
    return rc;
  }
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"ID", "NAME", "STATUS", "CREATED"});
  absl::Time now = absl::Now();
  for (const v1::AdminTokenInfo& t : response.tokens()) {
    table.AddRow({t.id(), t.name(), t.revoked_unix() == 0 ? "active" : "revoked",
                  FormatRelative(t.created_unix(), now)});
  }
  std::cout << table.Render();
  return kOk;
}

int RevokeAdminToken(AdminClient& admin, OutputFormat output, const std::string& id) {
  v1::RevokeAdminTokenRequest request;
  request.set_id(id);
  v1::RevokeAdminTokenResponse response;
  if (int rc = admin.Call(&AdminStub::RevokeAdminToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "admin token " << id << " revoked\n";
  return kOk;
}

}  // namespace

void RegisterAdminTokenCommands(Cli& cli) {
  CLI::App* tokens = Cli::AddCommand(&cli.app(), "admin-tokens",
                                     "Manage the admin tokens wardenctl presents (rotate: create, "
                                     "switch, revoke the old one)");
  tokens->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  CLI::App* create =
      Cli::AddCommand(tokens, "create", "Issue an admin token and print it (shown once)");
  create->add_option("name", *name, "What the token is for, e.g. ci or alice")->required();
  cli.SetAction(create, [name](AdminClient& admin, OutputFormat output) {
    return CreateAdminToken(admin, output, *name);
  });

  CLI::App* list = Cli::AddCommand(tokens, "list", "List admin tokens (never the secrets)");
  list->alias("ls");
  cli.SetAction(list, ListAdminTokens);

  auto id = std::make_shared<std::string>();
  CLI::App* revoke = Cli::AddCommand(
      tokens, "revoke", "Revoke an admin token by its id (adm_...); not the last working one");
  revoke->add_option("id", *id, "Admin token id")->required();
  cli.SetAction(revoke, [id](AdminClient& admin, OutputFormat output) {
    return RevokeAdminToken(admin, output, *id);
  });
}

}  // namespace warden::wardenctl
