#include "common/policy/glob.h"

#include <array>
#include <cstddef>

namespace warden::policy {
namespace {

// Schemas an unqualified name may resolve to under PostgreSQL's default search path
// (https://www.postgresql.org/docs/current/ddl-schemas.html#DDL-SCHEMAS-PATH: pg_catalog is
// searched first unless listed explicitly, then "$user", then public).
constexpr std::array<std::string_view, 2> kDefaultSearchPath = {"pg_catalog", "public"};

// Keeps the last two dot-separated parts: "db.schema.name" -> "schema.name".
std::string_view LastTwoParts(std::string_view s) {
  size_t last = s.rfind('.');
  if (last == std::string_view::npos || last == 0) return s;
  size_t prev = s.rfind('.', last - 1);
  return prev == std::string_view::npos ? s : s.substr(prev + 1);
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Classic greedy matcher: on a mismatch, backtrack only to the most recent `*` and let it
  // absorb one more character. Earlier stars never need revisiting, which bounds the work.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t]) && pattern[p] != '*') {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool ObjectGlobMatch(std::string_view pattern, std::string_view name) {
  pattern = LastTwoParts(pattern);
  name = LastTwoParts(name);
  size_t name_dot = name.rfind('.');
  std::string_view object = name_dot == std::string_view::npos ? name : name.substr(name_dot + 1);
  size_t pattern_dot = pattern.rfind('.');
  if (pattern_dot == std::string_view::npos) return GlobMatch(pattern, object);

  std::string_view schema_glob = pattern.substr(0, pattern_dot);
  std::string_view object_glob = pattern.substr(pattern_dot + 1);
  if (!GlobMatch(object_glob, object)) return false;
  if (name_dot != std::string_view::npos) return GlobMatch(schema_glob, name.substr(0, name_dot));
  for (std::string_view schema : kDefaultSearchPath) {
    if (GlobMatch(schema_glob, schema)) return true;
  }
  return false;
}

}  // namespace warden::policy
