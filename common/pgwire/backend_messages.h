// Typed backend (server -> client) messages of protocol v3 and their decoder. Every view points
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

// The Int32 that says which Authentication* message an 'R' is.
enum class AuthCode : int32_t {
  kOk = 0,
  kKerberosV5 = 2,
  kCleartextPassword = 3,
  kMD5Password = 5,
  kSCMCredential = 6,
  kGSS = 7,
  kGSSContinue = 8,
  kSSPI = 9,
  kSASL = 10,
  kSASLContinue = 11,
  kSASLFinal = 12,
};

// 'R'. Ok, CleartextPassword, MD5Password, SASL, SASLContinue and SASLFinal are fully decoded;
// KerberosV5, SCMCredential, GSS, GSSContinue and SSPI are decoded (data holds GSSContinue's
// bytes) but Warden does not support them: see supported(). Other codes are errors.
struct Authentication {
  AuthCode code = AuthCode::kOk;
  std::string_view salt;                     // kMD5Password: exactly 4 bytes
  std::vector<std::string_view> mechanisms;  // kSASL, in the server's order of preference
  std::string_view data;                     // kSASLContinue, kSASLFinal, kGSSContinue
  bool supported() const;
  bool operator==(const Authentication&) const = default;
};

// 'S'
struct ParameterStatus {
  std::string_view name;
  std::string_view value;
  bool operator==(const ParameterStatus&) const = default;
};

// 'K'
struct BackendKeyData {
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const BackendKeyData&) const = default;
};

// 'Z': status 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
struct ReadyForQuery {
  char status = 'I';
  bool operator==(const ReadyForQuery&) const = default;
};

struct FieldDescription {
  std::string_view name;
  uint32_t table_oid = 0;
  int16_t column_attnum = 0;
  uint32_t type_oid = 0;
  int16_t type_size = 0;  // typlen; negative for variable-width types
  int32_t type_modifier = 0;
  int16_t format = 0;  // 0 text, 1 binary
  bool operator==(const FieldDescription&) const = default;
};

// 'T'
struct RowDescription {
  std::vector<FieldDescription> fields;
  bool operator==(const RowDescription&) const = default;
};

// 'D': nullopt is SQL NULL.
struct DataRow {
  std::vector<std::optional<std::string_view>> columns;
  bool operator==(const DataRow&) const = default;
};

// 'C': the command tag, e.g. "SELECT 3", "INSERT 0 1".
struct CommandComplete {
  std::string_view tag;
  bool operator==(const CommandComplete&) const = default;
};

struct EmptyQueryResponse {  // 'I'
  bool operator==(const EmptyQueryResponse&) const = default;
};

// One (code, value) field of an ErrorResponse/NoticeResponse.
// https://www.postgresql.org/docs/15/protocol-error-fields.html
struct NoticeField {
  char code = 0;
  std::string_view value;
  bool operator==(const NoticeField&) const = default;
};

struct NoticeFields {
  std::vector<NoticeField> fields;
  // The value of the first field with `code`, if present.
  std::optional<std::string_view> Find(char code) const;
  // 'V' (non-localized severity, 9.6+) if present, else 'S'.
  std::string_view severity() const;
  std::string_view sqlstate() const { return Find('C').value_or(""); }
  std::string_view message() const { return Find('M').value_or(""); }
  bool operator==(const NoticeFields&) const = default;
};

struct ErrorResponse : NoticeFields {  // 'E'
  bool operator==(const ErrorResponse&) const = default;
};
struct NoticeResponse : NoticeFields {  // 'N'
  bool operator==(const NoticeResponse&) const = default;
};

struct ParseComplete {  // '1'
  bool operator==(const ParseComplete&) const = default;
};
struct BindComplete {  // '2'
  bool operator==(const BindComplete&) const = default;
};
struct CloseComplete {  // '3'
  bool operator==(const CloseComplete&) const = default;
};
struct NoData {  // 'n'
  bool operator==(const NoData&) const = default;
};
struct PortalSuspended {  // 's'
  bool operator==(const PortalSuspended&) const = default;
};

// 't'
struct ParameterDescription {
  std::vector<uint32_t> param_types;
  bool operator==(const ParameterDescription&) const = default;
};

// Shared layout of CopyInResponse / CopyOutResponse / CopyBothResponse.
struct CopyResponse {
  int8_t format = 0;  // overall: 0 textual, 1 binary
  std::vector<int16_t> column_formats;
  bool operator==(const CopyResponse&) const = default;
};
struct CopyInResponse : CopyResponse {  // 'G'
  bool operator==(const CopyInResponse&) const = default;
};
struct CopyOutResponse : CopyResponse {  // 'H'
  bool operator==(const CopyOutResponse&) const = default;
};
struct CopyBothResponse : CopyResponse {  // 'W'
  bool operator==(const CopyBothResponse&) const = default;
};

// 'A'
struct NotificationResponse {
  int32_t process_id = 0;
  std::string_view channel;
  std::string_view payload;
  bool operator==(const NotificationResponse&) const = default;
};

// 'V': nullopt is a NULL result.
struct FunctionCallResponse {
  std::optional<std::string_view> result;
  bool operator==(const FunctionCallResponse&) const = default;
};

// 'v'
struct NegotiateProtocolVersion {
  int32_t newest_minor_version = 0;
  std::vector<std::string_view> unrecognized_options;
  bool operator==(const NegotiateProtocolVersion&) const = default;
};

using BackendMessage =
    std::variant<Authentication, ParameterStatus, BackendKeyData, ReadyForQuery, RowDescription,
                 DataRow, CommandComplete, EmptyQueryResponse, ErrorResponse, NoticeResponse,
                 ParseComplete, BindComplete, CloseComplete, NoData, PortalSuspended,
                 ParameterDescription, CopyInResponse, CopyOutResponse, CopyBothResponse, CopyData,
                 CopyDone, NotificationResponse, FunctionCallResponse, NegotiateProtocolVersion>;

// True for the tags a server may send.
bool IsBackendTag(char tag);

// Decodes the first backend message of `bytes`. An unknown tag is an error as soon as its first
// byte arrives; `max_len` caps the length field.
DecodeResult<BackendMessage> DecodeBackend(std::string_view bytes,
                                           size_t max_len = kDefaultMaxMessage);

// Parses the body of an already framed backend message.
absl::StatusOr<BackendMessage> ParseBackend(const Frame& frame);

// Parses a RowDescription's body into *m, reusing its field vector: the agent reads one for
// every statement, twice (the ledger and the masker), and needs no BackendMessage for it.
absl::Status ParseRowDescription(std::string_view body, RowDescription* m);

}  // namespace warden::pgwire
