// The wardenctl command line: global flags, the command tree that each noun registers into, and
// running the one command the user selected.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "controlplane/wardenctl/admin_client.h"
#include "controlplane/wardenctl/client_config.h"
#include "controlplane/wardenctl/output.h"

namespace warden::wardenctl {

// What a leaf command does once its arguments are parsed and the client is configured.
// Returns the process exit code; errors have already been printed.
using Action = std::function<int(AdminClient& admin, OutputFormat output)>;

class Cli {
 public:
  Cli();
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  CLI::App& app() { return app_; }

  // Adds a subcommand whose help points at the global flags.
  static CLI::App* AddCommand(CLI::App* parent, const std::string& name,
                              const std::string& description);

  // Makes `command` run `action` when it is the command selected on the command line.
  void SetAction(CLI::App* command, Action action);
  // As SetAction, for a command that may run without a control plane: when `offline()` says so
  // (checked after parsing), `run_offline` runs with no configuration at all.
  void SetAction(CLI::App* command, Action action, std::function<bool()> offline,
                 std::function<int(OutputFormat output)> run_offline);

  // Parses the arguments and runs the selected command; returns the process exit code.
  int Main(int argc, char** argv);

 private:
  void AddGlobalFlags();
  int RunSelected();

  CLI::App app_;
  GlobalFlags flags_;
  Action selected_;
  std::function<bool()> offline_;
  std::function<int(OutputFormat output)> run_offline_;
};

// Accepts exactly one of `allowed`; the error lists them.
CLI::Validator OneOf(std::vector<std::string> allowed);

}  // namespace warden::wardenctl
