// Rendering results: aligned tables and key/value blocks for people, protobuf JSON for scripts.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warden::wardenctl {

enum class OutputFormat { kTable, kJson };

// Columns separated by two spaces, headers upper case, no trailing spaces. An empty table
// renders as its header row alone.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// "key:  value" lines with the values aligned, for showing one object.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// The message as pretty-printed JSON with proto field names and every field present.
std::string ToJson(const google::protobuf::Message& message);

// Prints ToJson(message) on stdout; returns an exit code.
int PrintJson(const google::protobuf::Message& message);

// Prints the messages as one pretty-printed JSON array on stdout; returns an exit code.
int PrintJsonArray(const std::vector<const google::protobuf::Message*>& messages);

// "3s ago", "5m ago", "2h ago", "4d ago", or "in 57m" for a time in the future; `if_zero` when
// unix_seconds is 0 (the protocol's "never").
std::string FormatRelative(int64_t unix_seconds, absl::Time now, absl::string_view if_zero = "-");

// RFC 3339 in UTC, e.g. "2024-05-01T12:00:00Z"; "-" for 0.
std::string FormatTimestamp(int64_t unix_seconds);

// Comma-joined values, or "-" when there are none.
template <typename Container>
std::string JoinOrDash(const Container& values) {
  if (values.empty()) return "-";
  return absl::StrJoin(values, ",");
}

std::string OrDash(absl::string_view value);

// Text a client wrote, safe to put on an administrator's terminal, on one line: control
// characters (escape sequences; a carriage return that would overwrite a line with something
// harmless-looking; a line break that would start a fake field), bytes that are not UTF-8,
// bidirectional overrides and zero-width characters are all shown escaped (\n, \t, \xNN,
// \uNNNN), so what is read is what will run. With one_line, line breaks and tabs become spaces
// instead (table cells, where the full text is a `show` away).
std::string Printable(absl::string_view text, bool one_line = false);

}  // namespace warden::wardenctl
