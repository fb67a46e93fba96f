#include "common/grpcutil/grpc_util.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/files.h"

namespace warden::grpcutil {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTls(const std::string& cert_file,
                                                                   const std::string& key_file) {
  auto cert = ReadFile(cert_file);
  if (!cert.ok())
    return absl::Status(cert.status().code(),
                        absl::StrCat("TLS certificate: ", cert.status().message()));
  auto key = ReadFile(key_file);
  if (!key.ok())
    return absl::Status(key.status().code(), absl::StrCat("TLS key: ", key.status().message()));
  grpc::SslServerCredentialsOptions opts;
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(opts);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTls(const std::string& ca_file) {
  auto ca = ReadFile(ca_file);
  if (!ca.ok())
    return absl::Status(ca.status().code(), absl::StrCat("CA file: ", ca.status().message()));
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = *ca;
  return grpc::SslCredentials(opts);
}

grpc::ChannelArguments ReconnectingChannelArgs() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also uses it as the minimum connect timeout,
  // and a small value cuts TLS handshakes short on a loaded machine.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  // Each channel owns its subchannels, so a fresh channel really starts a fresh connection
  // (see ReconnectingStub).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::shared_ptr<grpc::ChannelCredentials> creds) {
  return grpc::CreateCustomChannel(target, std::move(creds), ReconnectingChannelArgs());
}

void ConfigureServerKeepalive(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
}

std::string BoundAddress(const std::string& listen, int port) {
  return listen.substr(0, listen.rfind(':') + 1) + std::to_string(port);
}

std::optional<std::string> Metadata(const grpc::ServerContext& ctx, const std::string& key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::optional<std::string> BearerToken(const grpc::ServerContext& ctx) {
  auto v = Metadata(ctx, kAuthorizationKey);
  if (!v) return std::nullopt;
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(*v, kBearer)) return std::nullopt;
  std::string token = v->substr(kBearer.size());
  if (token.empty()) return std::nullopt;
  return token;
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace warden::grpcutil
