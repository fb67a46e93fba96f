// Agents: registered by an admin (who receives the agent token once), then connected and
// disconnected as their control streams come and go.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"

namespace warden::store {

struct AgentIdentity {
  int64_t id = 0;
  std::string name;
  std::string identity_key;      // the enrolled Ed25519 public key; "" until the first proof
  bool trust_first_key = false;  // without one, the first key proven is enrolled
  std::string token_hash;        // of the token it was found by
};

class AgentStore {
 public:
  explicit AgentStore(Database& db) : db_(db) {}

  // identity_key: the raw Ed25519 public key to enrol now, or "": then the agent cannot connect
  // until one is enrolled (ResetIdentityKey), unless trust_first_key enrols the first proven.
  [[nodiscard]] absl::StatusOr<v1::AgentInfo> Create(const std::string& name,
                                                     const std::string& token_hash,
                                                     const std::string& identity_key = "",
                                                     bool trust_first_key = false);
  [[nodiscard]] absl::StatusOr<std::vector<v1::AgentInfo>> List();
  // Refused while connections still name the agent.
  [[nodiscard]] absl::Status Delete(const std::string& name);
  [[nodiscard]] absl::StatusOr<AgentIdentity> FindByTokenHash(const std::string& token_hash);
  // Enrols the key when the agent has none yet; FailedPrecondition when another key got there
  // first (two agents racing with one token).
  [[nodiscard]] absl::Status EnrolIdentityKey(int64_t id, const std::string& identity_key);
  // A new token hash; the current one keeps working until now + grace_seconds.
  [[nodiscard]] absl::StatusOr<v1::AgentInfo> RotateToken(const std::string& name,
                                                          const std::string& token_hash,
                                                          int64_t grace_seconds);
  // Replaces the enrolled key ("" forgets it, and the next key proven is enrolled).
  [[nodiscard]] absl::StatusOr<v1::AgentInfo> ResetIdentityKey(const std::string& name,
                                                               const std::string& identity_key);

  struct Presence {
    bool connected = false;
    std::string public_key;  // X25519 key registered with its control stream ("" if none)
  };
  // Whether the agent is connected now, and its sealing key: what Authorize needs.
  [[nodiscard]] absl::StatusOr<Presence> FindPresence(const std::string& name);

  // Only while the agent still has `identity_key` enrolled and its token still works (a key
  // reset or a token rotation while it proved itself): FailedPrecondition otherwise.
  [[nodiscard]] absl::Status MarkConnected(const AgentIdentity& agent, const std::string& version,
                                           const std::string& gateway,
                                           const std::string& public_key,
                                           const std::string& identity_key);
  [[nodiscard]] absl::Status MarkDisconnected(int64_t id);
  [[nodiscard]] absl::Status RecordApplied(int64_t id, int64_t policy_version);
  [[nodiscard]] absl::Status Touch(int64_t id);
  // At start-up no control stream exists yet, whatever the file says.
  [[nodiscard]] absl::Status MarkAllDisconnected();

 private:
  [[nodiscard]] absl::StatusOr<v1::AgentInfo> Find(const std::string& name);
  Database& db_;
};

}  // namespace warden::store
