// Go-style durations for flags such as --ttl: "90s", "30m", "1h30m", "24h", plus whole days
// ("7d", "1d12h"), which Go lacks but token lifetimes need.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warden::wardenctl {

// Parses a positive duration of at least one second.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseTtl(absl::string_view text);

// A --grace period in whole seconds: "0" (none) or a duration as for ParseTtl. Errors name the
// flag.
[[nodiscard]] absl::StatusOr<int64_t> ParseGraceSeconds(absl::string_view text);

}  // namespace warden::wardenctl
