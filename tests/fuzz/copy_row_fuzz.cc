// RewriteCopyRow (agent/postgres/copy_row.h) on arbitrary rows: never crashes, copies unmasked
// fields byte for byte, and rewriting its own output with identity masks changes nothing (what
// it escapes or quotes, it splits back into the same values).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/postgres/copy_row.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool csv = data[0] & 1;
  const size_t fields = 1 + data[1] % 8;
  std::string_view row(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto identity = [](size_t, std::string_view v, std::string* out) {
    out->append(v);
    return true;
  };
  std::string out;
  if (warden::agent::RewriteCopyRow(row, csv, std::vector<bool>(fields, false), identity, &out) &&
      out != row) {
    std::abort();  // unmasked fields must pass byte for byte
  }
  std::string once;
  if (!warden::agent::RewriteCopyRow(row, csv, std::vector<bool>(fields, true), identity, &once)) {
    return 0;
  }
  std::string twice;
  if (!warden::agent::RewriteCopyRow(once, csv, std::vector<bool>(fields, true), identity,
                                     &twice) ||
      twice != once) {
    std::abort();
  }
  return 0;
}
