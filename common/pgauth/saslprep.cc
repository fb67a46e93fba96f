#include "common/pgauth/saslprep.h"

namespace warden::pgauth {

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string PreparePassword(absl::string_view password) {
  // ASCII: pg_saslprep() returns the input unchanged. Non-ASCII: see the header — raw bytes,
  // PostgreSQL's own fallback, until full SASLprep is implemented.
  return std::string(password);
}

}  // namespace warden::pgauth
