#include "controlplane/wardenctl/secret_input.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/files.h"

namespace warden::wardenctl {

namespace {

// The terminal settings to restore if the user interrupts the prompt; otherwise Ctrl-C would
// leave their shell without echo.
struct termios g_saved_termios;

void RestoreTerminalAndExit(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

absl::StatusOr<std::string> ReadLineWithoutEcho(const std::string& prompt) {
  if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) {
    return absl::FailedPreconditionError("cannot read the terminal settings of stdin");
  }
  struct termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto old_int = ::signal(SIGINT, RestoreTerminalAndExit);
  auto old_term = ::signal(SIGTERM, RestoreTerminalAndExit);
  std::cerr << prompt << std::flush;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  ::signal(SIGINT, old_int);
  ::signal(SIGTERM, old_term);
  if (line.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the password is longer than ", kMaxSecretBytes, " bytes"));
  }
  return StripOneTrailingNewline(std::move(line));
}

absl::StatusOr<std::string> ReadAllStdin() {
  std::string data;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) {
    data.append(buf, n);
    if (data.size() > kMaxSecretBytes) {
      WipeSecret(&data);
      return absl::InvalidArgumentError(
          absl::StrCat("the password on stdin is longer than ", kMaxSecretBytes, " bytes"));
    }
  }
  if (std::ferror(stdin)) return absl::DataLossError("cannot read stdin");
  return StripOneTrailingNewline(std::move(data));
}

}  // namespace

std::string StripOneTrailingNewline(std::string s) {
  if (absl::EndsWith(s, "\r\n")) {
    s.resize(s.size() - 2);
  } else if (absl::EndsWith(s, "\n")) {
    s.pop_back();
  }
  return s;
}

void WipeSecret(std::string* s) {
  volatile char* p = s->data();
  for (size_t i = 0; i < s->size(); ++i) p[i] = 0;
  s->clear();
}

absl::StatusOr<std::string> ReadSecretFromStdin(const std::string& prompt) {
  absl::StatusOr<std::string> secret =
      ::isatty(STDIN_FILENO) ? ReadLineWithoutEcho(prompt) : ReadAllStdin();
  if (secret.ok() && secret->empty()) {
    return absl::InvalidArgumentError("the password read from stdin is empty");
  }
  return secret;
}

absl::StatusOr<std::string> ReadSecretFromFile(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok()) return data.status();
  if (data->size() > kMaxSecretBytes) {
    WipeSecret(&*data);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the password file is larger than ", kMaxSecretBytes, " bytes"));
  }
  std::string secret = StripOneTrailingNewline(*std::move(data));
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the file is empty"));
  return secret;
}

}  // namespace warden::wardenctl
