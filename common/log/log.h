// Logging setup: one spdlog logger per process, to stderr, with the component in each line.
// Secrets never go to a log line: log token ids and hashes' prefixes, never tokens.
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

}  // namespace warden::log
