// wardenctl gateways create|list|rotate|revoke: each gateway's own token for the control plane.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/duration.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

// Only the token on stdout, so that TOKEN=$(wardenctl gateways create NAME) works.
int PrintNewToken(OutputFormat output, const google::protobuf::Message& response,
                  const std::string& token, const std::string& what) {
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << token << "\n";
  std::cerr << what << "\nSave this token now: it is not shown again. The gateway reads it from "
            << "--token-file FILE (chmod 600 FILE), and again whenever FILE changes.\n";
  return kOk;
}

int CreateGateway(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::CreateGatewayRequest request;
  request.set_name(name);
  v1::CreateGatewayResponse response;
  if (int rc = admin.Call(&AdminStub::CreateGateway, request, &response); rc != kOk) return rc;
  return PrintNewToken(output, response, response.token(),
                       absl::StrCat("gateway ", name, " created."));
}

int ListGateways(AdminClient& admin, OutputFormat output) {
  v1::ListGatewaysResponse response;
  if (int rc = admin.Call(&AdminStub::ListGateways, v1::ListGatewaysRequest(), &response);
      rc != kOk) {
    return rc;
  }
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"NAME", "TOKENS", "OLD-TOKEN-ENDS", "LAST-SEEN", "CREATED"});
  absl::Time now = absl::Now();
  for (const v1::GatewayInfo& g : response.gateways()) {
    table.AddRow({g.name(), absl::StrCat(g.tokens()),
                  g.previous_token_expires_unix() == 0
                      ? "-"
                      : FormatRelative(g.previous_token_expires_unix(), now),
                  FormatRelative(g.last_seen_unix(), now, "never"),
                  FormatRelative(g.created_unix(), now)});
  }
  std::cout << table.Render();
  return kOk;
}

int RotateGateway(AdminClient& admin, OutputFormat output, const std::string& name,
                  const std::string& grace) {
  absl::StatusOr<int64_t> grace_seconds = ParseGraceSeconds(grace);
  if (!grace_seconds.ok()) return Fail(kUsage, grace_seconds.status().message());
  v1::RotateGatewayTokenRequest request;
  request.set_name(name);
  request.set_grace_seconds(*grace_seconds);
  v1::RotateGatewayTokenResponse response;
  if (int rc = admin.Call(&AdminStub::RotateGatewayToken, request, &response); rc != kOk) {
    return rc;
  }
  return PrintNewToken(
      output, response, response.token(),
      absl::StrCat("gateway ", name, ": new token issued; the previous one works until ",
                   *grace_seconds == 0
                       ? std::string("now (no grace)")
                       : FormatTimestamp(response.gateway().previous_token_expires_unix()),
                   ". Write the new token to the gateway's --token-file before then."));
}

int RevokeGateway(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::RevokeGatewayRequest request;
  request.set_name(name);
  v1::RevokeGatewayResponse response;
  if (int rc = admin.Call(&AdminStub::RevokeGateway, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "gateway " << name
            << " revoked: its tokens stop working, its agent streams and client sessions end\n";
  return kOk;
}

}  // namespace

void RegisterGatewayCommands(Cli& cli) {
  CLI::App* gateways = Cli::AddCommand(
      &cli.app(), "gateways", "Manage gateways, the network edge clients and agents reach");
  gateways->require_subcommand(1);

  auto create_name = std::make_shared<std::string>();
  CLI::App* create =
      Cli::AddCommand(gateways, "create", "Register a gateway and print its token (shown once)");
  create->add_option("name", *create_name, "Gateway name")->required();
  cli.SetAction(create, [create_name](AdminClient& admin, OutputFormat output) {
    return CreateGateway(admin, output, *create_name);
  });

  CLI::App* list = Cli::AddCommand(gateways, "list", "List gateways (never their tokens)");
  list->alias("ls");
  cli.SetAction(list, ListGateways);

  auto rotate_name = std::make_shared<std::string>();
  auto grace = std::make_shared<std::string>("1h");
  CLI::App* rotate = Cli::AddCommand(
      gateways, "rotate", "Issue a gateway a new token; the old one works for --grace more");
  rotate->add_option("name", *rotate_name, "Gateway name")->required();
  rotate->add_option("--grace", *grace, "how long the old token keeps working: 0, 10m, 1h, 1d")
      ->type_name("DURATION")
      ->capture_default_str();
  cli.SetAction(rotate, [rotate_name, grace](AdminClient& admin, OutputFormat output) {
    return RotateGateway(admin, output, *rotate_name, *grace);
  });

  auto revoke_name = std::make_shared<std::string>();
  CLI::App* revoke = Cli::AddCommand(
      gateways, "revoke", "Revoke a gateway: its tokens stop working and what it carries ends");
  revoke->add_option("name", *revoke_name, "Gateway name")->required();
  cli.SetAction(revoke, [revoke_name](AdminClient& admin, OutputFormat output) {
    return RevokeGateway(admin, output, *revoke_name);
  });
}

}  // namespace warden::wardenctl
