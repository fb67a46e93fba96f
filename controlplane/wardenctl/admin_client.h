// The AdminService client: one channel to the control plane, and unary calls that carry the
// admin token and a deadline and turn failures into wardenctl's messages and exit codes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/grpcutil/grpc_util.h"
#include "controlplane/wardenctl/client_config.h"
#include "controlplane/wardenctl/errors.h"
#include "warden/v1/admin.grpc.pb.h"

namespace warden::wardenctl {

using AdminStub = v1::AdminService::StubInterface;

class AdminClient {
 public:
  // Every call is bounded: an admin command should fail, not hang, when the server is stuck.
  static constexpr std::chrono::seconds kCallDeadline{10};

  AdminClient(std::unique_ptr<AdminStub> stub, std::string server, std::string token);

  // Builds a TLS channel from the resolved configuration (the CA file if given, otherwise the
  // system trust store). Does not contact the server.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AdminClient>> Connect(
      const ClientConfig& config);

  // Runs one unary call. Returns kOk, or prints the error to stderr and returns its exit code.
  template <typename Request, typename Response>
  int Call(grpc::Status (AdminStub::*method)(grpc::ClientContext*, const Request&, Response*),
           const Request& request, Response* response) {
    grpc::ClientContext context;
    PrepareContext(context);
    grpc::Status status = (stub_.get()->*method)(&context, request, response);
    if (status.ok()) return kOk;
    return ReportRpcError(status, server_);
  }

  // Runs one server-streaming call with no deadline (a watch lasts until the user stops it),
  // handing each message to `on_message`. Returns as Call does once the stream ends.
  template <typename Request, typename Response>
  int Stream(std::unique_ptr<grpc::ClientReaderInterface<Response>> (AdminStub::*method)(
                 grpc::ClientContext*, const Request&),
             const Request& request, const std::function<void(const Response&)>& on_message) {
    grpc::ClientContext context;
    context.AddMetadata(grpcutil::kAuthorizationKey, authorization_);
    auto reader = (stub_.get()->*method)(&context, request);
    Response message;
    while (reader->Read(&message)) on_message(message);
    grpc::Status status = reader->Finish();
    if (status.ok()) return kOk;
    return ReportRpcError(status, server_);
  }

  const std::string& server() const { return server_; }

 private:
  void PrepareContext(grpc::ClientContext& context) const;

  std::unique_ptr<AdminStub> stub_;
  std::string server_;
  std::string authorization_;  // "Bearer <token>"
};

}  // namespace warden::wardenctl
