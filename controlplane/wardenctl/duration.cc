#include "controlplane/wardenctl/duration.h"

#include <string>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warden::wardenctl {

namespace {

absl::Status BadTtl(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid duration \"", text, "\": use a duration such as 30m, 1h, 24h or 7d"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseTtl(absl::string_view text) {
  absl::string_view rest = text;
  absl::Duration total = absl::ZeroDuration();
  // absl::ParseDuration has no day unit; take a leading "<N>d" off first.
  if (size_t d = rest.find('d'); d != absl::string_view::npos) {
    absl::string_view days = rest.substr(0, d);
    int64_t n = 0;
    if (days.empty() || !absl::c_all_of(days, absl::ascii_isdigit) || !absl::SimpleAtoi(days, &n) ||
        n > 36500) {
      return BadTtl(text);
    }
    total = absl::Hours(24 * n);
    rest = rest.substr(d + 1);
  }
  if (!rest.empty()) {
    absl::Duration part;
    if (!absl::ParseDuration(rest, &part) || part == absl::InfiniteDuration()) return BadTtl(text);
    total += part;
  }
  if (rest.empty() && total == absl::ZeroDuration()) return BadTtl(text);
  if (total < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration \"", text, "\" is too short: it must be at least 1s"));
  }
  return total;
}

absl::StatusOr<int64_t> ParseGraceSeconds(absl::string_view text) {
  if (text == "0") return 0;
  absl::StatusOr<absl::Duration> d = ParseTtl(text);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--grace: ", d.status().message()));
  }
  return absl::ToInt64Seconds(*d);
}

}  // namespace warden::wardenctl
