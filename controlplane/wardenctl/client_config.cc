#include "controlplane/wardenctl/client_config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace warden::wardenctl {

namespace {

constexpr char kQuickstartHint[] =
    "run deploy/quickstart.sh which writes ~/.config/warden/config.yaml";

// The config file's settings, with paths already made absolute (or relative to the cwd when
// the config file itself was named by a relative path).
struct FileSettings {
  std::string path;
  std::string server;
  std::string token;
  std::string token_file;
  std::string ca_file;
};

std::string Env(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  return v ? *v : std::string();
}

// Expands a leading "~/" and resolves a relative path against the config file's directory.
std::string ResolvePath(const std::string& value, const std::string& config_path,
                        const EnvLookup& env) {
  if (value.empty()) return value;
  std::string home = Env(env, "HOME");
  if (absl::StartsWith(value, "~/") && !home.empty()) return home + value.substr(1);
  std::filesystem::path p(value);
  if (p.is_absolute()) return value;
  return (std::filesystem::path(config_path).parent_path() / p).lexically_normal().string();
}

// A config file that holds the admin token should be private, as ssh insists for its keys.
void WarnIfShared(const std::string& path, std::vector<std::string>* warnings) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  warnings->push_back(absl::StrCat(path,
                                   " holds the admin token but other users can read it; run "
                                   "chmod 600 ",
                                   path));
}

absl::Status ParseSettings(const YAML::Node& root, FileSettings* out,
                           std::vector<std::string>* warnings) {
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(
        out->path, ": expected a mapping with the keys server, token, token_file, ca_file"));
  }
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (!kv.second.IsNull() && !kv.second.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(out->path, ":", kv.second.Mark().line + 1,
                                                     ": \"", key, "\" must be a string"));
    }
    std::string value = kv.second.IsNull() ? "" : kv.second.as<std::string>();
    if (key == "server") {
      out->server = value;
    } else if (key == "token") {
      out->token = std::string(absl::StripAsciiWhitespace(value));
    } else if (key == "token_file") {
      out->token_file = value;
    } else if (key == "ca_file") {
      out->ca_file = value;
    } else {
      warnings->push_back(absl::StrCat(out->path, ": unknown key \"", key,
                                       "\" ignored (known: server, token, token_file, ca_file)"));
    }
  }
  return absl::OkStatus();
}

// Loads the config file; nullopt when the default file does not exist.
absl::StatusOr<std::optional<FileSettings>> LoadConfigFile(const std::string& path,
                                                           bool explicitly_named,
                                                           const EnvLookup& env,
                                                           std::vector<std::string>* warnings) {
  if (path.empty()) return std::nullopt;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (!explicitly_named && absl::IsNotFound(text.status())) return std::nullopt;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read config file ", text.status().message()));
  }
  FileSettings s;
  s.path = path;
  try {
    RETURN_IF_ERROR(ParseSettings(YAML::Load(*text), &s, warnings));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (!s.token.empty() && !s.token_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": set either token or token_file, not both"));
  }
  if (!s.token.empty()) WarnIfShared(path, warnings);
  s.token_file = ResolvePath(s.token_file, path, env);
  s.ca_file = ResolvePath(s.ca_file, path, env);
  return s;
}

absl::StatusOr<std::string> ResolveToken(const GlobalFlags& flags, const EnvLookup& env,
                                         const std::optional<FileSettings>& file) {
  std::string token(absl::StripAsciiWhitespace(flags.token));
  if (token.empty()) token = std::string(absl::StripAsciiWhitespace(Env(env, "WARDEN_TOKEN")));
  if (token.empty() && file) {
    token = file->token;
    if (token.empty() && !file->token_file.empty()) {
      absl::StatusOr<std::string> read = ReadSecretFile(file->token_file);
      if (!read.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot read token_file (set in ", file->path, "): ", read.status().message()));
      }
      token = *read;
    }
  }
  if (token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no admin token: pass --token, set WARDEN_TOKEN, or ", kQuickstartHint));
  }
  return token;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string DefaultConfigPath(const EnvLookup& env) {
  std::string home = Env(env, "HOME");
  if (home.empty()) return "";
  return home + "/.config/warden/config.yaml";
}

absl::StatusOr<ClientConfig> ResolveClientConfig(const GlobalFlags& flags, const EnvLookup& env) {
  ClientConfig config;
  std::string path = flags.config.empty() ? Env(env, "WARDEN_CONFIG") : flags.config;
  bool explicitly_named = !path.empty();
  if (!explicitly_named) path = DefaultConfigPath(env);
  ASSIGN_OR_RETURN(std::optional<FileSettings> file,
                   LoadConfigFile(path, explicitly_named, env, &config.warnings));

  config.server = !flags.server.empty() ? flags.server : Env(env, "WARDEN_SERVER");
  if (config.server.empty() && file) config.server = file->server;
  ASSIGN_OR_RETURN(config.token, ResolveToken(flags, env, file));
  if (config.server.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no control plane address: pass --server HOST:PORT, set WARDEN_SERVER, or ",
                     kQuickstartHint));
  }

  if (!flags.ca_file.empty()) {
    config.ca_file = flags.ca_file;
    config.ca_file_source = "from --ca-file";
  } else if (std::string v = Env(env, "WARDEN_CA_FILE"); !v.empty()) {
    config.ca_file = v;
    config.ca_file_source = "from WARDEN_CA_FILE";
  } else if (file && !file->ca_file.empty()) {
    config.ca_file = file->ca_file;
    config.ca_file_source = absl::StrCat("ca_file in ", file->path);
  }
  return config;
}

}  // namespace warden::wardenctl
