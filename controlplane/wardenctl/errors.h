// Exit codes and error reporting. wardenctl prints results on stdout and every error on stderr
// as "error: ...", and its exit code says what kind of failure it was so scripts can branch on
// it without parsing messages.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/string_view.h"

namespace warden::wardenctl {

enum ExitCode : int {
  kOk = 0,
  kError = 1,            // anything not listed below
  kUsage = 2,            // bad flags or arguments, missing or unreadable configuration or input
  kUnauthenticated = 3,  // the control plane rejected the admin token, or its roles do not allow
                         // the call
  kUnavailable = 4,      // the control plane could not be reached
  kNotFound = 5,         // the named object does not exist
  kAlreadyExists = 6,    // an object with that name already exists
  kRejected = 7,         // the control plane rejected the request (invalid, or a precondition)
};

// The exit-code table shown in `wardenctl --help`.
extern const char kExitCodeHelp[];

// Prints "error: <message>" to stderr and returns `code`.
int Fail(ExitCode code, absl::string_view message);

ExitCode ExitCodeFor(grpc::StatusCode code);

// The message for a failed call to the control plane at `server`, without the "error: " prefix.
std::string DescribeRpcError(const grpc::Status& status, absl::string_view server);

// Prints the failed call's message to stderr and returns its exit code.
int ReportRpcError(const grpc::Status& status, absl::string_view server);

}  // namespace warden::wardenctl
