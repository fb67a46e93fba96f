// Typed frontend (client -> server) messages of protocol v3 and their decoder. Every view points
// into the decoded input buffer (zero-copy), so a message is valid only while that buffer is.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pgwire/copy_messages.h"
#include "common/pgwire/decode_result.h"
#include "common/pgwire/framing.h"

namespace warden::pgwire {

// 'Q' simple query.
struct Query {
  std::string_view sql;
  bool operator==(const Query&) const = default;
};

// 'P' Parse: name "" is the unnamed statement; a type OID of 0 leaves the type unspecified.
struct Parse {
  std::string_view name;
  std::string_view query;
  std::vector<uint32_t> param_types;
  bool operator==(const Parse&) const = default;
};

// 'B' Bind. A parameter of nullopt is SQL NULL (length -1).
struct Bind {
  std::string_view portal;
  std::string_view statement;
  std::vector<int16_t> param_formats;  // empty: all text; one: applies to all; else one each
  std::vector<std::optional<std::string_view>> params;
  std::vector<int16_t> result_formats;  // same convention, for result columns
  // The format code (0 text, 1 binary) of parameter `i`, applying the convention above.
  int16_t ParamFormat(size_t i) const;
  bool operator==(const Bind&) const = default;
};

// The format code of value `i` under Bind's convention for `codes` (empty: all text; one:
// applies to all; else one each).
int16_t FormatCode(const std::vector<int16_t>& codes, size_t i);

// 'D' Describe: kind 'S' (prepared statement) or 'P' (portal).
struct Describe {
  char kind = 'S';
  std::string_view name;
  bool operator==(const Describe&) const = default;
};

// 'E' Execute: max_rows 0 means no limit.
struct Execute {
  std::string_view portal;
  int32_t max_rows = 0;
  bool operator==(const Execute&) const = default;
};

// 'C' Close: kind 'S' (prepared statement) or 'P' (portal).
struct Close {
  char kind = 'S';
  std::string_view name;
  bool operator==(const Close&) const = default;
};

struct Flush {  // 'H'
  bool operator==(const Flush&) const = default;
};
struct Sync {  // 'S'
  bool operator==(const Sync&) const = default;
};
struct Terminate {  // 'X'
  bool operator==(const Terminate&) const = default;
};

// 'f' CopyFail: the client aborts COPY FROM STDIN with this message.
struct CopyFail {
  std::string_view message;
  bool operator==(const CopyFail&) const = default;
};

// 'F' FunctionCall (legacy fast-path interface).
struct FunctionCall {
  uint32_t function_oid = 0;
  std::vector<int16_t> arg_formats;
  std::vector<std::optional<std::string_view>> args;
  int16_t result_format = 0;
  bool operator==(const FunctionCall&) const = default;
};

// 'p': PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse. The body is kept raw
// because which one it is depends on the authentication exchange in progress; use the Parse*
// helpers below once the state is known.
struct PasswordMessage {
  std::string_view data;
  bool operator==(const PasswordMessage&) const = default;
};

using FrontendMessage =
    std::variant<Query, Parse, Bind, Describe, Execute, Close, Flush, Sync, Terminate, CopyData,
                 CopyDone, CopyFail, FunctionCall, PasswordMessage>;

// True for the tags a client may send after the startup packet.
bool IsFrontendTag(char tag);

// Decodes the first tagged frontend message of `bytes`. An unknown tag is an error as soon as its
// first byte arrives; `max_len` caps the length field (kMaxPreAuthMessage before authentication).
DecodeResult<FrontendMessage> DecodeFrontend(std::string_view bytes,
                                             size_t max_len = kDefaultMaxMessage);

// Parses the body of an already framed frontend message.
absl::StatusOr<FrontendMessage> ParseFrontend(const Frame& frame);

// The cleartext or md5 password of a PasswordMessage (a single String).
absl::StatusOr<std::string_view> ParsePassword(const PasswordMessage& m);

struct SASLInitialResponse {
  std::string_view mechanism;
  std::optional<std::string_view> data;  // nullopt when the length is -1 (no initial response)
  bool operator==(const SASLInitialResponse&) const = default;
};
absl::StatusOr<SASLInitialResponse> ParseSASLInitialResponse(const PasswordMessage& m);

// A SASLResponse body is the mechanism's data, entire.
inline std::string_view ParseSASLResponse(const PasswordMessage& m) { return m.data; }

}  // namespace warden::pgwire
