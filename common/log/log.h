// Logging setup: one spdlog logger per process, to stderr, with the component in each line.
// Secrets never go to a log line: log token ids and hashes' prefixes, never tokens.
//
// Every line's message is escaped on its way out (EscapeForLog): values that clients or
// unauthenticated peers choose (session ids in tunnel frames, connection, user and application
// names, error texts) end up inside log lines, and none of them can split a line, forge the
// next one or send terminal escape sequences.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "absl/strings/string_view.h"

// Debian's Abseil has its own string_view type (not std::string_view), and Status::message()
// returns it; let every log call format it directly.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace warden::log {

// level: trace|debug|info|warn|error. Returns false for an unknown level name.
bool Init(const std::string& component, const std::string& level);

// `text` with control characters (C0, DEL, C1) and the Unicode line and paragraph separators
// written as \n, \r, \t or \xNN / \u2028: one printable line.
std::string EscapeForLog(absl::string_view text);

}  // namespace warden::log
