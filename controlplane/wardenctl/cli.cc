#include "controlplane/wardenctl/cli.h"

#include <grpc/support/log.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/wardenctl/errors.h"

#ifndef WARDEN_VERSION
#define WARDEN_VERSION "0.0.0-dev"
#endif

namespace warden::wardenctl {

namespace {

constexpr char kGlobalFlagsHint[] =
    "Global flags (see wardenctl --help): --server, --token, --ca-file, -o/--output, --config";

constexpr char kEnvironmentHelp[] =
    "Configuration: each setting comes from its flag, else its environment variable, else the\n"
    "config file (--config or WARDEN_CONFIG; default ~/.config/warden/config.yaml):\n"
    "  flag       environment     config file key\n"
    "  --server   WARDEN_SERVER   server\n"
    "  --token    WARDEN_TOKEN    token, or token_file (a path)\n"
    "  --ca-file  WARDEN_CA_FILE  ca_file\n"
    "Relative paths in the config file are relative to the file.\n";

// The deepest subcommand the parser reached, e.g. "agents" in `wardenctl agents frob`.
const CLI::App* DeepestCommand(const CLI::App* app) {
  const CLI::App* current = app;
  for (auto parsed = current->get_subcommands(); !parsed.empty();
       parsed = current->get_subcommands()) {
    current = parsed.front();
  }
  return current;
}

std::string CommandPath(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) names.push_back(a->get_name());
  std::reverse(names.begin(), names.end());
  return absl::StrJoin(names, " ");
}

// CLI11 says "A subcommand is required" for both `wardenctl agents` and `wardenctl agents frob`;
// say which command is missing or unknown and list the ones that exist, as kubectl and gh do.
std::string MissingCommandMessage(const CLI::App* top, const CLI::App* command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command->get_subcommands({})) names.push_back(sub->get_name());
  std::string available = absl::StrCat("available: ", absl::StrJoin(names, ", "));
  for (const std::string& arg : top->remaining(true)) {
    if (!arg.empty() && arg[0] != '-') {
      return absl::StrCat("unknown command \"", arg, "\" for ", CommandPath(command), " (",
                          available, ")");
    }
  }
  return absl::StrCat(CommandPath(command), " needs a command (", available, ")");
}

std::string FailureMessage(const CLI::App* app, const CLI::Error& e) {
  const CLI::App* command = DeepestCommand(app);
  std::string message = e.what();
  if (e.get_name() == "RequiredError" && !command->get_subcommands({}).empty() &&
      command->get_subcommands().empty()) {
    message = MissingCommandMessage(app, command);
  }
  return absl::StrCat("error: ", message, "\nRun '", CommandPath(command), " --help' for usage.\n");
}

void DiscardGrpcLog(gpr_log_func_args*) {}

}  // namespace

CLI::Validator OneOf(std::vector<std::string> allowed) {
  // No description: the option's type_name lists the choices in --help.
  return CLI::Validator(
      [allowed](std::string& value) -> std::string {
        for (const auto& a : allowed) {
          if (value == a) return "";
        }
        return absl::StrCat("\"", value, "\" is not one of ", absl::StrJoin(allowed, ", "));
      },
      "");
}

Cli::Cli() : app_("wardenctl: administer Warden through the control plane", "wardenctl") {
  app_.fallthrough();  // global flags are accepted after the subcommand too, as kubectl does
  app_.require_subcommand(1);
  app_.failure_message(FailureMessage);
  app_.footer(absl::StrCat(kEnvironmentHelp, "\n", kExitCodeHelp));
  app_.set_version_flag("--version", absl::StrCat("wardenctl ", WARDEN_VERSION),
                        "Print the version and exit");
  AddGlobalFlags();
}

void Cli::AddGlobalFlags() {
  app_.add_option("--server", flags_.server, "Control plane address (env WARDEN_SERVER)")
      ->type_name("HOST:PORT");
  app_.add_option("--token", flags_.token, "Admin token (env WARDEN_TOKEN)")->type_name("TOKEN");
  app_.add_option("--ca-file", flags_.ca_file,
                  "CA certificate of the control plane (env WARDEN_CA_FILE; default: the "
                  "system trust store)")
      ->type_name("PATH");
  app_.add_option("-o,--output", flags_.output, "Output format")
      ->type_name("table|json")
      ->check(OneOf({"table", "json"}))
      ->capture_default_str();
  app_.add_option("--config", flags_.config,
                  "Config file (env WARDEN_CONFIG; default ~/.config/warden/config.yaml)")
      ->type_name("PATH");
}

CLI::App* Cli::AddCommand(CLI::App* parent, const std::string& name,
                          const std::string& description) {
  CLI::App* command = parent->add_subcommand(name, description);
  command->footer(kGlobalFlagsHint);
  return command;
}

void Cli::SetAction(CLI::App* command, Action action) {
  command->callback([this, action = std::move(action)] { selected_ = action; });
}

void Cli::SetAction(CLI::App* command, Action action, std::function<bool()> offline,
                    std::function<int(OutputFormat output)> run_offline) {
  command->callback([this, action = std::move(action), offline = std::move(offline),
                     run_offline = std::move(run_offline)] {
    selected_ = action;
    offline_ = offline;
    run_offline_ = run_offline;
  });
}

int Cli::Main(int argc, char** argv) {
  // gRPC logs transport failures (e.g. a failed TLS handshake) to stderr itself; the CLI reports
  // them once, in its own words. GRPC_VERBOSITY=debug brings them back for troubleshooting.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function(DiscardGrpcLog);
  if (argc <= 1) {
    std::cout << app_.help();
    return kOk;
  }
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" with exit code 0; everything else is a usage error.
    return app_.exit(e) == 0 ? kOk : kUsage;
  }
  return RunSelected();
}

int Cli::RunSelected() {
  if (!selected_) return Fail(kUsage, "no command given; run 'wardenctl --help'");
  const OutputFormat format = flags_.output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
  if (offline_ && offline_()) return run_offline_(format);
  absl::StatusOr<ClientConfig> config = ResolveClientConfig(flags_, ProcessEnv());
  if (!config.ok()) return Fail(kUsage, config.status().message());
  for (const auto& w : config->warnings) std::cerr << "warning: " << w << "\n";
  absl::StatusOr<std::unique_ptr<AdminClient>> admin = AdminClient::Connect(*config);
  if (!admin.ok()) return Fail(kUsage, admin.status().message());
  return selected_(**admin, format);
}

}  // namespace warden::wardenctl
