// libFuzzer target: arbitrary client bytes through the startup decoder and then the frontend
// message decoder, the way the gateway reads a connection. Nothing may crash or read out of
// bounds; every decoded message must re-encode to exactly the bytes it was decoded from, and every
// error must be InvalidArgument without consuming anything.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/frontend_messages.h"
#include "common/pgwire/startup.h"

namespace pg = warden::pgwire;

namespace {

template <typename Result>
void CheckNotDecoded(const Result& r) {
  if (r.is_error() && r.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (r.consumed() != 0) std::abort();
}

void CheckPasswordHelpers(const pg::PasswordMessage& m) {
  (void)pg::ParsePassword(m);
  auto init = pg::ParseSASLInitialResponse(m);
  if (init.ok()) {
    std::string again = pg::BuildSASLInitialResponse(init->mechanism, init->data);
    if (std::string_view(again).substr(5) != m.data) std::abort();
  }
}

// Startup packets until one that is not an encryption request; returns the bytes left.
std::string_view RunStartup(std::string_view rest) {
  for (;;) {
    auto r = pg::DecodeStartup(rest);
    if (!r.has_message()) {
      CheckNotDecoded(r);
      return {};
    }
    if (r.consumed() == 0 || r.consumed() > rest.size()) std::abort();
    std::string again;
    pg::EncodeStartup(r.message(), &again);
    if (again != rest.substr(0, r.consumed())) std::abort();
    if (pg::DecodeStartup(rest.substr(0, r.consumed() - 1)).has_message()) std::abort();
    const bool encryption = std::holds_alternative<pg::SSLRequest>(r.message()) ||
                            std::holds_alternative<pg::GSSENCRequest>(r.message());
    rest.remove_prefix(r.consumed());
    if (!encryption) return rest;
  }
}

void RunFrontend(std::string_view rest, size_t max_len) {
  while (!rest.empty()) {
    auto r = pg::DecodeFrontend(rest, max_len);
    if (!r.has_message()) {
      CheckNotDecoded(r);
      return;
    }
    const size_t n = r.consumed();
    if (n < 5 || n > rest.size() || n - 1 > max_len) std::abort();
    std::string again;
    pg::EncodeFrontend(r.message(), &again);
    if (again != rest.substr(0, n)) std::abort();
    auto twice = pg::DecodeFrontend(again, max_len);
    if (!twice.has_message() || !(twice.message() == r.message())) std::abort();
    if (n < 4096 && !pg::DecodeFrontend(rest.substr(0, n - 1), max_len).need_more()) std::abort();
    if (auto* p = std::get_if<pg::PasswordMessage>(&r.message())) CheckPasswordHelpers(*p);
    rest.remove_prefix(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // As a fresh connection: startup phase, then messages under the pre-authentication cap.
  RunFrontend(RunStartup(bytes), pg::kMaxPreAuthMessage);
  // As an established session: tagged messages only, with a small cap so limits are exercised.
  RunFrontend(bytes, size % 2 ? pg::kDefaultMaxMessage : 64);
  return 0;
}
