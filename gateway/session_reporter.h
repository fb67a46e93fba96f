// Sends this gateway's live sessions to the control plane every few seconds, so that
// `wardenctl sessions list` sees every gateway's clients.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/grpcutil/grpc_util.h"
#include "gateway/gateway_credential.h"
#include "gateway/session_registry.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::gateway {

class SessionReporter {
 public:
  static constexpr std::chrono::seconds kInterval{2};

  SessionReporter(grpcutil::ReconnectingStub<v1::ControlService>& control,
                  SessionRegistry& sessions, GatewayCredential& credential);
  ~SessionReporter();

 private:
  void Run();
  void ReportOnce();

  grpcutil::ReconnectingStub<v1::ControlService>& control_;
  SessionRegistry& sessions_;
  GatewayCredential& credential_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the fields above exist
};

}  // namespace warden::gateway
