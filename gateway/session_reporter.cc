#include "gateway/session_reporter.h"

#include "common/log/log.h"

namespace warden::gateway {

SessionReporter::SessionReporter(grpcutil::ReconnectingStub<v1::ControlService>& control,
                                 SessionRegistry& sessions, GatewayCredential& credential)
    : control_(control), sessions_(sessions), credential_(credential), thread_([this] { Run(); }) {}

SessionReporter::~SessionReporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SessionReporter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, kInterval, [&] { return stop_; })) {
    lock.unlock();
    ReportOnce();
    lock.lock();
  }
}

void SessionReporter::ReportOnce() {
  v1::ReportSessionsRequest req;
  for (auto& s : sessions_.LiveSnapshot()) *req.add_sessions() = std::move(s);
  grpc::ClientContext ctx;
  credential_.Attach(ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + kInterval);
  v1::ReportSessionsResponse resp;
  auto stub = control_.Get();
  grpc::Status st = stub->ReportSessions(&ctx, req, &resp);
  if (!st.ok()) {
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) control_.Reset(stub);
    spdlog::debug("session report failed: {}", st.error_message());
  }
}

}  // namespace warden::gateway
