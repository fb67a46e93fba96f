#include "controlplane/wardenctl/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/util/utf8.h"
#include "controlplane/wardenctl/errors.h"

namespace warden::wardenctl {

namespace {

// Display width in code points, so that a UTF-8 name does not push its column out of line.
size_t DisplayWidth(absl::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

void AppendPadded(std::string* out, absl::string_view cell, size_t width) {
  out->append(cell.data(), cell.size());
  out->append(width - std::min(width, DisplayWidth(cell)), ' ');
}

}  // namespace

Table::Table(std::vector<std::string> headers) {
  for (auto& h : headers) absl::AsciiStrToUpper(&h);
  rows_.push_back(std::move(headers));
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(rows_[0].size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(rows_[0].size(), 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line.append("  ");
      AppendPadded(&line, row[i], widths[i]);
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string line;
    AppendPadded(&line, absl::StrCat(key, ":"), width);
    absl::StrAppend(&line, "  ", value);
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return "";
  absl::StripTrailingAsciiWhitespace(&json);
  return json;
}

int PrintJson(const google::protobuf::Message& message) {
  std::string json = ToJson(message);
  if (json.empty()) return Fail(kError, "cannot render the response as JSON");
  std::cout << json << "\n";
  return kOk;
}

int PrintJsonArray(const std::vector<const google::protobuf::Message*>& messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string json = ToJson(*messages[i]);
    if (json.empty()) return Fail(kError, "cannot render the response as JSON");
    absl::StrAppend(&out, i == 0 ? "\n  " : ",\n  ", absl::StrReplaceAll(json, {{"\n", "\n  "}}));
  }
  std::cout << out << (messages.empty() ? "]\n" : "\n]\n");
  return kOk;
}

std::string FormatRelative(int64_t unix_seconds, absl::Time now, absl::string_view if_zero) {
  if (unix_seconds == 0) return std::string(if_zero);
  int64_t delta = absl::ToUnixSeconds(now) - unix_seconds;
  bool future = delta < 0;
  int64_t d = future ? -delta : delta;
  std::string span;
  if (d < 60) {
    span = absl::StrCat(d, "s");
  } else if (d < 3600) {
    span = absl::StrCat(d / 60, "m");
  } else if (d < 48 * 3600) {
    span = absl::StrCat(d / 3600, "h");
  } else {
    span = absl::StrCat(d / 86400, "d");
  }
  return future ? absl::StrCat("in ", span) : absl::StrCat(span, " ago");
}

std::string FormatTimestamp(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::string OrDash(absl::string_view value) { return value.empty() ? "-" : std::string(value); }

namespace {

// Code points a terminal acts on or that change what is seen without being seen: C0 and C1
// controls, DEL, bidirectional overrides and isolates, and zero-width characters.
bool Hidden(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x00ad ||
         (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

}  // namespace

std::string Printable(absl::string_view text, bool one_line) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) {
      out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += one_line ? " " : "\\n";
    } else if (cp == '\t') {
      out += one_line ? " " : "\\t";
    } else if (Hidden(cp)) {
      out += cp < 0x100 ? absl::StrFormat("\\x%02x", cp) : absl::StrFormat("\\u%04x", cp);
    } else {
      out.append(text.data() + i, n);
    }
    i += n;
  }
  return out;
}

}  // namespace warden::wardenctl
