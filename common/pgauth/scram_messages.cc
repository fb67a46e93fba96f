#include "common/pgauth/scram_messages.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pgauth/scram_crypto.h"
#include "common/util/base64.h"

namespace warden::pgauth {
namespace {

struct Attribute {
  char name;
  absl::string_view value;
};

// RFC 5802 §7: attr-val = ALPHA "=" value; value = 1*value-char (no NUL, no ',').
std::optional<Attribute> ParseAttribute(absl::string_view field) {
  if (field.size() < 3 || field[1] != '=') return std::nullopt;
  const char name = field[0];
  if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) return std::nullopt;
  absl::string_view value = field.substr(2);
  if (value.find('\0') != absl::string_view::npos) return std::nullopt;
  return Attribute{name, value};
}

// Splits on ',' and parses each field as attr-val. Empty fields are malformed.
absl::StatusOr<std::vector<Attribute>> ParseAttributes(absl::string_view message,
                                                       absl::string_view what) {
  if (message.size() > kMaxServerMessageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("SCRAM ", what, " is too long (", message.size(), " bytes)"));
  }
  std::vector<Attribute> attrs;
  for (absl::string_view field : absl::StrSplit(message, ',')) {
    std::optional<Attribute> attr = ParseAttribute(field);
    if (!attr) {
      return absl::InvalidArgumentError(
          absl::StrCat("SCRAM ", what, " has a malformed attribute (expected \"x=value\")"));
    }
    attrs.push_back(*attr);
  }
  return attrs;
}

absl::Status Expect(const std::vector<Attribute>& attrs, size_t index, char name,
                    absl::string_view what) {
  if (index >= attrs.size() || attrs[index].name != name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SCRAM ", what, ": missing or misplaced attribute '", std::string(1, name), "'"));
  }
  return absl::OkStatus();
}

// RFC 5802 §7: iteration-count = "i=" posit-number. Digits only, no sign, bounded.
absl::StatusOr<int> ParseIterations(absl::string_view text, int max_iterations) {
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return absl::InvalidArgumentError("SCRAM iteration count is not a number");
    value = value * 10 + (c - '0');
    // A hostile server could ask for billions of PBKDF2 rounds to burn our CPU.
    if (value > max_iterations) {
      return absl::InvalidArgumentError(
          absl::StrCat("SCRAM iteration count exceeds the limit of ", max_iterations));
    }
  }
  if (value < 1) return absl::InvalidArgumentError("SCRAM iteration count must be at least 1");
  return static_cast<int>(value);
}

// The server's e= reason is untrusted text: keep it short and printable for error messages.
std::string SanitizeReason(absl::string_view reason) {
  constexpr size_t kMaxReason = 128;
  std::string out;
  for (char c : reason.substr(0, kMaxReason)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

bool IsPrintableNonce(absl::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

std::string EscapeSaslName(absl::string_view username) {
  std::string out;
  for (char c : username) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

absl::StatusOr<ServerFirstMessage> ParseServerFirst(absl::string_view message, int max_iterations) {
  constexpr absl::string_view kWhat = "server-first-message";
  absl::StatusOr<std::vector<Attribute>> attrs = ParseAttributes(message, kWhat);
  if (!attrs.ok()) return attrs.status();
  // RFC 5802 §5.1 "m": "If this extension is not understood, the client MUST fail".
  if (!attrs->empty() && (*attrs)[0].name == 'm') {
    return absl::UnimplementedError("SCRAM server requires an unsupported mandatory extension");
  }
  for (auto [index, name] : {std::pair<size_t, char>{0, 'r'}, {1, 's'}, {2, 'i'}}) {
    if (absl::Status s = Expect(*attrs, index, name, kWhat); !s.ok()) return s;
  }
  ServerFirstMessage out;
  out.nonce = std::string((*attrs)[0].value);
  if (!IsPrintableNonce(out.nonce)) {
    return absl::InvalidArgumentError("SCRAM server nonce has non-printable characters");
  }
  std::optional<std::string> salt = Base64Decode((*attrs)[1].value);
  if (!salt || salt->empty()) {
    return absl::InvalidArgumentError("SCRAM salt is not valid base64");
  }
  out.salt = std::move(*salt);
  absl::StatusOr<int> iterations = ParseIterations((*attrs)[2].value, max_iterations);
  if (!iterations.ok()) return iterations.status();
  out.iterations = *iterations;
  // Anything after i= is an optional extension (RFC 5802 §7 "extensions"): ignored.
  return out;
}

absl::StatusOr<std::string> ParseServerFinal(absl::string_view message) {
  constexpr absl::string_view kWhat = "server-final-message";
  // e= may carry any value-char, so look at it before the generic attribute parse.
  if (message.size() >= 2 && message.substr(0, 2) == "e=") {
    absl::string_view reason = message.substr(2);
    reason = reason.substr(0, reason.find(','));
    return absl::UnauthenticatedError(
        absl::StrCat("server rejected SCRAM authentication: ", SanitizeReason(reason)));
  }
  absl::StatusOr<std::vector<Attribute>> attrs = ParseAttributes(message, kWhat);
  if (!attrs.ok()) return attrs.status();
  if (absl::Status s = Expect(*attrs, 0, 'v', kWhat); !s.ok()) return s;
  std::optional<std::string> signature = Base64Decode((*attrs)[0].value);
  if (!signature) {
    return absl::InvalidArgumentError("SCRAM server signature is not valid base64");
  }
  if (signature->size() != kSha256Size) {
    return absl::InvalidArgumentError("SCRAM server signature has the wrong length");
  }
  return *signature;
}

}  // namespace warden::pgauth
