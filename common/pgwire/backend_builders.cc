#include "common/pgwire/backend_builders.h"

#include "common/pgwire/writer.h"

// Layouts: https://www.postgresql.org/docs/15/protocol-message-formats.html
namespace warden::pgwire {
namespace {

void EncodeNoticeFields(char tag, const NoticeFields& m, std::string* out) {
  MessageWriter w(out);
  w.Begin(tag);
  for (const NoticeField& f : m.fields) {
    if (f.code == '\0') continue;  // a zero code would end the list early
    w.AddUint8(static_cast<uint8_t>(f.code));
    w.AddCString(f.value);
  }
  w.AddUint8(0);
  w.End();
}

void EncodeCopyResponse(char tag, const CopyResponse& m, std::string* out) {
  MessageWriter w(out);
  w.Begin(tag);
  w.AddUint8(static_cast<uint8_t>(m.format));
  w.AddInt16(static_cast<int16_t>(m.column_formats.size()));
  for (int16_t f : m.column_formats) w.AddInt16(f);
  w.End();
}

NoticeFields MakeNoticeFields(std::string_view severity, std::string_view sqlstate,
                              std::string_view message, std::optional<std::string_view> detail,
                              std::optional<std::string_view> hint) {
  NoticeFields n;
  n.fields = {{'S', severity}, {'V', severity}, {'C', sqlstate}, {'M', message}};
  if (detail) n.fields.push_back({'D', *detail});
  if (hint) n.fields.push_back({'H', *hint});
  return n;
}

}  // namespace

void Encode(const Authentication& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('R');
  w.AddInt32(static_cast<int32_t>(m.code));
  switch (m.code) {
    case AuthCode::kMD5Password: {
      std::string salt(m.salt.substr(0, 4));
      salt.resize(4, '\0');
      w.AddBytes(salt);
      break;
    }
    case AuthCode::kSASL:
      for (std::string_view name : m.mechanisms) w.AddCString(name);
      w.AddUint8(0);
      break;
    case AuthCode::kGSSContinue:
    case AuthCode::kSASLContinue:
    case AuthCode::kSASLFinal:
      w.AddBytes(m.data);
      break;
    default:
      break;
  }
  w.End();
}

void Encode(const ParameterStatus& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('S');
  w.AddCString(m.name);
  w.AddCString(m.value);
  w.End();
}

void Encode(const BackendKeyData& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('K');
  w.AddInt32(m.process_id);
  w.AddInt32(m.secret_key);
  w.End();
}

void Encode(const ReadyForQuery& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('Z');
  w.AddUint8(static_cast<uint8_t>(m.status));
  w.End();
}

void Encode(const RowDescription& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('T');
  w.AddInt16(static_cast<int16_t>(m.fields.size()));
  for (const FieldDescription& f : m.fields) {
    w.AddCString(f.name);
    w.AddUint32(f.table_oid);
    w.AddInt16(f.column_attnum);
    w.AddUint32(f.type_oid);
    w.AddInt16(f.type_size);
    w.AddInt32(f.type_modifier);
    w.AddInt16(f.format);
  }
  w.End();
}

void Encode(const DataRow& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('D');
  w.AddInt16(static_cast<int16_t>(m.columns.size()));
  for (const auto& c : m.columns) w.AddNullableBytes(c);
  w.End();
}

void Encode(const CommandComplete& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('C');
  w.AddCString(m.tag);
  w.End();
}

void Encode(const EmptyQueryResponse&, std::string* out) { EncodeEmpty('I', out); }
void Encode(const ErrorResponse& m, std::string* out) { EncodeNoticeFields('E', m, out); }
void Encode(const NoticeResponse& m, std::string* out) { EncodeNoticeFields('N', m, out); }
void Encode(const ParseComplete&, std::string* out) { EncodeEmpty('1', out); }
void Encode(const BindComplete&, std::string* out) { EncodeEmpty('2', out); }
void Encode(const CloseComplete&, std::string* out) { EncodeEmpty('3', out); }
void Encode(const NoData&, std::string* out) { EncodeEmpty('n', out); }
void Encode(const PortalSuspended&, std::string* out) { EncodeEmpty('s', out); }

void Encode(const ParameterDescription& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('t');
  w.AddInt16(static_cast<int16_t>(m.param_types.size()));
  for (uint32_t oid : m.param_types) w.AddUint32(oid);
  w.End();
}

void Encode(const CopyInResponse& m, std::string* out) { EncodeCopyResponse('G', m, out); }
void Encode(const CopyOutResponse& m, std::string* out) { EncodeCopyResponse('H', m, out); }
void Encode(const CopyBothResponse& m, std::string* out) { EncodeCopyResponse('W', m, out); }

void Encode(const NotificationResponse& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('A');
  w.AddInt32(m.process_id);
  w.AddCString(m.channel);
  w.AddCString(m.payload);
  w.End();
}

void Encode(const FunctionCallResponse& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('V');
  w.AddNullableBytes(m.result);
  w.End();
}

void Encode(const NegotiateProtocolVersion& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('v');
  w.AddInt32(m.newest_minor_version);
  w.AddInt32(static_cast<int32_t>(m.unrecognized_options.size()));
  for (std::string_view name : m.unrecognized_options) w.AddCString(name);
  w.End();
}

void EncodeBackend(const BackendMessage& m, std::string* out) {
  std::visit([out](const auto& v) { Encode(v, out); }, m);
}

namespace {

std::string BuildAuthentication(AuthCode code, std::string_view salt = {},
                                const std::vector<std::string_view>& mechanisms = {},
                                std::string_view data = {}) {
  Authentication a;
  a.code = code;
  a.salt = salt;
  a.mechanisms = mechanisms;
  a.data = data;
  return BuildMessage(a);
}

}  // namespace

std::string BuildAuthenticationOk() { return BuildAuthentication(AuthCode::kOk); }
std::string BuildAuthenticationCleartextPassword() {
  return BuildAuthentication(AuthCode::kCleartextPassword);
}
std::string BuildAuthenticationMD5Password(std::string_view salt) {
  return BuildAuthentication(AuthCode::kMD5Password, salt);
}
std::string BuildAuthenticationSASL(const std::vector<std::string_view>& mechanisms) {
  return BuildAuthentication(AuthCode::kSASL, {}, mechanisms);
}
std::string BuildAuthenticationSASLContinue(std::string_view data) {
  return BuildAuthentication(AuthCode::kSASLContinue, {}, {}, data);
}
std::string BuildAuthenticationSASLFinal(std::string_view data) {
  return BuildAuthentication(AuthCode::kSASLFinal, {}, {}, data);
}
std::string BuildParameterStatus(std::string_view name, std::string_view value) {
  return BuildMessage(ParameterStatus{name, value});
}
std::string BuildBackendKeyData(int32_t process_id, int32_t secret_key) {
  return BuildMessage(BackendKeyData{process_id, secret_key});
}
std::string BuildReadyForQuery(char status) { return BuildMessage(ReadyForQuery{status}); }
std::string BuildRowDescription(const std::vector<FieldDescription>& fields) {
  return BuildMessage(RowDescription{fields});
}
std::string BuildDataRow(const std::vector<std::optional<std::string_view>>& columns) {
  return BuildMessage(DataRow{columns});
}
std::string BuildCommandComplete(std::string_view tag) {
  return BuildMessage(CommandComplete{tag});
}
std::string BuildEmptyQueryResponse() { return BuildMessage(EmptyQueryResponse{}); }

std::string BuildErrorResponse(std::string_view severity, std::string_view sqlstate,
                               std::string_view message, std::optional<std::string_view> detail,
                               std::optional<std::string_view> hint) {
  return BuildMessage(ErrorResponse{MakeNoticeFields(severity, sqlstate, message, detail, hint)});
}
std::string BuildNoticeResponse(std::string_view severity, std::string_view sqlstate,
                                std::string_view message, std::optional<std::string_view> detail,
                                std::optional<std::string_view> hint) {
  return BuildMessage(NoticeResponse{MakeNoticeFields(severity, sqlstate, message, detail, hint)});
}

std::string BuildParseComplete() { return BuildMessage(ParseComplete{}); }
std::string BuildBindComplete() { return BuildMessage(BindComplete{}); }
std::string BuildCloseComplete() { return BuildMessage(CloseComplete{}); }
std::string BuildNoData() { return BuildMessage(NoData{}); }
std::string BuildPortalSuspended() { return BuildMessage(PortalSuspended{}); }
std::string BuildParameterDescription(const std::vector<uint32_t>& param_types) {
  return BuildMessage(ParameterDescription{param_types});
}
std::string BuildCopyInResponse(int8_t format, const std::vector<int16_t>& column_formats) {
  return BuildMessage(CopyInResponse{{format, column_formats}});
}
std::string BuildCopyOutResponse(int8_t format, const std::vector<int16_t>& column_formats) {
  return BuildMessage(CopyOutResponse{{format, column_formats}});
}
std::string BuildCopyBothResponse(int8_t format, const std::vector<int16_t>& column_formats) {
  return BuildMessage(CopyBothResponse{{format, column_formats}});
}
std::string BuildNotificationResponse(int32_t process_id, std::string_view channel,
                                      std::string_view payload) {
  return BuildMessage(NotificationResponse{process_id, channel, payload});
}
std::string BuildFunctionCallResponse(std::optional<std::string_view> result) {
  return BuildMessage(FunctionCallResponse{result});
}
std::string BuildNegotiateProtocolVersion(int32_t newest_minor_version,
                                          const std::vector<std::string_view>& options) {
  return BuildMessage(NegotiateProtocolVersion{newest_minor_version, options});
}

}  // namespace warden::pgwire
