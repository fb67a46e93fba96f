#include "agent/postgres/fast_path_functions.h"

#include <array>
#include <utility>

namespace warden::agent {

std::optional<FastPathFunction> FastPathFunctionByOid(uint32_t oid) {
  static constexpr std::array<std::pair<uint32_t, FastPathFunction>, 18> kFunctions = {{
      {715, {"lo_create", false}},
      {764, {"lo_import", false}},
      {765, {"lo_export", false}},
      {767, {"lo_import", false}},
      {952, {"lo_open", false}},
      {953, {"lo_close", false}},
      {954, {"loread", true}},
      {955, {"lowrite", false}},
      {956, {"lo_lseek", false}},
      {957, {"lo_creat", false}},
      {958, {"lo_tell", false}},
      {964, {"lo_unlink", false}},
      {1004, {"lo_truncate", false}},
      {3170, {"lo_lseek64", false}},
      {3171, {"lo_tell64", false}},
      {3172, {"lo_truncate64", false}},
      {3458, {"lo_get", true}},
      {3459, {"lo_get", true}},
  }};
  for (const auto& [known, f] : kFunctions) {
    if (known == oid) return f;
  }
  return std::nullopt;
}

}  // namespace warden::agent
