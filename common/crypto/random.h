#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace warden::crypto {

// Bytes from the OpenSSL CSPRNG. Aborts if the generator fails: there is no safe fallback for
// key or token material.
std::string RandomBytes(size_t n);

}  // namespace warden::crypto
