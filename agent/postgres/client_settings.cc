#include "agent/postgres/client_settings.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/sql/classify/parser_settings.h"
#include "common/sql/classify/session_settings.h"

namespace warden::agent {

std::string SetStatementFor(const std::string& name, const std::string& value) {
  std::string quoted_name;
  for (const std::string& part : std::vector<std::string>(absl::StrSplit(name, '.'))) {
    if (!quoted_name.empty()) quoted_name += '.';
    absl::StrAppend(&quoted_name, "\"", absl::StrReplaceAll(part, {{"\"", "\"\""}}), "\"");
  }
  return absl::StrCat("SET ", quoted_name, " TO '", absl::StrReplaceAll(value, {{"'", "''"}}), "'");
}

std::vector<SettingDecision> DecideClientSettings(
    const std::vector<std::pair<std::string, std::string>>& requested,
    const v1::PolicySnapshot* snapshot, const policy::Subject& subject,
    sql::ClassifierCache& cache) {
  std::vector<SettingDecision> out;
  for (const auto& [raw_name, value] : requested) {
    SettingDecision d{absl::AsciiStrToLower(raw_name), value, {}};
    if (std::string problem = sql::LexingSettingProblem(d.name, value); !problem.empty()) {
      d.decision.action = v1::ACTION_DENY;
      d.decision.rule = "parser-settings";
      d.decision.message = problem;
    } else if (sql::IsOrdinarySessionSetting(d.name)) {
      d.decision.action = v1::ACTION_ALLOW;
      d.decision.rule = "ordinary-setting";
    } else if (snapshot == nullptr) {
      d.decision.action = v1::ACTION_DENY;
      d.decision.rule = "no-policy";
      d.decision.message = "no policy has reached this agent yet";
    } else {
      d.decision = policy::Evaluate(*snapshot, subject, *cache.Get(SetStatementFor(d.name, value)));
    }
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const SettingDecision& a, const SettingDecision& b) { return a.name < b.name; });
  return out;
}

}  // namespace warden::agent
