// The response to AuthenticationMD5Password.
//
// https://www.postgresql.org/docs/15/auth-password.html and
// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.3 : the client sends
//   "md5" || hex(md5(hex(md5(password || username)) || salt))
// where salt is the 4 random bytes of the AuthenticationMD5Password message and hex is
// lowercase. The result goes in a PasswordMessage.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace warden::pgauth {

using Md5Salt = std::array<uint8_t, 4>;

// `user` is the role name sent in the StartupMessage (PostgreSQL salts the stored hash with
// it). 35 characters: "md5" + 32 lowercase hex digits.
std::string Md5PasswordResponse(absl::string_view user, absl::string_view password,
                                const Md5Salt& salt);

}  // namespace warden::pgauth
