// wardenctl tokens create|list|revoke: access tokens that identities present as their database
// password.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/duration.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

struct CreateOptions {
  std::string identity;
  std::vector<std::string> groups;
  std::string ttl = "1h";
};

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::StatusOr<absl::Duration> d = ParseTtl(value);
        return d.ok() ? "" : std::string(d.status().message());
      },
      "");
}

int CreateToken(AdminClient& admin, OutputFormat output, const CreateOptions& o) {
  absl::StatusOr<absl::Duration> ttl = ParseTtl(o.ttl);
  if (!ttl.ok()) return Fail(kUsage, ttl.status().message());
  v1::CreateTokenRequest request;
  request.set_identity(o.identity);
  for (const auto& g : o.groups) request.add_groups(g);
  request.set_ttl_seconds(absl::ToInt64Seconds(*ttl));
  v1::CreateTokenResponse response;
  if (int rc = admin.Call(&AdminStub::CreateToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  // Only the token on stdout, so that TOKEN=$(wardenctl tokens create ...) works.
  std::cout << response.token() << "\n";
  std::cerr << "token " << response.info().id() << " for " << response.info().identity()
            << " expires at " << FormatTimestamp(response.info().expires_unix()) << "\n";
  return kOk;
}

int ListTokens(AdminClient& admin, OutputFormat output, const std::string& identity) {
  v1::ListTokensRequest request;
  request.set_identity(identity);
  v1::ListTokensResponse response;
  if (int rc = admin.Call(&AdminStub::ListTokens, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"ID", "IDENTITY", "GROUPS", "STATUS", "CREATED", "EXPIRES"});
  absl::Time now = absl::Now();
  for (const v1::TokenInfo& t : response.tokens()) {
    table.AddRow({t.id(), t.identity(), JoinOrDash(t.groups()), OrDash(t.status()),
                  FormatRelative(t.created_unix(), now), FormatRelative(t.expires_unix(), now)});
  }
  std::cout << table.Render();
  return kOk;
}

int RevokeToken(AdminClient& admin, OutputFormat output, const std::string& id) {
  v1::RevokeTokenRequest request;
  request.set_id(id);
  v1::RevokeTokenResponse response;
  if (int rc = admin.Call(&AdminStub::RevokeToken, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "token " << id << " revoked\n";
  return kOk;
}

void RegisterCreate(Cli& cli, CLI::App* tokens) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* create = Cli::AddCommand(
      tokens, "create", "Issue an access token for an identity and print it (shown once)");
  create->add_option("--identity", o->identity, "Identity the token authenticates")->required();
  create->add_option("--group", o->groups, "Group membership; may be repeated")
      ->type_name("GROUP")
      ->allow_extra_args(false);
  create->add_option("--ttl", o->ttl, "Lifetime, e.g. 30m, 1h, 24h, 7d (at most 30d)")
      ->type_name("DURATION")
      ->check(DurationValidator())
      ->capture_default_str();
  cli.SetAction(create, [o](AdminClient& admin, OutputFormat output) {
    return CreateToken(admin, output, *o);
  });
}

}  // namespace

void RegisterTokenCommands(Cli& cli) {
  CLI::App* tokens = Cli::AddCommand(&cli.app(), "tokens", "Manage access tokens for identities");
  tokens->require_subcommand(1);
  RegisterCreate(cli, tokens);

  auto identity = std::make_shared<std::string>();
  CLI::App* list = Cli::AddCommand(tokens, "list", "List tokens (never the secrets)");
  list->alias("ls");
  list->add_option("--identity", *identity, "Only this identity's tokens");
  cli.SetAction(list, [identity](AdminClient& admin, OutputFormat output) {
    return ListTokens(admin, output, *identity);
  });

  auto id = std::make_shared<std::string>();
  CLI::App* revoke = Cli::AddCommand(tokens, "revoke", "Revoke a token by its id (tok_...)");
  revoke->add_option("id", *id, "Token id")->required();
  cli.SetAction(revoke, [id](AdminClient& admin, OutputFormat output) {
    return RevokeToken(admin, output, *id);
  });
}

}  // namespace warden::wardenctl
