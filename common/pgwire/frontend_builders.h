// Encoders for frontend (client -> server) messages. Encode() appends one message to `out`;
// Build*() return a fresh buffer for convenience.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pgwire/copy_messages.h"  // CopyData, CopyDone encoders
#include "common/pgwire/frontend_messages.h"

namespace warden::pgwire {

void Encode(const Query& m, std::string* out);
void Encode(const Parse& m, std::string* out);
void Encode(const Bind& m, std::string* out);
void Encode(const Describe& m, std::string* out);
void Encode(const Execute& m, std::string* out);
void Encode(const Close& m, std::string* out);
void Encode(const Flush& m, std::string* out);
void Encode(const Sync& m, std::string* out);
void Encode(const Terminate& m, std::string* out);
void Encode(const CopyFail& m, std::string* out);
void Encode(const FunctionCall& m, std::string* out);
void Encode(const PasswordMessage& m, std::string* out);  // raw body
void EncodeFrontend(const FrontendMessage& m, std::string* out);

std::string BuildQuery(std::string_view sql);
std::string BuildParse(std::string_view name, std::string_view query,
                       const std::vector<uint32_t>& param_types = {});
std::string BuildBind(std::string_view portal, std::string_view statement,
                      const std::vector<int16_t>& param_formats,
                      const std::vector<std::optional<std::string_view>>& params,
                      const std::vector<int16_t>& result_formats);
std::string BuildDescribe(char kind, std::string_view name);
std::string BuildExecute(std::string_view portal, int32_t max_rows = 0);
std::string BuildClose(char kind, std::string_view name);
std::string BuildFlush();
std::string BuildSync();
std::string BuildTerminate();
std::string BuildCopyFail(std::string_view message);
std::string BuildFunctionCall(uint32_t function_oid, const std::vector<int16_t>& arg_formats,
                              const std::vector<std::optional<std::string_view>>& args,
                              int16_t result_format);
// 'p' carrying a cleartext or md5 password String.
std::string BuildPasswordMessage(std::string_view password);
// 'p' SASLInitialResponse: mechanism, then the initial response (nullopt: length -1).
std::string BuildSASLInitialResponse(std::string_view mechanism,
                                     std::optional<std::string_view> data);
// 'p' SASLResponse: the mechanism's data, raw.
std::string BuildSASLResponse(std::string_view data);

}  // namespace warden::pgwire
