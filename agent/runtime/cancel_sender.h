// Sends a CancelRequest for a running query over a new connection to the database, as libpq's
// PQcancel does: https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.9
// The request is sent in the clear (the server accepts it without TLS and before any pg_hba
// check), then the connection is closed; the server answers nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/runtime/upstream_stream.h"

namespace warden::agent {

// Fire and forget: the operation keeps itself alive until done or `timeout` passes.
// `session_id` is only for the log.
void SendCancelRequest(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                       int32_t process_id, int32_t secret_key, const std::string& session_id,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace warden::agent
