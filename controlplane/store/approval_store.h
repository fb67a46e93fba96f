// The approval queue's requests (approval.proto), kept whole so that a control-plane restart
// loses none: the row holds the request as its serialized message, with the columns the queue
// looks requests up by (its id, state, session and deadline) beside it. The rules for moving a
// request between states are approval_rules.h's; this store only keeps what they produced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/database.h"
#include "warden/v1/approval.pb.h"

namespace warden::store {

class ApprovalStore {
 public:
  explicit ApprovalStore(Database& db) : db_(db) {}

  // Stores a new request under its id (AlreadyExists if taken).
  [[nodiscard]] absl::Status Create(const v1::ApprovalRequest& request);
  // Replaces the stored request with this one (NotFound if there is none with its id).
  [[nodiscard]] absl::Status Update(const v1::ApprovalRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ApprovalRequest> Get(const std::string& id);
  // Newest first; only those in `state` when given; at most `limit`.
  [[nodiscard]] absl::StatusOr<std::vector<v1::ApprovalRequest>> List(
      std::optional<v1::ApprovalState> state, int limit);

 private:
  Database& db_;
};

}  // namespace warden::store
