// libFuzzer target: arbitrary server bytes through the backend message decoder, the way the agent
// reads a database connection. Nothing may crash or read out of bounds; every decoded message must
// re-encode to exactly the bytes it was decoded from, and every error must be InvalidArgument
// without consuming anything.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/pgwire/backend_builders.h"
#include "common/pgwire/backend_messages.h"

namespace pg = warden::pgwire;

namespace {

void CheckHelpers(const pg::BackendMessage& m) {
  if (auto* e = std::get_if<pg::ErrorResponse>(&m)) {
    (void)e->severity();
    if (e->sqlstate() != e->Find('C').value_or("")) std::abort();
  }
  if (auto* a = std::get_if<pg::Authentication>(&m)) {
    if (a->code == pg::AuthCode::kMD5Password && a->salt.size() != 4) std::abort();
    if (a->code == pg::AuthCode::kSASL && a->mechanisms.empty()) std::abort();
  }
  if (auto* z = std::get_if<pg::ReadyForQuery>(&m)) {
    if (z->status != 'I' && z->status != 'T' && z->status != 'E') std::abort();
  }
}

void Run(std::string_view rest, size_t max_len) {
  while (!rest.empty()) {
    auto r = pg::DecodeBackend(rest, max_len);
    if (!r.has_message()) {
      if (r.is_error() && r.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
      if (r.consumed() != 0) std::abort();
      return;
    }
    const size_t n = r.consumed();
    if (n < 5 || n > rest.size() || n - 1 > max_len) std::abort();
    std::string again;
    pg::EncodeBackend(r.message(), &again);
    if (again != rest.substr(0, n)) std::abort();
    auto twice = pg::DecodeBackend(again, max_len);
    if (!twice.has_message() || !(twice.message() == r.message())) std::abort();
    if (n < 4096 && !pg::DecodeBackend(rest.substr(0, n - 1), max_len).need_more()) std::abort();
    CheckHelpers(r.message());
    rest.remove_prefix(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Run(bytes, size % 2 ? pg::kDefaultMaxMessage : 64);
  return 0;
}
