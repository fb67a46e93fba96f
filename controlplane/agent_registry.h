// The control streams that are live right now, one per agent. A newer stream for the same
// agent replaces the older one (which is cancelled), and only the stream that is still current
// may mark its agent disconnected when it ends.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <mutex>

namespace warden::controlplane {

class AgentRegistry {
 public:
  // Returns the stream's generation.
  uint64_t Attach(int64_t agent_id, grpc::ServerContext* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = live_[agent_id];
    if (slot.ctx != nullptr) slot.ctx->TryCancel();
    slot.ctx = ctx;
    return ++slot.generation;
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
  };
  std::mutex mu_;
  std::map<int64_t, Slot> live_;
};

}  // namespace warden::controlplane
