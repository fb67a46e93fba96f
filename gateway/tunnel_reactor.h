// The gateway end of one agent tunnel (AgentService.Tunnel), on the gRPC callback API: no thread
// per stream. Frames from the agent go to the client session; the next frame is read only after
// the session wrote the previous one to the client, so a slow client slows the agent down
// instead of filling the gateway's memory.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "gateway/session_registry.h"
#include "warden/v1/agent.pb.h"

namespace warden::gateway {

class TunnelReactor;

// What a client session holds to talk to its tunnel. Safe to use after the tunnel ended: calls
// then do nothing.
class TunnelHandle {
 public:
  // Sends protocol bytes to the agent; on_sent runs once the frame is handed to gRPC.
  void SendData(std::string bytes, std::function<void()> on_sent);
  void SendCancel();
  // Ends the tunnel (the client left or the session failed).
  void Finish();
  // The session wrote the last data frame to the client: read the next one.
  void ContinueReading();

 private:
  friend class TunnelReactor;
  // Ends a tunnel whose TunnelOpen did not come in time: before it, nothing vouches for the
  // stream, so it must not live on.
  void ExpireIfUnopened();
  std::mutex mu_;
  TunnelReactor* reactor_ = nullptr;  // null once the reactor is done
  grpc::Alarm open_deadline_;
};

class TunnelReactor : public grpc::ServerBidiReactor<v1::TunnelFrame, v1::TunnelFrame> {
 public:
  explicit TunnelReactor(SessionRegistry& registry);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  friend class TunnelHandle;
  struct Outgoing {
    v1::TunnelFrame frame;
    std::function<void()> on_sent;
  };
  void Enqueue(v1::TunnelFrame frame, std::function<void()> on_sent);
  void FinishOnce(const grpc::Status& status);
  void ReadNext();
  void HandleOpen();

  SessionRegistry& registry_;
  std::shared_ptr<TunnelHandle> handle_;
  std::shared_ptr<ClientSession> session_;
  v1::TunnelFrame in_;
  std::mutex mu_;  // guards the fields below
  std::deque<Outgoing> out_;
  bool writing_ = false;
  bool finished_ = false;
  std::atomic<bool> opened_{false};
};

}  // namespace warden::gateway
