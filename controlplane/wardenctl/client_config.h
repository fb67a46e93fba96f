// Where wardenctl connects and how it authenticates. Each setting comes from the first source
// that has it: command-line flag, then environment variable, then the config file (YAML with
// keys server, token or token_file, ca_file; relative paths are relative to the file).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::wardenctl {

// The global flags as parsed; empty means "not given".
struct GlobalFlags {
  std::string server;
  std::string token;
  std::string ca_file;
  std::string config;
  std::string output = "table";
};

struct ClientConfig {
  std::string server;
  std::string token;
  std::string ca_file;         // empty: trust the system's CA store
  std::string ca_file_source;  // where ca_file came from, for error messages
  std::vector<std::string> warnings;
};

// Looks up an environment variable; nullopt or empty means unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

EnvLookup ProcessEnv();

// $HOME/.config/warden/config.yaml, or empty if HOME is not set.
std::string DefaultConfigPath(const EnvLookup& env);

// Resolves server, token and CA file by precedence flag > env > config file. An explicitly named
// config file (--config, WARDEN_CONFIG) must exist; the default one is optional. Fails with a
// message that says how to fix it when no server or no token is configured anywhere.
[[nodiscard]] absl::StatusOr<ClientConfig> ResolveClientConfig(const GlobalFlags& flags,
                                                               const EnvLookup& env);

}  // namespace warden::wardenctl
