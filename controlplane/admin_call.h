// The shape of every AdminService method: the admin check, then the body's absl::Status
// converted for the wire. For the .cc files that implement AdminServiceImpl only.
#pragma once

#include "common/grpcutil/grpc_util.h"

// Runs `body` after checking that the caller's admin token grants `need` (AdminAccess), and
// converts its status for the wire. The token's info is `caller` in `body`.
#define ADMIN_CALL_WITH(ctx, need, body)                          \
  do {                                                            \
    auto checked = CheckAccess(*(ctx), (need));                   \
    if (!checked.ok()) return grpcutil::ToGrpc(checked.status()); \
    [[maybe_unused]] const v1::AdminTokenInfo& caller = *checked; \
    return grpcutil::ToGrpc([&]() -> absl::Status { body }());    \
  } while (0)

// A call that changes something: role admin.
#define ADMIN_CALL(ctx, body) ADMIN_CALL_WITH(ctx, AdminAccess::kAdmin, body)
// A call that only reads: role admin or auditor.
#define READ_CALL(ctx, body) ADMIN_CALL_WITH(ctx, AdminAccess::kRead, body)
