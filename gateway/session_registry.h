// Client sessions waiting for their agent's tunnel (by session id, guarded by a per-session
// secret sent only over the agent's authenticated control stream), and the cancel keys handed
// to clients in BackendKeyData.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace warden::gateway {

class ClientSession;

class SessionRegistry {
 public:
  void AwaitTunnel(const std::string& session_id, std::string secret,
                   std::weak_ptr<ClientSession> session);
  // The waiting session, removed from the registry, if the secret matches.
  std::shared_ptr<ClientSession> ClaimTunnel(const std::string& session_id,
                                             const std::string& secret);
  void ForgetTunnel(const std::string& session_id);

  // A fresh (process id, secret) pair for BackendKeyData.
  std::pair<int32_t, int32_t> AddCancelKey(std::weak_ptr<ClientSession> session);
  std::shared_ptr<ClientSession> FindByCancelKey(int32_t process_id, int32_t secret);
  void RemoveCancelKey(int32_t process_id);

 private:
  struct Waiting {
    std::string secret;
    std::weak_ptr<ClientSession> session;
  };
  struct CancelKey {
    int32_t secret;
    std::weak_ptr<ClientSession> session;
  };
  std::mutex mu_;
  std::map<std::string, Waiting> waiting_;
  std::map<int32_t, CancelKey> cancel_keys_;
};

}  // namespace warden::gateway
