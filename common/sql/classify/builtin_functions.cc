#include "common/sql/classify/builtin_functions.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace warden::sql {
namespace {

constexpr std::string_view kNames =
#include "common/sql/classify/builtin_functions_pg15.inc"
    ;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Folded to lower case and sorted (folding can reorder the generated list).
const std::vector<std::string>& Names() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>();
    std::string name;
    for (const char c : kNames) {
      if (c == ' ' || c == '\n') {
        if (!name.empty()) v->push_back(std::exchange(name, {}));
      } else {
        name.push_back(Lower(c));
      }
    }
    if (!name.empty()) v->push_back(std::move(name));
    std::sort(v->begin(), v->end());
    return v;
  }();
  return *names;
}

}  // namespace

bool IsBuiltinFunction(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) c = Lower(c);
  const auto& names = Names();
  return std::binary_search(names.begin(), names.end(), folded);
}

}  // namespace warden::sql
