#include "agent/postgres/denial_markers.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/pgwire/pgwire.h"

namespace warden::agent {

DenialMarkers::DenialMarkers()
    : prefix_(absl::StrCat("warden_denied_", absl::BytesToHexString(crypto::RandomBytes(8)), "_")) {
}

std::string DenialMarkers::New(std::string sqlstate, std::string message) {
  std::string marker = absl::StrCat(prefix_, next_++);
  pending_.push_back(Pending{marker, std::move(sqlstate), std::move(message)});
  if (pending_.size() > kMaxPending) pending_.pop_front();
  return marker;
}

std::string DenialMarkers::FailingQuery(std::string sqlstate, std::string message) {
  return absl::StrCat("SELECT NULL::\"", New(std::move(sqlstate), std::move(message)), "\"");
}

bool DenialMarkers::Rewrite(std::string_view text, std::string* out) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    // Quoted, as the server names a type or a portal: marker _1 must not match _10.
    if (text.find(absl::StrCat(it->marker, "\"")) == std::string_view::npos) continue;
    out->append(pgwire::BuildErrorResponse("ERROR", it->sqlstate, it->message));
    pending_.erase(pending_.begin(), it + 1);
    return true;
  }
  return false;
}

}  // namespace warden::agent
