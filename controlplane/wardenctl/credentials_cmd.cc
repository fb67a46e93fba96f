// wardenctl credentials set. The password comes from stdin or a file, never from a flag value:
// a command line is visible in `ps` and is kept in shell history.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "controlplane/wardenctl/commands.h"
#include "controlplane/wardenctl/errors.h"
#include "controlplane/wardenctl/secret_input.h"

namespace warden::wardenctl {

namespace {

struct SetOptions {
  std::string connection;
  std::string username;
  bool password_stdin = false;
  std::string password_file;
  std::string password_flag;  // only to refuse it with a useful message
};

int SetCredential(AdminClient& admin, OutputFormat output, const SetOptions& o) {
  absl::StatusOr<std::string> secret =
      o.password_stdin ? ReadSecretFromStdin(
                             absl::StrCat("Password for ", o.username, " on ", o.connection, ": "))
                       : ReadSecretFromFile(o.password_file);
  if (!secret.ok()) return Fail(kUsage, secret.status().message());

  v1::SetCredentialRequest request;
  request.set_connection(o.connection);
  request.set_username(o.username);
  request.set_secret(*secret);
  WipeSecret(&*secret);
  v1::SetCredentialResponse response;
  int rc = admin.Call(&AdminStub::SetCredential, request, &response);
  WipeSecret(request.mutable_secret());
  if (rc != kOk) return rc;
  if (output == OutputFormat::kJson) return PrintJson(response);
  std::cout << "credential for " << o.connection << " set (user " << o.username << ")\n";
  return kOk;
}

}  // namespace

void RegisterCredentialCommands(Cli& cli) {
  CLI::App* credentials = Cli::AddCommand(
      &cli.app(), "credentials", "Set the database login that agents use for a connection");
  credentials->require_subcommand(1);

  auto o = std::make_shared<SetOptions>();
  CLI::App* set = Cli::AddCommand(credentials, "set",
                                  "Store the database login for a connection (encrypted at rest)");
  set->add_option("connection", o->connection, "Connection name")->required();
  set->add_option("-u,--username", o->username, "Database user")->required();
  CLI::Option* from_stdin =
      set->add_flag("--password-stdin", o->password_stdin,
                    "Read the password from stdin (prompted without echo on a terminal)");
  CLI::Option* from_file =
      set->add_option("--password-file", o->password_file,
                      "Read the password from a file (one trailing newline is removed)")
          ->type_name("PATH");
  from_stdin->excludes(from_file);
  // Hidden: it exists only to refuse a password on the command line with a useful message.
  CLI::Option* refused = set->add_option("--password", o->password_flag)->group("");
  set->parse_complete_callback([o, refused] {
    if (refused->count() > 0) {
      WipeSecret(&o->password_flag);
      throw CLI::ValidationError(
          "--password is not accepted: a command line shows in ps and shell history; use "
          "--password-stdin or --password-file PATH");
    }
    if (!o->password_stdin && o->password_file.empty()) {
      throw CLI::ValidationError(
          "the password is required: pass --password-stdin or --password-file PATH");
    }
  });
  cli.SetAction(set, [o](AdminClient& admin, OutputFormat output) {
    return SetCredential(admin, output, *o);
  });
}

}  // namespace warden::wardenctl
