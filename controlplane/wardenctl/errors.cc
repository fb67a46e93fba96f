#include "controlplane/wardenctl/errors.h"

#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace warden::wardenctl {

const char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  other error\n"
    "  2  usage or configuration error (bad flags, no token or server, unreadable file)\n"
    "  3  the control plane rejected the admin token, or its roles do not allow the call\n"
    "  4  the control plane could not be reached\n"
    "  5  not found\n"
    "  6  already exists\n"
    "  7  the control plane rejected the request (invalid input or failed precondition)\n";

int Fail(ExitCode code, absl::string_view message) {
  std::cerr << "error: " << message << "\n";
  return code;
}

ExitCode ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kUnauthenticated;
    case grpc::StatusCode::UNAVAILABLE:
      return kUnavailable;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return kAlreadyExists;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kRejected;
    default:
      return kError;
  }
}

namespace {

// gRPC reports a failed TLS handshake as UNAVAILABLE, which reads like "the server is down";
// the usual causes are a CA file that did not sign the server's certificate, or an address that
// is not the control plane's TLS port.
bool IsTlsFailure(absl::string_view message) {
  std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "handshake") || absl::StrContains(lower, "certificate");
}

std::string DescribeUnavailable(absl::string_view message, absl::string_view server) {
  absl::string_view msg = absl::StripSuffix(message, ".");
  if (IsTlsFailure(msg)) {
    return absl::StrCat("cannot reach the control plane at ", server, ": ", msg,
                        ". The TLS handshake failed: check that --ca-file (WARDEN_CA_FILE) is the "
                        "CA that signed the control plane's certificate and that --server is the "
                        "control plane's address.");
  }
  return absl::StrCat("cannot reach the control plane at ", server, ": ", msg,
                      ". Is it running? (deploy/quickstart.sh starts it)");
}

}  // namespace

std::string DescribeRpcError(const grpc::Status& status, absl::string_view server) {
  const std::string& msg = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StrCat("the control plane rejected the admin token (", msg,
                          "). Check --token / WARDEN_TOKEN.");
    case grpc::StatusCode::UNAVAILABLE:
      return DescribeUnavailable(msg, server);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("the control plane at ", server, " did not answer in time (", msg, ")");
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StrCat("permission denied: ", msg);
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return msg;  // verbatim: policy errors already name file:line:col:field
    default:
      return absl::StrCat(
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ": ", msg);
  }
}

int ReportRpcError(const grpc::Status& status, absl::string_view server) {
  std::cerr << "error: " << DescribeRpcError(status, server) << "\n";
  return ExitCodeFor(status.error_code());
}

}  // namespace warden::wardenctl
