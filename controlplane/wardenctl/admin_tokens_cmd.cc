// wardenctl admin-tokens create|list|revoke: the tokens wardenctl itself presents, each with the
// identity that presents it and its roles (admin, approver, auditor). To rotate: create a new
// one, put it in the config's token_file, revoke the old one by its id.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

struct CreateArgs {
  std::string name;
  std::string identity;
  std::vector<std::string> groups;
  std::vector<std::string> roles;
  std::string email;
};

int CreateAdminToken(AdminClient& admin, OutputFormat output, const CreateArgs& args) {
  v1::CreateAdminTokenRequest request;
  request.set_name(args.name);
  request.set_identity(args.identity);
  for (const std::string& g : args.groups) request.add_groups(g);
  for (const std::string& r : args.roles) request.add_roles(r);
  request.set_email(args.email);
  v1::CreateAdminTokenResponse response;
  if (int rc = admin.Call(&AdminStub::CreateAdminToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  // Only the token on stdout, so that TOKEN=$(wardenctl admin-tokens create NAME) works.
  std::cout << response.token() << "\n";
  std::cerr << "admin token " << response.info().id() << " (" << args.name << ", role "
            << absl::StrJoin(response.info().roles(), ", ")
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
  Table table({"ID", "NAME", "IDENTITY", "GROUPS", "ROLES", "STATUS", "CREATED"});
  absl::Time now = absl::Now();
  for (const v1::AdminTokenInfo& t : response.tokens()) {
    table.AddRow({t.id(), t.name(), t.identity().empty() ? "-" : t.identity(),
                  t.groups().empty() ? "-" : absl::StrJoin(t.groups(), ","),
                  absl::StrJoin(t.roles(), ","), t.revoked_unix() == 0 ? "active" : "revoked",
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

  auto args = std::make_shared<CreateArgs>();
  CLI::App* create =
      Cli::AddCommand(tokens, "create", "Issue an admin token and print it (shown once)");
  create->add_option("name", args->name, "What the token is for, e.g. ci or alice")->required();
  create->add_option("--identity", args->identity,
                     "Who presents it: approvals made with it are recorded under this identity "
                     "(required with --role approver)");
  create->add_option("--group", args->groups,
                     "A group of that identity, for policies whose approvers name groups "
                     "(repeatable)");
  create
      ->add_option("--role", args->roles,
                   "admin (every call), approver (the approval queue) or auditor (read only); "
                   "repeatable; default admin")
      ->check(CLI::IsMember({"admin", "approver", "auditor"}));
  create->add_option("--email", args->email,
                     "Where approval requests this identity may decide are mailed (when the "
                     "control plane has --smtp-url)");
  cli.SetAction(create, [args](AdminClient& admin, OutputFormat output) {
    return CreateAdminToken(admin, output, *args);
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
