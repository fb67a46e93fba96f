#include "common/sql/classify/parser_settings.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace warden::sql {
namespace {

// Every alias in PostgreSQL 15's pg_encname_tbl (src/common/encnames.c), cleaned as
// clean_encoding_name() does, except the client-only encodings: SJIS (sjis, mskanji, shiftjis,
// win932, windows932), SHIFT_JIS_2004, BIG5 (win950, windows950), GBK (win936, windows936),
// UHC (win949, windows949), GB18030 and JOHAB.
constexpr std::array<std::string_view, 64> kAsciiSafeEncodings = {
    "abc",         "alt",         "euccn",       "eucjis2004",  "eucjp",        "euckr",
    "euctw",       "iso88591",    "iso885910",   "iso885913",   "iso885914",    "iso885915",
    "iso885916",   "iso88592",    "iso88593",    "iso88594",    "iso88595",     "iso88596",
    "iso88597",    "iso88598",    "iso88599",    "koi8",        "koi8r",        "koi8u",
    "latin1",      "latin10",     "latin2",      "latin3",      "latin4",       "latin5",
    "latin6",      "latin7",      "latin8",      "latin9",      "muleinternal", "sqlascii",
    "tcvn",        "tcvn5712",    "unicode",     "utf8",        "vscii",        "win",
    "win1250",     "win1251",     "win1252",     "win1253",     "win1254",      "win1255",
    "win1256",     "win1257",     "win1258",     "win866",      "win874",       "windows1250",
    "windows1251", "windows1252", "windows1253", "windows1254", "windows1255",  "windows1256",
    "windows1257", "windows1258", "windows866",  "windows874",
};

std::string CleanEncodingName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out += absl::ascii_tolower(static_cast<unsigned char>(c));
    }
  }
  return out;
}

bool IsLexingSetting(std::string_view name) {
  return name == "standard_conforming_strings" || name == "client_encoding";
}

}  // namespace

std::optional<bool> ParsePostgresBool(std::string_view value) {
  const std::string v = absl::AsciiStrToLower(std::string(value));
  if (v.empty()) return std::nullopt;
  auto prefix_of = [&v](std::string_view word) {
    return v.size() <= word.size() && word.substr(0, v.size()) == v;
  };
  if (prefix_of("true") || prefix_of("yes")) return true;
  if (prefix_of("false") || prefix_of("no")) return false;
  if (v == "on") return true;
  if (v.size() >= 2 && prefix_of("off")) return false;  // "o" alone is ambiguous
  if (v == "1") return true;
  if (v == "0") return false;
  return std::nullopt;
}

bool ClientEncodingKeepsAscii(std::string_view name) {
  const std::string clean = CleanEncodingName(name);
  return std::find(kAsciiSafeEncodings.begin(), kAsciiSafeEncodings.end(), clean) !=
         kAsciiSafeEncodings.end();
}

std::string LexingSettingProblem(std::string_view name, std::string_view value) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "standard_conforming_strings") {
    if (ParsePostgresBool(value) == true) return "";
    return "standard_conforming_strings must stay on: Warden reads statements as PostgreSQL does "
           "with it on, and with it off a backslash would make the database read a different "
           "statement";
  }
  if (lower == "client_encoding") {
    if (ClientEncodingKeepsAscii(value)) return "";
    return absl::StrCat("client_encoding \"", std::string(value),
                        "\" is not allowed through Warden: in it a multibyte character can contain "
                        "a quote or backslash byte, so the database would read a different "
                        "statement than policy saw; use UTF8");
  }
  return "";
}

std::string SettingChangeProblem(const ClassifiedBatch& batch) {
  for (const ClassifiedStatement& s : batch.statements) {
    for (const SettingChange& c : s.settings) {
      // A function's own SET clause lasts while it runs, and reads none of the client's text.
      if (c.scope == SettingChange::Scope::kFunction) continue;
      // A computed name (pg_dump's `set_config(name, ...) FROM pg_settings WHERE name = ...`)
      // is let through: should it name a lexing setting, the database reports the change and
      // the session ends, like a change made by any code out of sight.
      if (!IsLexingSetting(c.name)) continue;
      switch (c.value) {
        case SettingChange::Value::kDefault:
          break;  // the startup value, which Warden pins
        case SettingChange::Value::kConstant:
        case SettingChange::Value::kComputed:
          return absl::StrCat(c.name,
                              " may only be set to a literal value through Warden, so that it "
                              "can check it (it decides how the database reads statements)");
        case SettingChange::Value::kLiteral:
          if (std::string p = LexingSettingProblem(c.name, c.value_text); !p.empty()) return p;
          break;
      }
    }
  }
  return "";
}

bool TextDependsOnLexingSettings(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return c == '\\' || static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace warden::sql
