#include "agent/runtime/tls_mode.h"

namespace warden::agent {

std::optional<TlsMode> ParseTlsMode(absl::string_view name) {
  if (name.empty() || name == "prefer") return TlsMode::kPrefer;
  if (name == "disable") return TlsMode::kDisable;
  if (name == "require") return TlsMode::kRequire;
  if (name == "verify-full") return TlsMode::kVerifyFull;
  return std::nullopt;
}

absl::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kDisable:
      return "disable";
    case TlsMode::kPrefer:
      return "prefer";
    case TlsMode::kRequire:
      return "require";
    case TlsMode::kVerifyFull:
      return "verify-full";
  }
  return "?";
}

TlsDecision DecideTls(TlsMode mode, char answer) {
  if (mode == TlsMode::kDisable) return TlsDecision::kPlain;
  if (answer == 'S') return TlsDecision::kUseTls;
  // Anything but 'S' or 'N' (e.g. an ErrorResponse's 'E' from a pre-7.0 server) is a failure.
  if (answer == 'N' && mode == TlsMode::kPrefer) return TlsDecision::kPlain;
  return TlsDecision::kFail;
}

}  // namespace warden::agent
