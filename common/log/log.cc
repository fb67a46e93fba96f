#include "common/log/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>

#include "common/util/utf8.h"

namespace warden::log {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Passes every message through EscapeForLog before the inner sink formats it.
class EscapingSink final : public spdlog::sinks::sink {
 public:
  explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

  void log(const spdlog::details::log_msg& msg) override {
    absl::string_view payload(msg.payload.data(), msg.payload.size());
    if (!NeedsEscaping(payload)) return inner_->log(msg);
    const std::string escaped = EscapeForLog(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  static bool NeedsEscaping(absl::string_view s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f || c == '\\') return true;
    }
    return false;
  }
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

namespace {

void AppendHex(std::string& out, const char* prefix, uint32_t v, int digits) {
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
}

// Code points that move or end lines, or reorder what a reader sees: C1 controls, the line and
// paragraph separators, and the bidirectional overrides and isolates (CVE-2021-42574).
bool Invisible(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string EscapeForLog(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '\\') {
        out += "\\\\";  // so that an escape in the text cannot pass for one of ours
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        AppendHex(out, "\\x", c, 2);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      AppendHex(out, "\\x", c, 2);  // not UTF-8: a raw byte a terminal might act on
      ++i;
    } else if (Invisible(cp)) {
      AppendHex(out, "\\u", cp, 4);
      i += len;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

bool Init(const std::string& component, const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  auto inner = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(component, std::make_shared<EscapingSink>(inner));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace warden::log
