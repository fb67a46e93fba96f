#include "controlplane/wardenctl/admin_client.h"

#include "absl/strings/str_cat.h"
#include "common/grpcutil/grpc_util.h"

namespace warden::wardenctl {

AdminClient::AdminClient(std::unique_ptr<AdminStub> stub, std::string server, std::string token)
    : stub_(std::move(stub)),
      server_(std::move(server)),
      authorization_(absl::StrCat("Bearer ", token)) {}

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Connect(const ClientConfig& config) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (config.ca_file.empty()) {
    creds = grpc::SslCredentials(grpc::SslCredentialsOptions());
  } else {
    auto tls = grpcutil::ClientTls(config.ca_file);
    if (!tls.ok()) {
      return absl::Status(tls.status().code(),
                          absl::StrCat(tls.status().message(), " (", config.ca_file_source, ")"));
    }
    creds = *std::move(tls);
  }
  std::shared_ptr<grpc::Channel> channel = grpcutil::MakeChannel(config.server, std::move(creds));
  return std::make_unique<AdminClient>(v1::AdminService::NewStub(channel), config.server,
                                       config.token);
}

void AdminClient::PrepareContext(grpc::ClientContext& context) const {
  context.AddMetadata(grpcutil::kAuthorizationKey, authorization_);
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

}  // namespace warden::wardenctl
