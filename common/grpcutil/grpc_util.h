// gRPC plumbing shared by every process: TLS credentials from files, bearer tokens in
// metadata, absl::Status <-> grpc::Status, and channel settings for fast reconnects.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::grpcutil {

inline constexpr char kAuthorizationKey[] = "authorization";
inline constexpr char kAgentTokenKey[] = "x-warden-agent-token";
inline constexpr char kAgentPeerKey[] = "x-warden-agent-peer";

// Server TLS from PEM files (certificate chain and key).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTls(
    const std::string& cert_file, const std::string& key_file);

// Client TLS that trusts only the CA in ca_file (pinned), not the system store.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTls(
    const std::string& ca_file);

// Channel arguments: reconnect backoff capped at a few seconds (gRPC's default grows to two
// minutes, far too slow for an agent that must converge after a restart) and keepalives, so a
// dead peer is noticed.
grpc::ChannelArguments ReconnectingChannelArgs();

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::shared_ptr<grpc::ChannelCredentials> creds);

// A stub whose channel can be replaced. gRPC 1.51 can leave a channel in TRANSIENT_FAILURE,
// failing every call with a stale "connection refused", long after the peer is back; callers
// that run their own backoff reset the channel after a failed call, so the next attempt makes a
// real connection.
template <typename Service>
class ReconnectingStub {
 public:
  ReconnectingStub(std::string target, std::shared_ptr<grpc::ChannelCredentials> creds)
      : target_(std::move(target)), creds_(std::move(creds)) {
    Reset(nullptr);
  }

  std::shared_ptr<typename Service::Stub> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return stub_;
  }

  // Replaces the channel, unless another caller already replaced the one `failed` came from.
  void Reset(const std::shared_ptr<typename Service::Stub>& failed) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed && failed != stub_) return;
    stub_ = Service::NewStub(MakeChannel(target_, creds_));
  }

 private:
  std::string target_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  std::mutex mu_;
  std::shared_ptr<typename Service::Stub> stub_;
};

// Server keepalive settings to pair with ReconnectingChannelArgs.
void ConfigureServerKeepalive(grpc::ServerBuilder& builder);

// `listen` ("host:port", port possibly 0) with the port the server actually bound, for the
// startup log line that tests and scripts read when they let the kernel pick the port.
std::string BoundAddress(const std::string& listen, int port);

// "Bearer <token>" from the call's metadata, or nullopt.
std::optional<std::string> BearerToken(const grpc::ServerContext& ctx);
std::optional<std::string> Metadata(const grpc::ServerContext& ctx, const std::string& key);

grpc::Status ToGrpc(const absl::Status& s);
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace warden::grpcutil
