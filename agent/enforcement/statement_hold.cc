#include "agent/enforcement/statement_hold.h"

#include "absl/strings/str_cat.h"

namespace warden::agent {

absl::Status StatementHold::Begin(std::string_view message, HoldFacts facts) {
  if (active_) return absl::InternalError("a statement is already held");
  if (message.size() > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat("the statement waiting for approval is ",
                                                     message.size(), " bytes, more than the ",
                                                     max_bytes_, " a session may hold"));
  }
  active_ = true;
  facts_ = std::move(facts);
  bytes_.assign(message);
  return absl::OkStatus();
}

absl::Status StatementHold::Append(std::string_view message) {
  if (bytes_.size() + message.size() > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the client sent more than ", max_bytes_,
        " bytes while a statement was waiting for approval; wait for its result before sending "
        "more"));
  }
  bytes_.append(message);
  return absl::OkStatus();
}

std::string StatementHold::Take() {
  active_ = false;
  facts_ = {};
  std::string out;
  out.swap(bytes_);
  return out;
}

}  // namespace warden::agent
