// The agents whose control streams pass through this gateway, by name, so that a client session
// can ask its connection's agent to open a tunnel. A link is registered only after the control
// plane accepted the agent (its Welcome came back), never on the agent's word alone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "warden/v1/agent.grpc.pb.h"

namespace warden::gateway {

// Writes to one agent's control stream. The relay writes on its own thread with Send; client
// sessions Post, which never blocks: a writer thread drains a bounded queue, so an agent that
// stops reading stalls only its own directives, never the gateway's I/O threads.
class AgentLink {
 public:
  static constexpr size_t kMaxQueued = 1024;

  explicit AgentLink(grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream)
      : stream_(stream), writer_([this] { WriterLoop(); }) {}
  ~AgentLink() { Detach(); }

  bool Send(const v1::AgentDirective& d) {
    std::lock_guard<std::mutex> lock(mu_);
    return stream_ != nullptr && stream_->Write(d);
  }

  // False when the agent is gone or its queue is full.
  bool Post(v1::AgentDirective d) {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_ || queue_.size() >= kMaxQueued) return false;
    queue_.push_back(std::move(d));
    queue_cv_.notify_one();
    return true;
  }

  // Called by the relay once its stream is cancelled (so a blocked Write returns): no more
  // writes after this.
  void Detach() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    if (writer_.joinable()) writer_.join();
    std::lock_guard<std::mutex> lock(mu_);
    stream_ = nullptr;
  }

 private:
  void WriterLoop() {
    std::unique_lock<std::mutex> lock(queue_mu_);
    for (;;) {
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      v1::AgentDirective d = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      Send(d);
      lock.lock();
    }
  }

  std::mutex mu_;  // serialises Write
  grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<v1::AgentDirective> queue_;
  bool stopping_ = false;
  std::thread writer_;  // last: starts after the fields it uses exist
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
