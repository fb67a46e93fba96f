// Policy YAML -> warden.v1.Policy. The format is documented in policy_yaml.h; each section of
// the document has its own small function here, all reading through YamlReader so every
// error names file:line:column and the field path.
#include "common/policy/policy_yaml.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/policy/command_tags.h"
#include "common/policy/policy_yaml_fields.h"
#include "common/policy/yaml_reader.h"
#include "common/util/status_macros.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace warden::policy {
namespace {

using internal::Av;
using internal::Quote;
using internal::YamlField;
using internal::YamlItem;
using internal::YamlMap;
using internal::YamlReader;
using namespace internal::fields;
using warden::v1::Policy;

constexpr std::string_view kRootKeys[] = {
    "name",      "description",      "subjects", "connections", "default_action",
    "read_only", "forward_unparsed", "rules",    "masking",     "recording",
    "approval",  "masking_unknown",  "tests"};
constexpr std::string_view kSubjectKeys[] = {"identities", "groups"};
constexpr std::string_view kRuleKeys[] = {"name", "match", "action", "message"};
constexpr std::string_view kMatchKeys[] = {"commands", "classes", "relations", "functions",
                                           "without_where"};
constexpr std::string_view kMaskingKeys[] = {"name",    "columns",  "detectors",
                                             "pattern", "strategy", "keep_last"};
constexpr std::string_view kRecordingKeys[] = {"enabled", "include_results", "max_result_rows"};
constexpr std::string_view kApprovalKeys[] = {"approver_groups", "approver_identities",
                                              "timeout_seconds", "approvals_required",
                                              "max_window_seconds"};

constexpr uint32_t kMaxKeepLast = 32;
constexpr uint32_t kDefaultMaxResultRows = 100;
constexpr uint32_t kMaxResultRows = 1000000;
constexpr uint32_t kDefaultApprovalTimeoutSeconds = 300;
constexpr uint32_t kMaxApprovalTimeoutSeconds = 86400;
constexpr uint32_t kMaxApprovalsRequired = 10;
constexpr uint32_t kMaxApprovalWindowSeconds = 7 * 86400;

// Command tags: letters and spaces, upper-cased, runs of spaces collapsed ("drop  table" ->
// "DROP TABLE"), so they compare equal to the tags the classifier produces.
absl::Status ReadCommands(const YamlReader& r, const YamlField& f, const std::string& path,
                          warden::v1::RuleMatch& match) {
  ASSIGN_OR_RETURN(std::vector<YamlItem> items, r.StringList(f.value, path));
  for (const YamlItem& item : items) {
    std::string tag;
    bool pending_space = false;
    for (const unsigned char c : item.value) {
      if (absl::ascii_isalpha(c)) {
        if (pending_space && !tag.empty()) tag.push_back(' ');
        pending_space = false;
        tag.push_back(absl::ascii_toupper(c));
      } else if (c == ' ' || c == '\t') {
        pending_space = true;
      } else {
        return r.Error(item.node, item.path,
                       absl::StrCat("invalid command ", Quote(item.value),
                                    " (command tags are letters and spaces, e.g. DROP TABLE)"));
      }
    }
    if (tag.empty()) return r.Error(item.node, item.path, "must not be empty");
    if (!IsKnownCommandTag(tag)) {
      std::string hint;
      const std::vector<std::string> near = NearestCommandTags(tag);
      for (size_t i = 0; i < near.size(); ++i) {
        absl::StrAppend(&hint,
                        i == 0                 ? "; did you mean "
                        : i + 1 == near.size() ? " or "
                                               : ", ",
                        Quote(near[i]));
      }
      return r.Error(item.node, item.path,
                     absl::StrCat("unknown command ", Quote(tag),
                                  ": no statement carries this command tag, so the rule would "
                                  "never match",
                                  hint, near.empty() ? "" : "?"));
    }
    match.add_commands(std::move(tag));
  }
  return absl::OkStatus();
}

// Lower-cased dotted globs with between min_parts and max_parts non-empty parts.
absl::Status ReadGlobs(const YamlReader& r, const YamlField& f, const std::string& path,
                       size_t min_parts, size_t max_parts, std::string_view shape,
                       google::protobuf::RepeatedPtrField<std::string>* out) {
  ASSIGN_OR_RETURN(std::vector<YamlItem> items, r.StringList(f.value, path));
  for (const YamlItem& item : items) {
    const std::string glob = absl::AsciiStrToLower(item.value);
    const std::vector<absl::string_view> parts = absl::StrSplit(glob, '.');
    bool ok = !glob.empty() && parts.size() >= min_parts && parts.size() <= max_parts;
    for (absl::string_view part : parts) ok = ok && !part.empty();
    for (const unsigned char c : glob) ok = ok && c > ' ' && c != 0x7f;
    if (!ok) {
      return r.Error(
          item.node, item.path,
          absl::StrCat("invalid pattern ", Quote(item.value), " (expected ", Av(shape), ")"));
    }
    out->Add(std::string(glob));
  }
  return absl::OkStatus();
}

absl::Status ReadClasses(const YamlReader& r, const YamlField& f, const std::string& path,
                         warden::v1::RuleMatch& match) {
  ASSIGN_OR_RETURN(std::vector<YamlItem> items, r.StringList(f.value, path));
  for (const YamlItem& item : items) {
    ASSIGN_OR_RETURN(const warden::v1::StatementClass c,
                     ReadEnum(r, item.node, item.path, "statement class",
                              warden::v1::StatementClass_MAX, &ClassName));
    match.add_classes(c);
  }
  return absl::OkStatus();
}

absl::Status ParseMatch(const YamlReader& r, const YamlField& f, const std::string& path,
                        warden::v1::RuleMatch& match) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(f.value, path, kMatchKeys));
  if (const YamlField* c = map.Find("commands")) {
    RETURN_IF_ERROR(ReadCommands(r, *c, map.Child("commands"), match));
  }
  if (const YamlField* c = map.Find("classes")) {
    RETURN_IF_ERROR(ReadClasses(r, *c, map.Child("classes"), match));
  }
  if (const YamlField* g = map.Find("relations")) {
    RETURN_IF_ERROR(ReadGlobs(r, *g, map.Child("relations"), 1, 2, "table or schema.table",
                              match.mutable_relations()));
  }
  if (const YamlField* g = map.Find("functions")) {
    RETURN_IF_ERROR(ReadGlobs(r, *g, map.Child("functions"), 1, 2, "function or schema.function",
                              match.mutable_functions()));
  }
  ASSIGN_OR_RETURN(const bool without_where, ReadOptionalBool(r, map, "without_where", false));
  match.set_without_where(without_where);
  return absl::OkStatus();
}

absl::StatusOr<warden::v1::Rule> ParseRule(const YamlReader& r, const YAML::Node& node,
                                           const std::string& path) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(node, path, kRuleKeys));
  warden::v1::Rule rule;
  ASSIGN_OR_RETURN(*rule.mutable_name(), ReadName(r, map));
  if (const YamlField* m = map.Find("match")) {
    RETURN_IF_ERROR(ParseMatch(r, *m, map.Child("match"), *rule.mutable_match()));
  }
  ASSIGN_OR_RETURN(const YamlField* action, r.Required(map, "action"));
  ASSIGN_OR_RETURN(const warden::v1::Action a, ReadAction(r, *action, map.Child("action")));
  rule.set_action(a);
  if (const YamlField* m = map.Find("message")) {
    ASSIGN_OR_RETURN(*rule.mutable_message(), r.String(m->value, map.Child("message")));
  }
  return rule;
}

absl::Status ParseRules(const YamlReader& r, const YamlField& f, Policy& policy) {
  return ParseNamedList(
      r, f, "rules", "rule",
      [&](const YAML::Node& item, const std::string& path) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(warden::v1::Rule rule, ParseRule(r, item, path));
        *policy.add_rules() = std::move(rule);
        return policy.rules(policy.rules_size() - 1).name();
      });
}

absl::Status ReadDetectors(const YamlReader& r, const YamlField& f, const std::string& path,
                           warden::v1::MaskingRule& rule) {
  ASSIGN_OR_RETURN(std::vector<YamlItem> items, r.StringList(f.value, path));
  for (const YamlItem& item : items) {
    ASSIGN_OR_RETURN(
        const warden::v1::Detector d,
        ReadEnum(r, item.node, item.path, "detector", warden::v1::Detector_MAX, &DetectorName));
    rule.add_detectors(d);
  }
  return absl::OkStatus();
}

// Custom patterns run on result values inside the agent, so they must compile under RE2
// (linear time, no backtracking blow-ups on hostile data).
absl::Status ReadPattern(const YamlReader& r, const YamlField& f, const std::string& path,
                         warden::v1::MaskingRule& rule) {
  ASSIGN_OR_RETURN(std::string pattern, r.String(f.value, path));
  if (pattern.empty()) return r.Error(f.value, path, "must not be empty");
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);
  if (!re.ok()) {
    return r.Error(f.value, path, absl::StrCat("invalid RE2 pattern: ", re.error()));
  }
  rule.set_pattern(std::move(pattern));
  return absl::OkStatus();
}

// strategy is required; keep_last belongs to partial alone and is required there.
absl::Status ReadStrategy(const YamlReader& r, const YamlMap& map, warden::v1::MaskingRule& rule) {
  ASSIGN_OR_RETURN(const YamlField* s, r.Required(map, "strategy"));
  ASSIGN_OR_RETURN(const warden::v1::MaskStrategy strategy,
                   ReadEnum(r, s->value, map.Child("strategy"), "strategy",
                            warden::v1::MaskStrategy_MAX, &StrategyName));
  rule.set_strategy(strategy);
  const YamlField* keep = map.Find("keep_last");
  const std::string keep_path = map.Child("keep_last");
  if (strategy != warden::v1::MASK_STRATEGY_PARTIAL) {
    if (keep == nullptr) return absl::OkStatus();
    return r.Error(
        keep->key_node, keep_path,
        absl::StrCat("only valid with strategy partial, not ", Av(StrategyName(strategy))));
  }
  if (keep == nullptr) {
    return r.Error(s->value, keep_path,
                   absl::StrCat("required when strategy is partial (1..", kMaxKeepLast, ")"));
  }
  ASSIGN_OR_RETURN(const uint32_t keep_last, r.Uint(keep->value, keep_path, 1, kMaxKeepLast));
  rule.set_keep_last(keep_last);
  return absl::OkStatus();
}

absl::StatusOr<warden::v1::MaskingRule> ParseMaskingRule(const YamlReader& r,
                                                         const YAML::Node& node,
                                                         const std::string& path) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(node, path, kMaskingKeys));
  warden::v1::MaskingRule rule;
  ASSIGN_OR_RETURN(*rule.mutable_name(), ReadName(r, map));
  if (const YamlField* c = map.Find("columns")) {
    RETURN_IF_ERROR(ReadGlobs(r, *c, map.Child("columns"), 2, 3,
                              "table.column, schema.table.column or *.column",
                              rule.mutable_columns()));
  }
  if (const YamlField* d = map.Find("detectors")) {
    RETURN_IF_ERROR(ReadDetectors(r, *d, map.Child("detectors"), rule));
  }
  if (const YamlField* p = map.Find("pattern")) {
    RETURN_IF_ERROR(ReadPattern(r, *p, map.Child("pattern"), rule));
  }
  RETURN_IF_ERROR(ReadStrategy(r, map, rule));
  if (rule.columns().empty() && rule.detectors().empty() && rule.pattern().empty()) {
    return r.Error(map.node(), path,
                   "a masking rule needs at least one of columns, detectors, pattern");
  }
  return rule;
}

absl::Status ParseMasking(const YamlReader& r, const YamlField& f, Policy& policy) {
  return ParseNamedList(
      r, f, "masking", "masking rule",
      [&](const YAML::Node& item, const std::string& path) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(warden::v1::MaskingRule rule, ParseMaskingRule(r, item, path));
        *policy.add_masking() = std::move(rule);
        return policy.masking(policy.masking_size() - 1).name();
      });
}

absl::Status ParseSubjects(const YamlReader& r, const YamlField& f, Policy& policy) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(f.value, "subjects", kSubjectKeys));
  warden::v1::Subjects& subjects = *policy.mutable_subjects();
  RETURN_IF_ERROR(ReadNames(r, map, "identities", subjects.mutable_identities()));
  RETURN_IF_ERROR(ReadNames(r, map, "groups", subjects.mutable_groups()));
  if (subjects.identities().empty() && subjects.groups().empty()) {
    return r.Error(map.node(), "subjects", "must name at least one identity or group");
  }
  return absl::OkStatus();
}

absl::Status ParseRecording(const YamlReader& r, const YamlField& f, Policy& policy) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(f.value, "recording", kRecordingKeys));
  warden::v1::RecordingSettings& recording = *policy.mutable_recording();
  ASSIGN_OR_RETURN(const bool enabled, ReadOptionalBool(r, map, "enabled", false));
  ASSIGN_OR_RETURN(const bool results, ReadOptionalBool(r, map, "include_results", false));
  if (results && !enabled) {
    return r.Error(map.Find("include_results")->key_node, "recording.include_results",
                   "needs recording.enabled: true");
  }
  recording.set_enabled(enabled);
  recording.set_include_results(results);
  recording.set_max_result_rows(kDefaultMaxResultRows);
  if (const YamlField* rows = map.Find("max_result_rows")) {
    ASSIGN_OR_RETURN(const uint32_t n,
                     r.Uint(rows->value, "recording.max_result_rows", 1, kMaxResultRows));
    recording.set_max_result_rows(n);
  }
  return absl::OkStatus();
}

absl::Status ParseApproval(const YamlReader& r, const YamlField& f, Policy& policy) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(f.value, "approval", kApprovalKeys));
  warden::v1::ApprovalSettings& approval = *policy.mutable_approval();
  RETURN_IF_ERROR(ReadNames(r, map, "approver_groups", approval.mutable_approver_groups()));
  RETURN_IF_ERROR(ReadNames(r, map, "approver_identities", approval.mutable_approver_identities()));
  if (const YamlField* t = map.Find("timeout_seconds")) {
    ASSIGN_OR_RETURN(const uint32_t seconds,
                     r.Uint(t->value, "approval.timeout_seconds", 1, kMaxApprovalTimeoutSeconds));
    approval.set_timeout_seconds(seconds);
  }
  if (const YamlField* n = map.Find("approvals_required")) {
    ASSIGN_OR_RETURN(const uint32_t count,
                     r.Uint(n->value, "approval.approvals_required", 1, kMaxApprovalsRequired));
    approval.set_approvals_required(count);
  }
  if (const YamlField* w = map.Find("max_window_seconds")) {
    ASSIGN_OR_RETURN(const uint32_t seconds,
                     r.Uint(w->value, "approval.max_window_seconds", 0, kMaxApprovalWindowSeconds));
    approval.set_max_window_seconds(seconds);
  }
  return absl::OkStatus();
}

// Top-level scalars and the required sections (name, subjects, connections).
absl::Status ParseHeader(const YamlReader& r, const YamlMap& map, Policy& policy) {
  ASSIGN_OR_RETURN(*policy.mutable_name(), ReadName(r, map));
  if (const YamlField* d = map.Find("description")) {
    ASSIGN_OR_RETURN(*policy.mutable_description(), r.String(d->value, "description"));
  }
  ASSIGN_OR_RETURN(const YamlField* subjects, r.Required(map, "subjects"));
  RETURN_IF_ERROR(ParseSubjects(r, *subjects, policy));
  ASSIGN_OR_RETURN(const YamlField* connections, r.Required(map, "connections"));
  RETURN_IF_ERROR(ReadNames(r, map, "connections", policy.mutable_connections()));
  if (policy.connections().empty()) {
    return r.Error(connections->value, "connections",
                   "must list at least one connection (\"*\" for all)");
  }
  policy.set_default_action(warden::v1::ACTION_DENY);  // fail closed
  if (const YamlField* a = map.Find("default_action")) {
    ASSIGN_OR_RETURN(const warden::v1::Action action, ReadAction(r, *a, "default_action"));
    policy.set_default_action(action);
  }
  ASSIGN_OR_RETURN(const bool read_only, ReadOptionalBool(r, map, "read_only", false));
  policy.set_read_only(read_only);
  ASSIGN_OR_RETURN(const bool forward, ReadOptionalBool(r, map, "forward_unparsed", false));
  policy.set_forward_unparsed(forward);
  return absl::OkStatus();
}

absl::StatusOr<Policy> ParseRoot(const YamlReader& r, const YAML::Node& root) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(root, "", kRootKeys));
  Policy policy;
  RETURN_IF_ERROR(ParseHeader(r, map, policy));
  if (const YamlField* f = map.Find("rules")) RETURN_IF_ERROR(ParseRules(r, *f, policy));
  if (const YamlField* f = map.Find("masking")) RETURN_IF_ERROR(ParseMasking(r, *f, policy));
  policy.set_masking_unknown(warden::v1::UNKNOWN_LINEAGE_MASK);
  if (const YamlField* f = map.Find("masking_unknown")) {
    ASSIGN_OR_RETURN(const auto u, ReadEnum(r, f->value, "masking_unknown", "masking_unknown",
                                            warden::v1::UnknownLineage_MAX, &UnknownLineageName));
    policy.set_masking_unknown(u);
  }
  if (const YamlField* f = map.Find("recording")) RETURN_IF_ERROR(ParseRecording(r, *f, policy));
  // The approval timeout is always concrete, so enforcement never sees a zero timeout.
  policy.mutable_approval()->set_timeout_seconds(kDefaultApprovalTimeoutSeconds);
  policy.mutable_approval()->set_approvals_required(1);
  if (const YamlField* f = map.Find("approval")) RETURN_IF_ERROR(ParseApproval(r, *f, policy));
  if (const YamlField* f = map.Find("tests")) RETURN_IF_ERROR(ParsePolicyTests(r, *f, policy));
  return policy;
}

}  // namespace

absl::StatusOr<warden::v1::Policy> ParsePolicyYaml(std::string_view text,
                                                   std::string_view filename) {
  const YamlReader r(filename);
  if (text.size() > kMaxPolicyYamlBytes) {
    return r.Error(YAML::Mark(), "document",
                   absl::StrCat("is ", text.size(), " bytes; the limit is ", kMaxPolicyYamlBytes));
  }
  ASSIGN_OR_RETURN(const YAML::Node root, r.LoadOneDocument(text));
  try {
    return ParseRoot(r, root);
  } catch (const YAML::Exception& e) {
    return r.Error(e);
  } catch (const std::exception& e) {
    return r.Error(YAML::Mark(), "yaml", absl::StrCat("cannot parse: ", e.what()));
  }
}

}  // namespace warden::policy
