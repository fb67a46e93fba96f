// The gateway's own token for the control plane (wardenctl gateways create), read from its
// file and read again when the file changes, so that `wardenctl gateways rotate` takes effect
// without a restart: write the new token to the file within the grace period.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

namespace warden::gateway {

class GatewayCredential {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GatewayCredential>> Load(std::string path);
  ~GatewayCredential();

  // Adds "authorization: Bearer <token>" to a call to the control plane.
  void Attach(grpc::ClientContext& ctx);

 private:
  explicit GatewayCredential(std::string path) : path_(std::move(path)) {}
  // Re-reads the file when its modification time changed (looked at once a second at most);
  // keeps the token it has when the new content is unreadable or empty.
  void RefreshLocked();

  const std::string path_;
  std::mutex mu_;
  std::string token_;
  struct timespec mtime_ = {};
  std::chrono::steady_clock::time_point checked_{};
};

}  // namespace warden::gateway
