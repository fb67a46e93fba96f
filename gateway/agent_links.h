// The agents whose control streams pass through this gateway, by name, so that a client session
// can ask its connection's agent to open a tunnel. A link is registered only after the control
// plane accepted the agent (its Welcome came back), never on the agent's word alone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "warden/v1/agent.grpc.pb.h"

namespace warden::gateway {

// Writes to one agent's control stream. The relay and client sessions share it; the mutex keeps
// their writes apart, as the sync API allows one writer at a time.
class AgentLink {
 public:
  explicit AgentLink(grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream)
      : stream_(stream) {}

  bool Send(const v1::AgentDirective& d) {
    std::lock_guard<std::mutex> lock(mu_);
    return stream_ != nullptr && stream_->Write(d);
  }

  // Called by the relay before its stream goes away.
  void Detach() {
    std::lock_guard<std::mutex> lock(mu_);
    stream_ = nullptr;
  }

 private:
  std::mutex mu_;
  grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream_;
};

class AgentLinks {
 public:
  void Put(const std::string& agent, std::shared_ptr<AgentLink> link) {
    std::lock_guard<std::mutex> lock(mu_);
    links_[agent] = std::move(link);
  }

  // Removes the entry only if it is still `link` (a newer stream may have replaced it).
  void Remove(const std::string& agent, const std::shared_ptr<AgentLink>& link) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(agent);
    if (it != links_.end() && it->second == link) links_.erase(it);
  }

  std::shared_ptr<AgentLink> Get(const std::string& agent) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(agent);
    return it == links_.end() ? nullptr : it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<AgentLink>> links_;
};

}  // namespace warden::gateway
