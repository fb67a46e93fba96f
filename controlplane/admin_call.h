// The shape of every AdminService method: the admin check, then the body's absl::Status
// converted for the wire. For the .cc files that implement AdminServiceImpl only.
#pragma once

#include "common/grpcutil/grpc_util.h"

// Runs `body` after the admin check and converts its status for the wire.
#define ADMIN_CALL(ctx, body)                                                \
  do {                                                                       \
    if (auto st = CheckAdmin(*(ctx)); !st.ok()) return grpcutil::ToGrpc(st); \
    return grpcutil::ToGrpc([&]() -> absl::Status { body }());               \
  } while (0)
