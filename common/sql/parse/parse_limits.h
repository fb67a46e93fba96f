// What may be handed to the parser, and how many parses this process ran: shared by the
// classifier, the lineage analysis and the analysis that does both from one parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden::sql {

// Longest text handed to the parser; longer texts are rejected (parsed = false). Bounds the work
// one message can cost the agent.
inline constexpr size_t kMaxStatementBytes = 1 << 20;

// libpg_query parses run by this process so far (ParseTree calls).
uint64_t ParseCount();

namespace internal {

// Why `sql` cannot be handed to the parser (too long, a NUL), or "" when it can.
std::string RejectText(std::string_view sql);
// Texts up to this size are parsed on the caller's stack; longer ones on a helper thread
// (large_stack.h) with a stack sized for them.
inline constexpr size_t kInlineTextBytes = 4096;

}  // namespace internal

}  // namespace warden::sql
