#include "common/crypto/random.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/string_view.h"

namespace warden::crypto {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

}  // namespace warden::crypto
