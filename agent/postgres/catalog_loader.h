// Loads the masking catalog (masking_catalog.h) in band, on the client's own session
// connection: the masker sends one simple Query at a moment the session is idle, ahead of the
// client's next message, and swallows its answer (RowDescription, DataRows, CommandComplete or
// ErrorResponse, ReadyForQuery), which the server sends before answering the client. Reading
// the catalog as the session's own role and in its own transaction state is what makes it
// right: it sees the tables this role can see, including its temporary ones, and the DDL of
// its own committed transactions. I/O-free.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "agent/enforcement/masking_catalog.h"

namespace warden::agent {

class CatalogLoader {
 public:
  // The Query message for `sql`; the load is in flight from now on. `what` names the query in
  // errors.
  std::string Start(std::string_view sql, std::string_view what = "the catalog query");
  // The extended-protocol form, for a query that runs inside the client's unfinished request
  // (no Sync of its own, which would end the client's implicit transaction): the caller sends
  // the messages; the answer ends with the `closes`-th CloseComplete, or at an ErrorResponse,
  // after which the server discards the client's messages until its Sync (server_failed()).
  void StartExtended(std::string_view what, size_t closes);
  bool in_flight() const { return in_flight_; }
  bool server_failed() const { return server_failed_; }

  // A whole backend message while in flight: false when it is not part of the load's answer
  // (asynchronous messages: notices, notifications, parameter changes), which must reach the
  // client. When the load's ReadyForQuery arrives the load is over: rows() and status() hold
  // the outcome.
  bool OnMessage(std::string_view message);

  // OK when the query succeeded; the server's error (or a framing or size error) otherwise.
  const absl::Status& status() const { return status_; }
  const std::vector<CatalogRow>& rows() const { return rows_; }
  void Clear();

 private:
  bool in_flight_ = false;
  size_t closes_ = 0;  // extended: CloseCompletes that end the answer (0: a simple Query)
  bool server_failed_ = false;
  std::string what_;
  absl::Status status_;
  std::vector<CatalogRow> rows_;
};

}  // namespace warden::agent
