// wardenctl connections create|list|get|delete
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

struct CreateOptions {
  std::string name;
  std::string agent;
  std::string host;
  uint32_t port = 5432;
  std::string database;
  std::string protocol = "postgres";
  std::string tls_mode = "prefer";
  bool read_only = false;
  int max_sessions = 64;
};

std::string CredentialSummary(const v1::ConnectionInfo& c) {
  if (!c.has_credential()) {
    return absl::StrCat("not set — run wardenctl credentials set ", c.name(),
                        " --username U --password-stdin");
  }
  return absl::StrCat("set (user ", c.credential_username(), ", key ",
                      OrDash(c.credential_key_id()), ", updated ",
                      FormatTimestamp(c.credential_updated_unix()), ")");
}

std::string RenderConnection(const v1::ConnectionInfo& c) {
  return RenderFields({
      {"name", c.name()},
      {"protocol", c.protocol()},
      {"agent", c.agent()},
      {"host", c.host()},
      {"port", absl::StrCat(c.port())},
      {"database", c.database()},
      {"tls-mode", c.tls_mode()},
      {"read-only", c.read_only() ? "true" : "false"},
      {"max-sessions-per-identity",
       c.max_sessions_per_identity() < 0
           ? std::string("no limit")
           : absl::StrCat(c.max_sessions_per_identity() == 0 ? 64 : c.max_sessions_per_identity())},
      {"credential", CredentialSummary(c)},
      {"created", FormatTimestamp(c.created_unix())},
  });
}

int CreateConnection(AdminClient& admin, OutputFormat output, const CreateOptions& o) {
  v1::CreateConnectionRequest request;
  v1::ConnectionInfo* c = request.mutable_connection();
  c->set_name(o.name);
  c->set_protocol(o.protocol);
  c->set_agent(o.agent);
  c->set_host(o.host);
  c->set_port(o.port);
  c->set_database(o.database);
  c->set_tls_mode(o.tls_mode);
  c->set_read_only(o.read_only);
  c->set_max_sessions_per_identity(o.max_sessions == 0 ? -1 : o.max_sessions);
  v1::CreateConnectionResponse response;
  if (int rc = admin.Call(&AdminStub::CreateConnection, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "connection " << response.connection().name() << " created\n";
  std::cerr << "Next: wardenctl credentials set " << response.connection().name()
            << " --username U --password-stdin\n";
  return kOk;
}

int ListConnections(AdminClient& admin, OutputFormat output) {
  v1::ListConnectionsResponse response;
  if (int rc = admin.Call(&AdminStub::ListConnections, v1::ListConnectionsRequest(), &response);
      rc != kOk) {
    return rc;
  }
  if (output == OutputFormat::kJson) return PrintJson(response);
  Table table({"NAME", "AGENT", "PROTOCOL", "HOST", "PORT", "DATABASE", "TLS-MODE", "READ-ONLY",
               "CREDENTIAL"});
  for (const v1::ConnectionInfo& c : response.connections()) {
    table.AddRow({c.name(), c.agent(), c.protocol(), c.host(), absl::StrCat(c.port()), c.database(),
                  c.tls_mode(), c.read_only() ? "true" : "false",
                  c.has_credential() ? OrDash(c.credential_username()) : "-"});
  }
  std::cout << table.Render();
  return kOk;
}

int GetConnection(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::GetConnectionRequest request;
  request.set_name(name);
  v1::GetConnectionResponse response;
  if (int rc = admin.Call(&AdminStub::GetConnection, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << RenderConnection(response.connection());
  return kOk;
}

int DeleteConnection(AdminClient& admin, OutputFormat output, const std::string& name) {
  v1::DeleteConnectionRequest request;
  request.set_name(name);
  v1::DeleteConnectionResponse response;
  if (int rc = admin.Call(&AdminStub::DeleteConnection, request, &response); rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "connection " << name << " deleted\n";
  return kOk;
}

void RegisterCreate(Cli& cli, CLI::App* connections) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* create =
      Cli::AddCommand(connections, "create", "Register a database that an agent serves, by name");
  create->add_option("name", o->name, "Connection name (clients use it as the database name)")
      ->required();
  create->add_option("--agent", o->agent, "Agent that reaches the database")->required();
  create->add_option("--host", o->host, "Database host, as the agent sees it")->required();
  create->add_option("--port", o->port, "Database port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  create->add_option("--database", o->database, "Database name on the server")->required();
  create->add_option("--protocol", o->protocol, "Wire protocol")
      ->type_name("postgres")
      ->check(OneOf({"postgres"}))
      ->capture_default_str();
  create->add_option("--tls-mode", o->tls_mode, "TLS from the agent to the database")
      ->type_name("disable|prefer|require|verify-full")
      ->check(OneOf({"disable", "prefer", "require", "verify-full"}))
      ->capture_default_str();
  create->add_flag("--read-only", o->read_only, "Allow only reads on this connection");
  create
      ->add_option("--max-sessions-per-identity", o->max_sessions,
                   "Live sessions one identity may hold on it at once (0: no limit)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cli.SetAction(create, [o](AdminClient& admin, OutputFormat output) {
    return CreateConnection(admin, output, *o);
  });
}

}  // namespace

void RegisterConnectionCommands(Cli& cli) {
  CLI::App* connections =
      Cli::AddCommand(&cli.app(), "connections", "Manage connections: databases served by agents");
  connections->require_subcommand(1);
  RegisterCreate(cli, connections);

  CLI::App* list = Cli::AddCommand(connections, "list", "List connections");
  list->alias("ls");
  cli.SetAction(list, ListConnections);

  auto get_name = std::make_shared<std::string>();
  CLI::App* get = Cli::AddCommand(connections, "get", "Show one connection");
  get->add_option("name", *get_name, "Connection name")->required();
  cli.SetAction(get, [get_name](AdminClient& admin, OutputFormat output) {
    return GetConnection(admin, output, *get_name);
  });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* del = Cli::AddCommand(connections, "delete", "Delete a connection and its credential");
  del->add_option("name", *delete_name, "Connection name")->required();
  cli.SetAction(del, [delete_name](AdminClient& admin, OutputFormat output) {
    return DeleteConnection(admin, output, *delete_name);
  });
}

}  // namespace warden::wardenctl
