// Client sessions waiting for their agent's tunnel (by session id, guarded by a per-session
// secret sent only over the agent's authenticated control stream), and the cancel keys handed
// to clients in BackendKeyData.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "warden/v1/control.pb.h"

namespace warden::gateway {

class ClientSession;

// What `wardenctl sessions list` shows of one streaming session; the counters are updated by
// the session as bytes pass.
struct LiveStats {
  v1::LiveSession info;  // fixed once streaming starts
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
};

class SessionRegistry {
 public:
  void AwaitTunnel(const std::string& session_id, std::string secret,
                   std::weak_ptr<ClientSession> session);
  // The waiting session, removed from the registry, if the secret matches.
  std::shared_ptr<ClientSession> ClaimTunnel(const std::string& session_id,
                                             const std::string& secret);
  void ForgetTunnel(const std::string& session_id);

  // The (process id, secret) pair for a session's BackendKeyData: the database backend's own
  // process id (0 when the agent did not say: a random one), so clients see the pid
  // pg_backend_pid() returns, and a random secret that no other live session's key shares with
  // that pid. Backends of different databases may share a pid; the secret tells them apart.
  std::pair<int32_t, int32_t> AddCancelKey(int32_t backend_process_id,
                                           std::weak_ptr<ClientSession> session);
  // The session a CancelRequest from `address` names, or null. The pid is visible to database
  // users (pg_stat_activity), so the 32-bit secret is what stops a guesser: an address whose
  // requests named no session kMaxFailedCancels times within a minute is ignored until the
  // minute is over.
  std::shared_ptr<ClientSession> FindByCancelKey(int32_t process_id, int32_t secret,
                                                 const std::string& address);
  static constexpr int kMaxFailedCancels = 100;
  void RemoveCancelKey(std::pair<int32_t, int32_t> key);

  void AddLive(std::shared_ptr<LiveStats> stats);
  void RemoveLive(const std::string& session_id);
  std::vector<v1::LiveSession> LiveSnapshot();

 private:
  struct Waiting {
    std::string secret;
    std::weak_ptr<ClientSession> session;
  };

  std::mutex mu_;
  std::map<std::string, Waiting> waiting_;
  std::map<std::pair<int32_t, int32_t>, std::weak_ptr<ClientSession>> cancel_keys_;
  struct FailedCancels {
    int count = 0;
    std::chrono::steady_clock::time_point since;
  };
  std::map<std::string, FailedCancels> failed_cancels_;  // by source address
  std::map<std::string, std::shared_ptr<LiveStats>> live_;
};

}  // namespace warden::gateway
