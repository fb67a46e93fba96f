// Log lines cannot be forged by the values they carry, and floods are rate-limited.
#include "common/log/log.h"

#include <catch2/catch.hpp>

#include "common/log/rate_limit.h"

using warden::log::EscapeForLog;
using warden::log::RateLimit;

TEST_CASE("log escaping: one printable line, whatever the value") {
  CHECK(EscapeForLog("plain text, é ü → ok") == "plain text, é ü → ok");
  CHECK(EscapeForLog("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(EscapeForLog(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(EscapeForLog("\x1b[2Jclear") == "\\x1b[2Jclear");
  CHECK(EscapeForLog("del\x7f") == "del\\x7f");
  CHECK(EscapeForLog("nel\xc2\x85"
                     "csi\xc2\x9b") == "nel\\u0085csi\\u009b");
  CHECK(EscapeForLog("ls\xe2\x80\xa8ps\xe2\x80\xa9") == "ls\\u2028ps\\u2029");
  CHECK(EscapeForLog("¡hola!") == "¡hola!");  // c2 a1: not a control
  // Not UTF-8 (a raw C1 byte, a truncated or overlong sequence): each byte escaped.
  CHECK(EscapeForLog("\x9b"
                     "2J") == "\\x9b2J");
  CHECK(EscapeForLog("\xe2\x80") == "\\xe2\\x80");
  CHECK(EscapeForLog("\xc0\x8a") == "\\xc0\\x8a");  // an overlong newline
  // Bidirectional overrides reorder what a reader sees (CVE-2021-42574).
  CHECK(EscapeForLog("a\xe2\x80\xae"
                     "b") == "a\\u202eb");
  // A backslash in the value cannot pass for one of the escapes above.
  CHECK(EscapeForLog("a\\nb") == "a\\\\nb");
  for (int c = 0; c < 256; ++c) {
    std::string out = EscapeForLog(std::string(1, static_cast<char>(c)));
    CHECK(out.find('\n') == std::string::npos);
    CHECK(out.find('\r') == std::string::npos);
  }
}

TEST_CASE("log rate limit: a burst, then a steady rate, and the count left out") {
  RateLimit limit(5, 3);
  auto t = RateLimit::Clock::time_point{} + std::chrono::seconds(100);
  CHECK(limit.Admit(t) == 0u);
  CHECK(limit.Admit(t) == 0u);
  CHECK(limit.Admit(t) == 0u);
  CHECK_FALSE(limit.Admit(t).has_value());
  CHECK_FALSE(limit.Admit(t).has_value());
  // A fifth of a second later one more line is due, saying two were left out.
  t += std::chrono::milliseconds(200);
  CHECK(limit.Admit(t) == 2u);
  CHECK_FALSE(limit.Admit(t).has_value());
  // After a quiet spell the burst is back, and no more than the burst.
  t += std::chrono::seconds(60);
  CHECK(limit.Admit(t) == 1u);
  CHECK(limit.Admit(t) == 0u);
  CHECK(limit.Admit(t) == 0u);
  CHECK_FALSE(limit.Admit(t).has_value());
  CHECK(warden::log::LeftOut(0).empty());
  CHECK(warden::log::LeftOut(7) == " (7 similar lines left out)");
}
