// Classify() on arbitrary bytes must never crash, hang or leak, whatever libpg_query says about
// them. Statement text reaches the agent from untrusted clients.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/sql/classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Query and Parse texts are NUL-terminated on the wire; keep inputs short so the fuzzer
  // explores grammar rather than length.
  std::string_view sql(reinterpret_cast<const char*>(data), size > 4096 ? 4096 : size);
  if (size_t nul = sql.find('\0'); nul != std::string_view::npos) sql = sql.substr(0, nul);
  warden::sql::PreparedStatements prepared;
  warden::sql::TrackPrepared(sql, &prepared);
  const warden::sql::ClassifiedBatch batch = warden::sql::Classify(sql, &prepared);
  if (batch.parsed != batch.parse_error.empty()) __builtin_trap();
  for (const auto& s : batch.statements) {
    if (s.command_tag.empty()) __builtin_trap();
  }
  return 0;
}
