#include "gateway/agent_control_relay.h"

#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"

namespace warden::gateway {

grpc::Status AgentServiceImpl::Control(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* agent) {
  auto token = grpcutil::BearerToken(*ctx);
  if (!token) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "agent token missing: start the agent with --token-file");
  }
  grpc::ClientContext up;
  credential_.Attach(up);
  up.AddMetadata(grpcutil::kAgentTokenKey, *token);
  up.AddMetadata(grpcutil::kAgentPeerKey, ctx->peer());
  auto stub = control_.Get();
  auto upstream = stub->AgentControl(&up);

  // Agent -> control plane on a helper thread; control plane -> agent here. The sync API
  // allows one reader and one writer per stream at a time; write_mu keeps the helper's Write
  // and this thread's Finish apart, and the AgentLink serialises every write to the agent.
  auto link = std::make_shared<AgentLink>(agent);
  std::mutex write_mu;
  bool finished = false;
  std::thread to_control([&] {
    v1::AgentMessage msg;
    bool registered = false, proved = false;
    while (agent->Read(&msg)) {
      // One Register and one proof per stream: the control plane checks only the first.
      if (msg.has_register_() && std::exchange(registered, true)) break;
      if (msg.has_proof() && std::exchange(proved, true)) break;
      std::lock_guard<std::mutex> lock(write_mu);
      if (finished || !upstream->Write(msg)) break;
    }
    up.TryCancel();  // the agent left: end the relayed stream too
  });

  const std::optional<asio::ip::address> agent_host = GrpcPeerAddress(ctx->peer());
  v1::AgentDirective d;
  bool linked = false;
  std::string linked_name;
  while (upstream->Read(&d)) {
    if (d.has_signed_() && !linked) {
      // The first signed directive is the Welcome: the control plane accepted the agent and
      // named it (the name its token belongs to); sessions for its connections may use this
      // stream now. The gateway reads the signed bytes; it need not verify them, the agent does.
      v1::AgentDirective inner;
      if (inner.ParseFromString(d.signed_().directive()) && inner.has_welcome()) {
        linked_name = inner.welcome().agent_id();
        links_.Put(linked_name, link);
        linked = true;
        if (tunnels_ && agent_host) tunnels_->Trust(*agent_host);
      }
    }
    if (!link->Send(d)) break;
  }
  if (linked) {
    links_.Remove(linked_name, link);
    if (tunnels_ && agent_host) tunnels_->Untrust(*agent_host);
  }
  grpc::Status st;
  {
    std::lock_guard<std::mutex> lock(write_mu);
    st = upstream->Finish();
    finished = true;
  }
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE) control_.Reset(stub);
  if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
      absl::StartsWith(st.error_message(), "gateway credential rejected")) {
    // The gateway is misconfigured, not the agent: tell it to retry, not to give up for good.
    spdlog::error("the control plane rejected this gateway's credential: {}", st.error_message());
    st = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the gateway is misconfigured (its credential was rejected)");
  }
  if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) {
    // Tell the agent why before ending its stream: cancelling is the only way to release the
    // helper thread from Read, and a cancelled stream carries no message of its own.
    v1::AgentDirective closing;
    closing.mutable_closing()->set_code(st.error_code());
    closing.mutable_closing()->set_message(st.error_message());
    link->Send(closing);
    // Before the agent proved itself, anyone reaching the agent port can cause this line.
    static log::RateLimit limit;
    if (auto left_out = limit.Admit()) {
      spdlog::info("agent stream from {} ended: {}{}", ctx->peer(), st.error_message(),
                   log::LeftOut(*left_out));
    }
  }
  ctx->TryCancel();  // first, so that a Write blocked on a stuck agent returns
  link->Detach();
  to_control.join();
  return st;
}

}  // namespace warden::gateway
