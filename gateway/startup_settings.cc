#include "gateway/startup_settings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/sql/classify/parser_settings.h"

namespace warden::gateway {
namespace {

// Run-time parameter names: letters, digits and '_', with '.' for extension settings.
bool ValidSettingName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

absl::Status AddSetting(std::string_view assignment, bool dashes_are_underscores,
                        std::map<std::string, std::string>* out) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("startup option \"", std::string(assignment),
                                                   "\" needs a value: use -c name=value"));
  }
  std::string name = absl::AsciiStrToLower(std::string(assignment.substr(0, eq)));
  if (dashes_are_underscores) {
    for (char& c : name) c = c == '-' ? '_' : c;
  }
  (*out)[std::move(name)] = std::string(assignment.substr(eq + 1));
  return absl::OkStatus();
}

absl::Status ParseOptions(std::string_view options, std::map<std::string, std::string>* out) {
  const std::vector<std::string> words = SplitOptions(options);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) == 0 && w.size() > 2) {
      if (auto st = AddSetting(std::string_view(w).substr(2), true, out); !st.ok()) return st;
    } else if (w == "-c") {
      if (auto st = AddSetting(i + 1 < words.size() ? words[++i] : w, true, out); !st.ok()) {
        return st;
      }
    } else if (w.rfind("-c", 0) == 0 && w.size() > 2) {
      if (auto st = AddSetting(std::string_view(w).substr(2), true, out); !st.ok()) return st;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("startup option \"", w,
                       "\" is not allowed through Warden: options may only set run-time parameters "
                       "(-c name=value or --name=value)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SplitOptions(std::string_view options) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < options.size(); ++i) {
    const char c = options[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < options.size()) {
      word += options[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

absl::StatusOr<std::map<std::string, std::string>> ReviewStartupSettings(
    const std::vector<pgwire::StartupParameter>& parameters) {
  std::map<std::string, std::string> settings;
  for (const auto& p : parameters) {
    if (p.name == "options") {
      if (auto st = ParseOptions(p.value, &settings); !st.ok()) return st;
    }
  }
  for (const auto& p : parameters) {
    const std::string name = absl::AsciiStrToLower(std::string(p.name));
    if (name == "user" || name == "database" || name == "options") continue;
    if (name.rfind("_pq_.", 0) == 0) continue;  // protocol extensions: none is offered
    if (name == "replication") {
      if (sql::ParsePostgresBool(p.value) == false) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "replication connections (replication=", std::string(p.value),
          ") are not served through Warden: connect for replication to the database directly"));
    }
    settings[name] = std::string(p.value);
  }
  for (const auto& [name, value] : settings) {
    // Only `options` can name these here; they are not run-time parameters.
    if (name == "user" || name == "database" || name == "options" || name == "replication" ||
        name.rfind("_pq_.", 0) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("startup option sets \"", name, "\", which is not a run-time parameter"));
    }
    if (!ValidSettingName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("startup parameter \"", name, "\" is not a setting's name"));
    }
    if (std::string problem = sql::LexingSettingProblem(name, value); !problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("startup parameter ", name, " refused: ", problem));
    }
  }
  return settings;
}

}  // namespace warden::gateway
