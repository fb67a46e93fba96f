#include "common/pgauth/md5_password.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "common/pgauth/scram_crypto.h"

namespace warden::pgauth {
namespace {

// Lowercase hex of MD5(data), as PostgreSQL's pg_md5_hash() produces.
std::string Md5Hex(absl::string_view data) {
  unsigned char digest[16];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr) != 1 ||
      len != sizeof(digest)) {
    std::abort();  // MD5 missing from the default provider: no way to answer the server.
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string Md5PasswordResponse(absl::string_view user, absl::string_view password,
                                const Md5Salt& salt) {
  std::string inner_input(password);
  inner_input.append(user.data(), user.size());
  std::string outer_input = Md5Hex(inner_input);  // what pg_authid stores, minus "md5"
  Cleanse(inner_input);
  outer_input.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  std::string response = "md5" + Md5Hex(outer_input);
  Cleanse(outer_input);
  return response;
}

}  // namespace warden::pgauth
