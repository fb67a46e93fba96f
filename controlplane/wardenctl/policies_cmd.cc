// wardenctl policies apply|list|get|delete (explain, test: policies_*_cmd.cc)
#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

constexpr char kStdinName[] = "-";

struct PolicySource {
  std::string filename;  // as the user named it, so server errors point at their file
  std::string text;
};

absl::StatusOr<PolicySource> ReadPolicySource(const std::string& path) {
  if (path == kStdinName) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return absl::DataLossError("cannot read the policy from stdin");
    return PolicySource{"<stdin>", std::move(text)};
  }
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return PolicySource{path, *std::move(text)};
}

// "alice,group:oncall": identities as they are, groups marked.
std::string SubjectsColumn(const v1::Subjects& s) {
  std::vector<std::string> out(s.identities().begin(), s.identities().end());
  for (const auto& g : s.groups()) out.push_back(absl::StrCat("group:", g));
  return JoinOrDash(out);
}

// Applies each file in order. A rejected file does not stop the others (its error is printed
// and decides the exit code), but an unreachable server or a bad token does: every later call
// would fail the same way.
int ApplyPolicies(AdminClient& admin, OutputFormat output, const std::vector<std::string>& files) {
  std::vector<PolicySource> sources;
  for (const auto& f : files) {
    absl::StatusOr<PolicySource> source = ReadPolicySource(f);
    if (!source.ok()) return Fail(kUsage, source.status().message());
    sources.push_back(*std::move(source));
  }
  // Policy tests first: when any would fail with these files in force, none of them is applied.
  std::vector<std::pair<std::string, std::string>> texts;
  for (const PolicySource& s : sources) texts.emplace_back(s.filename, s.text);
  if (int rc = CheckPolicyTestsBeforeApply(admin, texts); rc != kOk) return rc;
  int first_failure = kOk;
  std::vector<v1::ApplyPolicyResponse> responses;
  for (const PolicySource& source : sources) {
    v1::ApplyPolicyRequest request;
    request.set_source(source.text);
    request.set_filename(source.filename);
    v1::ApplyPolicyResponse response;
    int rc = admin.Call(&AdminStub::ApplyPolicy, request, &response);
    if (rc != kOk) {
      if (first_failure == kOk) first_failure = rc;
      if (rc == kUnauthenticated || rc == kUnavailable) break;
      continue;
    }
    if (output == OutputFormat::kTable) {
      std::cout << "policy " << response.policy().name() << " "
                << (response.changed() ? "applied" : "unchanged") << " (version "
                << response.policy().version() << ")\n";
    }
    responses.push_back(std::move(response));
  }
  if (output == OutputFormat::kJson && !responses.empty()) {
    if (files.size() == 1) return PrintJson(responses.front());
    std::vector<const google::protobuf::Message*> messages;
    for (const auto& r : responses) messages.push_back(&r);
    if (int rc = PrintJsonArray(messages); rc != kOk) return rc;
  }
  return first_failure;
}

int ListPolicies(AdminClient& admin, OutputFormat output) {
  v1::ListPoliciesResponse response;
  if (int rc = admin.Call(&AdminStub::ListPolicies, v1::ListPoliciesRequest(), &response);
      rc != kOk) {
    return rc;
  }
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"NAME", "VERSION", "UPDATED", "RULES", "MASKING", "CONNECTIONS", "SUBJECTS"});
  absl::Time now = absl::Now();
  for (const v1::PolicyInfo& p : response.policies()) {
    table.AddRow({p.name(), absl::StrCat(p.version()), FormatRelative(p.updated_unix(), now),
                  absl::StrCat(p.spec().rules_size()), absl::StrCat(p.spec().masking_size()),
                  JoinOrDash(p.spec().connections()), SubjectsColumn(p.spec().subjects())});
  }
  std::cout << table.Render() << "\nglobal policy version: " << response.policy_version() << "\n";
  return kOk;
}

int GetPolicy(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::GetPolicyRequest request;
  request.set_name(name);
  v1::GetPolicyResponse response;
  if (int rc = admin.Call(&AdminStub::GetPolicy, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response.policy());
  // The YAML exactly as applied, so `policies get NAME > f.yaml` round-trips.
  const std::string& source = response.policy().source();
  std::cout << source;
  if (!source.empty() && source.back() != '\n') std::cout << "\n";
  return kOk;
}

int DeletePolicy(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::DeletePolicyRequest request;
  request.set_name(name);
  v1::DeletePolicyResponse response;
  if (int rc = admin.Call(&AdminStub::DeletePolicy, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "policy " << name << " deleted (global policy version " << response.policy_version()
            << ")\n";
  return kOk;
}

void RegisterApply(Cli& cli, CLI::App* policies) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* apply = Cli::AddCommand(
      policies, "apply", "Validate and store policy YAML files, and push them to agents");
  apply->add_option("-f,--filename", *files, "Policy YAML file; - reads stdin; may be repeated")
      ->type_name("FILE")
      ->required()
      ->allow_extra_args(false);
  apply->parse_complete_callback([files] {
    if (std::count(files->begin(), files->end(), kStdinName) > 1) {
      throw CLI::ValidationError("-f - (stdin) may be given only once");
    }
  });
  cli.SetAction(apply, [files](AdminClient& admin, OutputFormat output) {
    return ApplyPolicies(admin, output, *files);
  });
}

}  // namespace

void RegisterPolicyCommands(Cli& cli) {
  CLI::App* policies =
      Cli::AddCommand(&cli.app(), "policies", "Manage policies: who may run what, and masking");
  policies->require_subcommand(1);
  RegisterApply(cli, policies);
  RegisterPolicyExplain(cli, policies);
  RegisterPolicyTest(cli, policies);

  CLI::App* list = Cli::AddCommand(policies, "list", "List policies");
  list->alias("ls");
  cli.SetAction(list, ListPolicies);

  auto get_name = std::make_shared<std::string>();
  CLI::App* get = Cli::AddCommand(policies, "get", "Print a policy's YAML as applied");
  get->add_option("name", *get_name, "Policy name")->required();
  cli.SetAction(get, [get_name](AdminClient& admin, OutputFormat output) {
    return GetPolicy(admin, output, *get_name);
  });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* del = Cli::AddCommand(policies, "delete", "Delete a policy and push the change");
  del->add_option("name", *delete_name, "Policy name")->required();
  cli.SetAction(del, [delete_name](AdminClient& admin, OutputFormat output) {
    return DeletePolicy(admin, output, *delete_name);
  });
}

}  // namespace warden::wardenctl
