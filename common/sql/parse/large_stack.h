// Runs work whose recursion depth the input decides on a thread with a stack sized for it.
//
// Why: libpg_query turns a parse tree into JSON (and protobuf) recursively, one C stack frame
// per tree level, and PostgreSQL's grammar builds left-deep trees without limit: `SELECT 1+1+...`
// nests one level per two bytes, so a few hundred kilobytes of text overflow an 8 MB thread stack
// and crash the process. Long texts are therefore classified on a helper thread whose stack
// grows with the text; the pages are committed only as the recursion touches them.
#pragma once

#include <cstddef>

#include "absl/functional/function_ref.h"

namespace warden::sql {

// Runs `fn` on a new thread with a stack of at least `stack_bytes` and waits for it to finish.
// Returns false, without running `fn`, when the thread cannot be created.
[[nodiscard]] bool RunOnLargeStack(size_t stack_bytes, absl::FunctionRef<void()> fn);

}  // namespace warden::sql
