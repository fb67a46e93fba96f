#include "gateway/session_registry.h"

#include <cstring>

#include "common/crypto/random.h"
#include "common/crypto/token.h"

namespace warden::gateway {

void SessionRegistry::AwaitTunnel(const std::string& session_id, std::string secret,
                                  std::weak_ptr<ClientSession> session) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_[session_id] = Waiting{std::move(secret), std::move(session)};
}

std::shared_ptr<ClientSession> SessionRegistry::ClaimTunnel(const std::string& session_id,
                                                            const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(session_id);
  if (it == waiting_.end() || !crypto::ConstantTimeEquals(it->second.secret, secret)) {
    return nullptr;
  }
  auto session = it->second.session.lock();
  waiting_.erase(it);
  return session;
}

void SessionRegistry::ForgetTunnel(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.erase(session_id);
}

std::pair<int32_t, int32_t> SessionRegistry::AddCancelKey(int32_t backend_process_id,
                                                          std::weak_ptr<ClientSession> session) {
  std::lock_guard<std::mutex> lock(mu_);
  for (;;) {
    // Random secrets, so a client cannot guess another session's key from its own.
    std::string r = crypto::RandomBytes(8);
    int32_t pid = backend_process_id, secret;
    if (pid == 0) {
      std::memcpy(&pid, r.data(), 4);
      pid &= 0x7fffffff;
    }
    std::memcpy(&secret, r.data() + 4, 4);
    if (pid == 0 || cancel_keys_.contains({pid, secret})) continue;
    cancel_keys_[{pid, secret}] = std::move(session);
    return {pid, secret};
  }
}

std::shared_ptr<ClientSession> SessionRegistry::FindByCancelKey(int32_t process_id, int32_t secret,
                                                                const std::string& address) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto f = failed_cancels_.find(address);
  if (f != failed_cancels_.end() && now - f->second.since > std::chrono::minutes(1)) {
    failed_cancels_.erase(f);
    f = failed_cancels_.end();
  }
  if (f != failed_cancels_.end() && f->second.count >= kMaxFailedCancels) return nullptr;
  auto it = cancel_keys_.find({process_id, secret});
  if (it != cancel_keys_.end()) {
    if (auto session = it->second.lock()) return session;
  }
  // Only failures are remembered, so addresses that cancel their own queries leave no entry.
  if (f == failed_cancels_.end()) f = failed_cancels_.emplace(address, FailedCancels{0, now}).first;
  ++f->second.count;
  if (failed_cancels_.size() > 10000) {  // forget quiet addresses rather than grow
    std::erase_if(failed_cancels_,
                  [&](const auto& e) { return now - e.second.since > std::chrono::minutes(1); });
  }
  return nullptr;
}

void SessionRegistry::RemoveCancelKey(std::pair<int32_t, int32_t> key) {
  std::lock_guard<std::mutex> lock(mu_);
  cancel_keys_.erase(key);
}

void SessionRegistry::AddLive(std::shared_ptr<LiveStats> stats) {
  std::lock_guard<std::mutex> lock(mu_);
  live_[stats->info.session_id()] = std::move(stats);
}

void SessionRegistry::RemoveLive(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(session_id);
}

std::vector<v1::LiveSession> SessionRegistry::LiveSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::LiveSession> out;
  out.reserve(live_.size());
  for (const auto& [id, stats] : live_) {
    v1::LiveSession& s = out.emplace_back(stats->info);
    s.set_bytes_in(stats->bytes_in.load(std::memory_order_relaxed));
    s.set_bytes_out(stats->bytes_out.load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace warden::gateway
