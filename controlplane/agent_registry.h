// The control streams that are live right now, one per agent. A newer stream for the same
// agent replaces the older one (which is cancelled), and only the stream that is still current
// may mark its agent disconnected when it ends. Each stream remembers the gateway relaying it, so
// that revoking a gateway ends its streams at once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace warden::controlplane {

class AgentRegistry {
 public:
  // Returns the stream's generation.
  uint64_t Attach(int64_t agent_id, const std::string& agent, grpc::ServerContext* ctx,
                  const std::string& gateway) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = live_[agent_id];
    if (slot.ctx != nullptr) slot.ctx->TryCancel();
    slot.ctx = ctx;
    slot.agent = agent;
    slot.gateway = gateway;
    slot.gateway_revoked = false;
    return ++slot.generation;
  }

  // Marks the gateway's streams revoked: each ends at its next pass, after carrying the session
  // ends already recorded (the stream is the only way to its agent).
  void RevokeGateway(const std::string& gateway) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, slot] : live_) {
      if (slot.ctx != nullptr && slot.gateway == gateway) slot.gateway_revoked = true;
    }
  }

  bool GatewayRevoked(int64_t agent_id, uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(agent_id);
    return it != live_.end() && it->second.generation == generation && it->second.gateway_revoked;
  }

  // Ends the agent's current stream (its identity key was reset).
  void CancelAgent(const std::string& agent) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, slot] : live_) {
      if (slot.ctx != nullptr && slot.agent == agent) slot.ctx->TryCancel();
    }
  }

  // True when this stream was still the agent's current one.
  bool Detach(int64_t agent_id, uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(agent_id);
    if (it == live_.end() || it->second.generation != generation) return false;
    it->second.ctx = nullptr;
    return true;
  }

 private:
  struct Slot {
    uint64_t generation = 0;
    grpc::ServerContext* ctx = nullptr;
    std::string agent;
    std::string gateway;
    bool gateway_revoked = false;
  };
  std::mutex mu_;
  std::map<int64_t, Slot> live_;
};

}  // namespace warden::controlplane
