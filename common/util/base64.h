// Strict base64 (RFC 4648 §4, standard alphabet, '=' padding required): SCRAM attributes and
// key texts (ed25519:...).
//
// SCRAM carries salts, proofs and signatures as base64 (RFC 5802 §7 "base64"). The decoder
// is strict on purpose: OpenSSL's EVP_DecodeBlock skips whitespace and counts padding as
// data, and a lenient decoder would let a hostile server smuggle ambiguous values through.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace warden {

std::string Base64Encode(absl::string_view bytes);

// nullopt unless `text` is canonical base64: length a multiple of 4, only alphabet
// characters, at most two '=' and only at the end, and zero unused bits in the last group.
std::optional<std::string> Base64Decode(absl::string_view text);

}  // namespace warden
