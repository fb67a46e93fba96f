// Classify() on arbitrary bytes must never crash, hang or leak, whatever libpg_query says about
// them. Statement text reaches the agent from untrusted clients. Also differential: the tree the
// classifier reads from libpg_query's JSON must equal the one its protobuf output gives.
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql/classify/classifier.h"
#include "common/sql/parse/parse_tree.h"

namespace {

void CheckSameTree(const std::string& sql) {
  google::protobuf::Arena arena;
  std::string json_error, pb_error;
  const pg_query::ParseResult* json = warden::sql::ParseTree(sql, &arena, &json_error);
  const pg_query::ParseResult* pb = warden::sql::ParseTreeViaProtobuf(sql, &arena, &pb_error);
  if ((json == nullptr) != (pb == nullptr)) __builtin_trap();
  if (json == nullptr) {
    if (json_error != pb_error) __builtin_trap();
    return;
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(*pb, *json)) __builtin_trap();
}

}  // namespace

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
    // commands: sorted, unique, and holding the tag.
    if (!std::is_sorted(s.commands.begin(), s.commands.end())) __builtin_trap();
    if (std::adjacent_find(s.commands.begin(), s.commands.end()) != s.commands.end())
      __builtin_trap();
    if (!std::binary_search(s.commands.begin(), s.commands.end(), s.command_tag)) __builtin_trap();
  }
  CheckSameTree(std::string(sql));
  return 0;
}
