// wardenctl: the admin CLI over AdminService. The commands live in the *_cmd.cc files.
#include "controlplane/wardenctl/cli.h"
#include "controlplane/wardenctl/commands.h"

int main(int argc, char** argv) {
  warden::wardenctl::Cli cli;
  warden::wardenctl::RegisterAllCommands(cli);
  return cli.Main(argc, argv);
}
