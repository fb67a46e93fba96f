// wardenctl sessions list|kill: the client sessions live on every gateway right now, and ending
// one of them.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

std::string Bytes(uint64_t n) {
  if (n < 10 * 1024) return absl::StrCat(n, " B");
  if (n < 10 * 1024 * 1024) return absl::StrCat(n / 1024, " KiB");
  return absl::StrCat(n / (1024 * 1024), " MiB");
}

int ListSessions(AdminClient& admin, OutputFormat output) {
  v1::ListSessionsRequest request;
  v1::ListSessionsResponse response;
  if (int rc = admin.Call(&AdminStub::ListSessions, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table(
      {"ID", "IDENTITY", "CONNECTION", "CLIENT", "AGENT", "GATEWAY", "STARTED", "IN", "OUT"});
  absl::Time now = absl::Now();
  for (const v1::LiveSession& s : response.sessions()) {
    table.AddRow({s.session_id(), OrDash(s.identity()), OrDash(s.connection()),
                  OrDash(s.client_address()), OrDash(s.agent()), OrDash(s.gateway()),
                  FormatRelative(s.started_unix(), now), Bytes(s.bytes_in()),
                  Bytes(s.bytes_out())});
  }
  std::cout << table.Render();
  return kOk;
}

struct KillOptions {
  std::string id;
  std::string reason;
};

int KillSession(AdminClient& admin, OutputFormat output, const KillOptions& o) {
  v1::KillSessionRequest request;
  request.set_session_id(o.id);
  request.set_reason(o.reason);
  v1::KillSessionResponse response;
  if (int rc = admin.Call(&AdminStub::KillSession, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  const v1::LiveSession& s = response.session();
  std::cout << "session " << s.session_id() << " (" << OrDash(s.identity()) << " on "
            << OrDash(s.connection()) << ") ended\n";
  return kOk;
}

}  // namespace

void RegisterSessionCommands(Cli& cli) {
  CLI::App* sessions = Cli::AddCommand(&cli.app(), "sessions", "Show and end live client sessions");
  sessions->require_subcommand(1);
  CLI::App* list = Cli::AddCommand(sessions, "list", "List live sessions on every gateway");
  list->alias("ls");
  cli.SetAction(
      list, [](AdminClient& admin, OutputFormat output) { return ListSessions(admin, output); });

  auto o = std::make_shared<KillOptions>();
  CLI::App* kill = Cli::AddCommand(
      sessions, "kill",
      "End a live session now: its client gets FATAL 57P01 with the reason, its running "
      "statement is cancelled and its database connection closed");
  kill->add_option("id", o->id, "Session id (ses_..., from sessions list)")->required();
  kill->add_option("--reason", o->reason, "Why, shown to the client")->type_name("TEXT");
  cli.SetAction(kill, [o](AdminClient& admin, OutputFormat output) {
    return KillSession(admin, output, *o);
  });
}

}  // namespace warden::wardenctl
