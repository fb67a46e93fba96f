// Reading a database password without it ever appearing on a command line: from stdin (with a
// no-echo prompt when stdin is a terminal) or from a file.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace warden::wardenctl {

// Upper bound on what is read, so `--password-stdin < /dev/zero` fails instead of filling memory.
inline constexpr size_t kMaxSecretBytes = 64 * 1024;

// Reads all of stdin and strips one trailing newline. When stdin is a terminal, prints `prompt`
// on stderr and reads one line with echo turned off. An empty secret is an error.
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFromStdin(const std::string& prompt);

// Reads the file and strips one trailing newline. An empty secret is an error.
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFromFile(const std::string& path);

// Removes one trailing "\n" (or "\r\n"), as `echo` and editors add it; other white space may
// be part of the password and is kept.
std::string StripOneTrailingNewline(std::string s);

// Overwrites the string's bytes before it is released.
void WipeSecret(std::string* s);

}  // namespace warden::wardenctl
