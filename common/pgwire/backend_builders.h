// Encoders for backend (server -> client) messages. Encode() appends one message to `out`;
// Build*() return a fresh buffer for convenience. CopyData/CopyDone: see copy_messages.h.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pgwire/backend_messages.h"
#include "common/pgwire/copy_messages.h"

namespace warden::pgwire {

void Encode(const Authentication& m, std::string* out);
void Encode(const ParameterStatus& m, std::string* out);
void Encode(const BackendKeyData& m, std::string* out);
void Encode(const ReadyForQuery& m, std::string* out);
void Encode(const RowDescription& m, std::string* out);
void Encode(const DataRow& m, std::string* out);
void Encode(const CommandComplete& m, std::string* out);
void Encode(const EmptyQueryResponse& m, std::string* out);
void Encode(const ErrorResponse& m, std::string* out);
void Encode(const NoticeResponse& m, std::string* out);
void Encode(const ParseComplete& m, std::string* out);
void Encode(const BindComplete& m, std::string* out);
void Encode(const CloseComplete& m, std::string* out);
void Encode(const NoData& m, std::string* out);
void Encode(const PortalSuspended& m, std::string* out);
void Encode(const ParameterDescription& m, std::string* out);
void Encode(const CopyInResponse& m, std::string* out);
void Encode(const CopyOutResponse& m, std::string* out);
void Encode(const CopyBothResponse& m, std::string* out);
void Encode(const NotificationResponse& m, std::string* out);
void Encode(const FunctionCallResponse& m, std::string* out);
void Encode(const NegotiateProtocolVersion& m, std::string* out);
void EncodeBackend(const BackendMessage& m, std::string* out);

std::string BuildAuthenticationOk();
std::string BuildAuthenticationCleartextPassword();
// `salt` must be 4 bytes; shorter is zero-padded, longer truncated.
std::string BuildAuthenticationMD5Password(std::string_view salt);
std::string BuildAuthenticationSASL(const std::vector<std::string_view>& mechanisms);
std::string BuildAuthenticationSASLContinue(std::string_view data);
std::string BuildAuthenticationSASLFinal(std::string_view data);
std::string BuildParameterStatus(std::string_view name, std::string_view value);
std::string BuildBackendKeyData(int32_t process_id, int32_t secret_key);
std::string BuildReadyForQuery(char status);
std::string BuildRowDescription(const std::vector<FieldDescription>& fields);
std::string BuildDataRow(const std::vector<std::optional<std::string_view>>& columns);
std::string BuildCommandComplete(std::string_view tag);
std::string BuildEmptyQueryResponse();
// Severity goes in both 'S' and 'V' (e.g. "ERROR", "FATAL"), then 'C' SQLSTATE, 'M' message and
// the optional 'D' detail and 'H' hint.
std::string BuildErrorResponse(std::string_view severity, std::string_view sqlstate,
                               std::string_view message,
                               std::optional<std::string_view> detail = std::nullopt,
                               std::optional<std::string_view> hint = std::nullopt);
std::string BuildNoticeResponse(std::string_view severity, std::string_view sqlstate,
                                std::string_view message,
                                std::optional<std::string_view> detail = std::nullopt,
                                std::optional<std::string_view> hint = std::nullopt);
std::string BuildParseComplete();
std::string BuildBindComplete();
std::string BuildCloseComplete();
std::string BuildNoData();
std::string BuildPortalSuspended();
std::string BuildParameterDescription(const std::vector<uint32_t>& param_types);
std::string BuildCopyInResponse(int8_t format, const std::vector<int16_t>& column_formats);
std::string BuildCopyOutResponse(int8_t format, const std::vector<int16_t>& column_formats);
std::string BuildCopyBothResponse(int8_t format, const std::vector<int16_t>& column_formats);
std::string BuildNotificationResponse(int32_t process_id, std::string_view channel,
                                      std::string_view payload);
std::string BuildFunctionCallResponse(std::optional<std::string_view> result);
std::string BuildNegotiateProtocolVersion(int32_t newest_minor_version,
                                          const std::vector<std::string_view>& options);

}  // namespace warden::pgwire
