// wardenctl approvals list|show|approve|deny: the statements held on clients' connections until
// a human decides, and deciding them.
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/policy/approval_text.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/duration.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

const std::map<std::string, v1::ApprovalState>& States() {
  static const auto* const kStates = new std::map<std::string, v1::ApprovalState>{
      {"pending", v1::APPROVAL_STATE_PENDING},     {"approved", v1::APPROVAL_STATE_APPROVED},
      {"denied", v1::APPROVAL_STATE_DENIED},       {"expired", v1::APPROVAL_STATE_EXPIRED},
      {"withdrawn", v1::APPROVAL_STATE_WITHDRAWN}, {"executed", v1::APPROVAL_STATE_EXECUTED}};
  return *kStates;
}

std::string StateOf(v1::ApprovalState state) {
  for (const auto& [name, s] : States()) {
    if (s == state) return name;
  }
  return "unknown";
}

// A statement on one line, cut to fit a table.
std::string Short(const std::string& sql, size_t max = 60) {
  std::string one = Printable(sql, /*one_line=*/true);
  if (one.size() <= max) return one;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(one[cut]) & 0xc0) == 0x80) --cut;  // whole chars
  return one.substr(0, cut) + "...";
}

int Approvals(const v1::ApprovalRequest& r) {
  int n = 0;
  for (const v1::ApprovalDecision& d : r.decisions()) n += d.approve() ? 1 : 0;
  return n;
}

std::vector<std::string> Row(const v1::ApprovalRequest& r, absl::Time now) {
  return {r.id(),
          StateOf(r.state()),
          r.identity(),
          r.connection(),
          absl::StrCat(r.policy(), "/", r.rule()),
          absl::StrCat(Approvals(r), "/", r.approvals_required()),
          r.state() == v1::APPROVAL_STATE_PENDING ? FormatRelative(r.expires_unix(), now)
                                                  : FormatRelative(r.closed_unix(), now),
          Short(r.statement())};
}

const std::vector<std::string> kHeaders = {"ID",   "STATE",     "IDENTITY", "CONNECTION",
                                           "RULE", "APPROVALS", "WHEN",     "STATEMENT"};

struct ListOptions {
  std::string state;
  uint32_t limit = 0;
  bool watch = false;
};

int ListApprovals(AdminClient& admin, OutputFormat output, const ListOptions& o) {
  v1::ListApprovalsRequest request;
  if (!o.state.empty()) request.set_state(States().at(o.state));
  request.set_limit(o.limit);
  if (o.watch) {
    // Each request on a line of its own as it is now, then again each time it changes.
    bool header = output == OutputFormat::kTable;
    return admin.Stream(
        &AdminStub::WatchApprovals, request,
        std::function<void(const v1::ApprovalRequest&)>([&](const v1::ApprovalRequest& r) {
          if (output == OutputFormat::kJson) {
            PrintJson(r);
            return;
          }
          Table table(kHeaders);
          table.AddRow(Row(r, absl::Now()));
          std::string text = table.Render();
          // The header once, above the first row.
          if (!header) text = text.substr(text.find('\n') + 1);
          header = false;
          std::cout << text << std::flush;
        }));
  }
  v1::ListApprovalsResponse response;
  if (int rc = admin.Call(&AdminStub::ListApprovals, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table(kHeaders);
  absl::Time now = absl::Now();
  for (const v1::ApprovalRequest& r : response.requests()) table.AddRow(Row(r, now));
  std::cout << table.Render();
  return kOk;
}

int ShowApproval(AdminClient& admin, OutputFormat output, const std::string& id) {
  v1::GetApprovalRequest request;
  request.set_id(id);
  v1::GetApprovalResponse response;
  if (int rc = admin.Call(&AdminStub::GetApproval, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response.request());
  const v1::ApprovalRequest& r = response.request();
  absl::Time now = absl::Now();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", r.id()},
      {"state", StateOf(r.state())},
      {"identity", absl::StrCat(r.identity(), r.groups().empty() ? "" : " (groups ",
                                absl::StrJoin(r.groups(), ", "), r.groups().empty() ? "" : ")")},
      {"connection",
       absl::StrCat(r.connection(), " (agent ", r.agent(), ", session ", r.session_id(), ")")},
      {"statement", Printable(r.statement())},
      {"parameters", Printable(JoinOrDash(r.parameters()))},
      {"class", OrDash(r.statement_class())},
      {"fingerprint", OrDash(r.fingerprint())},
      {"held bytes", OrDash(r.held_sha256().empty() ? "" : "sha256:" + r.held_sha256())},
      {"rule", absl::StrCat("policy \"", r.policy(), "\" rule \"", r.rule(), "\"")},
      {"message", Printable(OrDash(r.message()))},
      {"transaction", r.in_transaction() ? "open: it stays open while this waits" : "none"},
      {"estimate", Printable(policy::EstimateText(r.estimate()))},
      {"approvers",
       absl::StrCat("groups ", JoinOrDash(r.approver_groups()), "; identities ",
                    JoinOrDash(r.approver_identities()), "; ", r.approvals_required(), " needed")},
      {"created", FormatRelative(r.created_unix(), now)},
      {"expires",
       r.state() == v1::APPROVAL_STATE_PENDING ? FormatRelative(r.expires_unix(), now) : "-"}};
  for (const v1::ApprovalDecision& d : r.decisions()) {
    fields.emplace_back(
        "decision",
        absl::StrCat(
            FormatRelative(d.decided_unix(), now), ": ", d.approve() ? "approved" : "denied",
            " by ", d.identity(), d.reason().empty() ? "" : absl::StrCat(" (", d.reason(), ")"),
            d.window_until_unix() == 0
                ? ""
                : absl::StrCat(", window until ", FormatTimestamp(d.window_until_unix()))));
  }
  if (r.state() == v1::APPROVAL_STATE_EXECUTED) {
    const v1::ApprovalOutcome& o = r.outcome();
    fields.emplace_back(
        "outcome",
        Printable(o.sqlstate().empty() ? o.command_tag()
                                       : absl::StrCat("failed: ", o.sqlstate(), " ", o.message())));
  }
  std::cout << RenderFields(fields);
  return kOk;
}

struct DecideOptions {
  std::string id;
  std::string reason;
  std::string window;  // --for
  bool approve = true;
};

int DecideApproval(AdminClient& admin, OutputFormat output, const DecideOptions& o) {
  v1::DecideApprovalRequest request;
  request.set_id(o.id);
  request.set_approve(o.approve);
  request.set_reason(o.reason);
  if (!o.window.empty()) {
    absl::StatusOr<absl::Duration> d = ParseTtl(o.window);
    if (!d.ok()) return Fail(kUsage, absl::StrCat("--for: ", d.status().message()));
    request.set_window_seconds(absl::ToInt64Seconds(*d));
  }
  v1::DecideApprovalResponse response;
  if (int rc = admin.Call(&AdminStub::DecideApproval, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response.request());
  const v1::ApprovalRequest& r = response.request();
  std::cout << "approval request " << r.id() << " " << (o.approve ? "approved" : "denied");
  if (r.state() == v1::APPROVAL_STATE_PENDING) {
    std::cout << " (" << Approvals(r) << " of " << r.approvals_required()
              << " approvals: still pending)";
  } else {
    std::cout << ": " << StateOf(r.state());
  }
  std::cout << "\n";
  return kOk;
}

}  // namespace

void RegisterApprovalCommands(Cli& cli) {
  CLI::App* approvals = Cli::AddCommand(
      &cli.app(), "approvals",
      "Statements held on clients' connections until an approver decides (require_approval)");
  approvals->require_subcommand(1);

  auto list_opts = std::make_shared<ListOptions>();
  CLI::App* list = Cli::AddCommand(approvals, "list", "List approval requests, newest first");
  list->alias("ls");
  std::vector<std::string> state_names;
  for (const auto& [name, s] : States()) state_names.push_back(name);
  list->add_option("--state", list_opts->state, "Only requests in this state")
      ->check(CLI::IsMember(state_names));
  list->add_option("--limit", list_opts->limit, "At most this many (default 100)");
  list->add_flag("-w,--watch", list_opts->watch,
                 "Then print each request again whenever it is raised or changes (Ctrl-C ends)");
  cli.SetAction(list, [list_opts](AdminClient& admin, OutputFormat output) {
    return ListApprovals(admin, output, *list_opts);
  });

  auto id = std::make_shared<std::string>();
  CLI::App* show = Cli::AddCommand(approvals, "show",
                                   "Show one request: statement, parameters, estimate, history");
  show->add_option("id", *id, "Request id (apr_...)")->required();
  cli.SetAction(show, [id](AdminClient& admin, OutputFormat output) {
    return ShowApproval(admin, output, *id);
  });

  auto approve_opts = std::make_shared<DecideOptions>();
  CLI::App* approve = Cli::AddCommand(
      approvals, "approve",
      "Approve a request: once enough approvers have, the held statement runs as shown");
  approve->add_option("id", approve_opts->id, "Request id (apr_...)")->required();
  approve->add_option("--reason", approve_opts->reason, "Why, kept with the decision");
  approve
      ->add_option("--for", approve_opts->window,
                   "Also let the same statement from the same identity on the same "
                   "connection through without asking for this long (e.g. 30m; at most the "
                   "policy's approval.max_window_seconds)")
      ->type_name("DURATION");
  cli.SetAction(approve, [approve_opts](AdminClient& admin, OutputFormat output) {
    return DecideApproval(admin, output, *approve_opts);
  });

  auto deny_opts = std::make_shared<DecideOptions>();
  deny_opts->approve = false;
  CLI::App* deny = Cli::AddCommand(approvals, "deny",
                                   "Deny a request: the client gets an error with the reason");
  deny->add_option("id", deny_opts->id, "Request id (apr_...)")->required();
  deny->add_option("--reason", deny_opts->reason, "Why; the client reads it")->required();
  cli.SetAction(deny, [deny_opts](AdminClient& admin, OutputFormat output) {
    return DecideApproval(admin, output, *deny_opts);
  });
}

}  // namespace warden::wardenctl
