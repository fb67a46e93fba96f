#include "gateway/gateway_credential.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/files.h"

namespace warden::gateway {

namespace {
constexpr std::chrono::seconds kRecheck{1};
}  // namespace

absl::StatusOr<std::unique_ptr<GatewayCredential>> GatewayCredential::Load(std::string path) {
  auto token = ReadSecretFile(path);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat(token.status().message(),
                                     " (wardenctl gateways create NAME prints a gateway token)"));
  }
  auto cred = std::unique_ptr<GatewayCredential>(new GatewayCredential(std::move(path)));
  struct stat st {};
  if (::stat(cred->path_.c_str(), &st) == 0) cred->mtime_ = st.st_mtim;
  cred->token_ = *std::move(token);
  cred->checked_ = std::chrono::steady_clock::now();
  return cred;
}

GatewayCredential::~GatewayCredential() { OPENSSL_cleanse(token_.data(), token_.size()); }

void GatewayCredential::RefreshLocked() {
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < kRecheck) return;
  checked_ = now;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return;
  if (st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec) return;
  auto token = ReadSecretFile(path_);
  if (!token.ok()) {
    spdlog::warn("gateway token file changed but cannot be read ({}); keeping the current token",
                 token.status().message());
    return;
  }
  mtime_ = st.st_mtim;
  if (*token == token_) return;
  OPENSSL_cleanse(token_.data(), token_.size());
  token_ = *std::move(token);
  spdlog::info("gateway token file {} changed: using the new token", path_);
}

void GatewayCredential::Attach(grpc::ClientContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshLocked();
  ctx.AddMetadata(grpcutil::kAuthorizationKey, "Bearer " + token_);
}

}  // namespace warden::gateway
