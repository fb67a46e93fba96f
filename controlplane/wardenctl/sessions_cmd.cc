// wardenctl sessions list: the client sessions live on every gateway right now.
#include <iostream>

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

}  // namespace

void RegisterSessionCommands(Cli& cli) {
  CLI::App* sessions = Cli::AddCommand(&cli.app(), "sessions", "Show live client sessions");
  sessions->require_subcommand(1);
  CLI::App* list = Cli::AddCommand(sessions, "list", "List live sessions on every gateway");
  list->alias("ls");
  cli.SetAction(
      list, [](AdminClient& admin, OutputFormat output) { return ListSessions(admin, output); });
}

}  // namespace warden::wardenctl
