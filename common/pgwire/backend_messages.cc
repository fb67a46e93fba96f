#include "common/pgwire/backend_messages.h"

#include "absl/strings/str_cat.h"
#include "common/pgwire/format_codes.h"
#include "common/pgwire/reader.h"
#include "common/util/status_macros.h"

// Body layouts: https://www.postgresql.org/docs/15/protocol-message-formats.html
namespace warden::pgwire {
namespace {

// Minimum (and for fixed-size messages, exact) length fields, so impossible lengths are rejected
// from the header alone.
bool BackendLengthRule(char tag, LengthRule* rule) {
  switch (tag) {
    case 'R':
      *rule = {8, 0};
      return true;
    case 'S':
      *rule = {6, 0};
      return true;
    case 'K':
      *rule = {12, 12};
      return true;
    case 'Z':
      *rule = {5, 5};
      return true;
    case 'T':
    case 'D':
    case 't':
      *rule = {6, 0};
      return true;
    case 'C':
    case 'E':
    case 'N':
      *rule = {5, 0};
      return true;
    case 'I':
    case '1':
    case '2':
    case '3':
    case 'n':
    case 's':
    case 'c':
      *rule = {4, 4};
      return true;
    case 'G':
    case 'H':
    case 'W':
      *rule = {7, 0};
      return true;
    case 'd':
      *rule = {4, 0};
      return true;
    case 'A':
      *rule = {10, 0};
      return true;
    case 'V':
      *rule = {8, 0};
      return true;
    case 'v':
      *rule = {12, 0};
      return true;
    default:
      return false;
  }
}

absl::Status ParseAuthentication(BodyReader& r, Authentication* m) {
  int32_t code = 0;
  RETURN_IF_ERROR(r.ReadInt32(&code));
  m->code = static_cast<AuthCode>(code);
  switch (m->code) {
    case AuthCode::kOk:
    case AuthCode::kKerberosV5:
    case AuthCode::kCleartextPassword:
    case AuthCode::kSCMCredential:
    case AuthCode::kGSS:
    case AuthCode::kSSPI:
      return absl::OkStatus();
    case AuthCode::kMD5Password:
      return r.ReadBytes(4, &m->salt);
    case AuthCode::kSASL:
      // Mechanism names, each a String, ended by an empty String.
      for (;;) {
        std::string_view name;
        RETURN_IF_ERROR(r.ReadCString(&name));
        if (name.empty()) break;
        m->mechanisms.push_back(name);
      }
      if (m->mechanisms.empty()) return r.Error("AuthenticationSASL lists no mechanisms");
      return absl::OkStatus();
    case AuthCode::kGSSContinue:
    case AuthCode::kSASLContinue:
    case AuthCode::kSASLFinal:
      m->data = r.ReadRest();
      return absl::OkStatus();
  }
  return r.Error(absl::StrCat("has unknown authentication code ", code));
}

absl::Status ParseBody(BodyReader& r, Authentication* m) { return ParseAuthentication(r, m); }

absl::Status ParseBody(BodyReader& r, ParameterStatus* m) {
  RETURN_IF_ERROR(r.ReadCString(&m->name));
  return r.ReadCString(&m->value);
}

absl::Status ParseBody(BodyReader& r, BackendKeyData* m) {
  RETURN_IF_ERROR(r.ReadInt32(&m->process_id));
  return r.ReadInt32(&m->secret_key);
}

absl::Status ParseBody(BodyReader& r, ReadyForQuery* m) {
  uint8_t status = 0;
  RETURN_IF_ERROR(r.ReadUint8(&status));
  if (status != 'I' && status != 'T' && status != 'E') {
    return r.Error(absl::StrCat("has invalid transaction status ",
                                DescribeTag(static_cast<char>(status)),
                                "; expected 'I', 'T' or 'E'"));
  }
  m->status = static_cast<char>(status);
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, RowDescription* m) {
  size_t n = 0;
  // Each field is at least an empty name (1 byte) and 18 bytes of fixed attributes.
  RETURN_IF_ERROR(r.ReadCount16("field", 19, &n));
  m->fields.resize(n);
  for (FieldDescription& f : m->fields) {
    RETURN_IF_ERROR(r.ReadCString(&f.name));
    RETURN_IF_ERROR(r.ReadUint32(&f.table_oid));
    RETURN_IF_ERROR(r.ReadInt16(&f.column_attnum));
    RETURN_IF_ERROR(r.ReadUint32(&f.type_oid));
    RETURN_IF_ERROR(r.ReadInt16(&f.type_size));
    RETURN_IF_ERROR(r.ReadInt32(&f.type_modifier));
    RETURN_IF_ERROR(ReadFormatCode(r, &f.format));
  }
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, DataRow* m) { return ReadValues(r, "column", &m->columns); }
absl::Status ParseBody(BodyReader& r, CommandComplete* m) { return r.ReadCString(&m->tag); }

// Fields of (Byte1 code, String value) ended by a zero code byte.
absl::Status ParseBody(BodyReader& r, NoticeFields* m) {
  for (;;) {
    uint8_t code = 0;
    RETURN_IF_ERROR(r.ReadUint8(&code));
    if (code == 0) return absl::OkStatus();
    NoticeField f{static_cast<char>(code), {}};
    RETURN_IF_ERROR(r.ReadCString(&f.value));
    m->fields.push_back(f);
  }
}

absl::Status ParseBody(BodyReader& r, ParameterDescription* m) {
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount16("parameter type", 4, &n));
  m->param_types.resize(n);
  for (uint32_t& oid : m->param_types) RETURN_IF_ERROR(r.ReadUint32(&oid));
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, CopyResponse* m) {
  uint8_t format = 0;
  RETURN_IF_ERROR(r.ReadUint8(&format));
  if (format > 1) return r.Error(absl::StrCat("has invalid overall COPY format ", format));
  m->format = static_cast<int8_t>(format);
  return ReadFormatCodes(r, "column format", &m->column_formats);
}

absl::Status ParseBody(BodyReader& r, CopyData* m) {
  m->data = r.ReadRest();
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, NotificationResponse* m) {
  RETURN_IF_ERROR(r.ReadInt32(&m->process_id));
  RETURN_IF_ERROR(r.ReadCString(&m->channel));
  return r.ReadCString(&m->payload);
}

absl::Status ParseBody(BodyReader& r, FunctionCallResponse* m) {
  return r.ReadNullableBytes(&m->result);
}

absl::Status ParseBody(BodyReader& r, NegotiateProtocolVersion* m) {
  RETURN_IF_ERROR(r.ReadInt32(&m->newest_minor_version));
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount32("option", 1, &n));
  m->unrecognized_options.resize(n);
  for (std::string_view& name : m->unrecognized_options) RETURN_IF_ERROR(r.ReadCString(&name));
  return absl::OkStatus();
}

// Messages with an empty body; the length rule already pinned their length to 4.
absl::Status ParseBody(BodyReader&, EmptyQueryResponse*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, ParseComplete*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, BindComplete*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, CloseComplete*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, NoData*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, PortalSuspended*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, CopyDone*) { return absl::OkStatus(); }

template <typename M>
absl::StatusOr<BackendMessage> ParseAs(const Frame& frame) {
  BodyReader r(frame.tag, frame.body);
  M m;
  RETURN_IF_ERROR(ParseBody(r, &m));  // ErrorResponse etc. bind to their base's overload
  RETURN_IF_ERROR(r.Finish());
  return BackendMessage(std::move(m));
}

absl::Status UnknownTag(char tag) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown backend message type ", DescribeTag(tag)));
}

}  // namespace

bool Authentication::supported() const {
  switch (code) {
    case AuthCode::kOk:
    case AuthCode::kCleartextPassword:
    case AuthCode::kMD5Password:
    case AuthCode::kSASL:
    case AuthCode::kSASLContinue:
    case AuthCode::kSASLFinal:
      return true;
    default:
      return false;
  }
}

std::optional<std::string_view> NoticeFields::Find(char code) const {
  for (const NoticeField& f : fields) {
    if (f.code == code) return f.value;
  }
  return std::nullopt;
}

std::string_view NoticeFields::severity() const {
  if (auto v = Find('V')) return *v;
  return Find('S').value_or("");
}

bool IsBackendTag(char tag) {
  LengthRule rule;
  return BackendLengthRule(tag, &rule);
}

absl::Status ParseRowDescription(std::string_view body, RowDescription* m) {
  BodyReader r('T', body);
  RETURN_IF_ERROR(ParseBody(r, m));
  return r.Finish();
}

absl::StatusOr<BackendMessage> ParseBackend(const Frame& frame) {
  switch (frame.tag) {
    case 'R':
      return ParseAs<Authentication>(frame);
    case 'S':
      return ParseAs<ParameterStatus>(frame);
    case 'K':
      return ParseAs<BackendKeyData>(frame);
    case 'Z':
      return ParseAs<ReadyForQuery>(frame);
    case 'T':
      return ParseAs<RowDescription>(frame);
    case 'D':
      return ParseAs<DataRow>(frame);
    case 'C':
      return ParseAs<CommandComplete>(frame);
    case 'I':
      return ParseAs<EmptyQueryResponse>(frame);
    case 'E':
      return ParseAs<ErrorResponse>(frame);
    case 'N':
      return ParseAs<NoticeResponse>(frame);
    case '1':
      return ParseAs<ParseComplete>(frame);
    case '2':
      return ParseAs<BindComplete>(frame);
    case '3':
      return ParseAs<CloseComplete>(frame);
    case 'n':
      return ParseAs<NoData>(frame);
    case 's':
      return ParseAs<PortalSuspended>(frame);
    case 't':
      return ParseAs<ParameterDescription>(frame);
    case 'G':
      return ParseAs<CopyInResponse>(frame);
    case 'H':
      return ParseAs<CopyOutResponse>(frame);
    case 'W':
      return ParseAs<CopyBothResponse>(frame);
    case 'd':
      return ParseAs<CopyData>(frame);
    case 'c':
      return ParseAs<CopyDone>(frame);
    case 'A':
      return ParseAs<NotificationResponse>(frame);
    case 'V':
      return ParseAs<FunctionCallResponse>(frame);
    case 'v':
      return ParseAs<NegotiateProtocolVersion>(frame);
    default:
      return UnknownTag(frame.tag);
  }
}

DecodeResult<BackendMessage> DecodeBackend(std::string_view bytes, size_t max_len) {
  if (bytes.empty()) return NeedMore{};
  LengthRule rule;
  if (!BackendLengthRule(bytes[0], &rule)) return UnknownTag(bytes[0]);
  DecodeResult<Frame> frame = DecodeFrame(bytes, max_len, rule);
  if (!frame.has_message()) {
    if (frame.need_more()) return NeedMore{};
    return frame.status();
  }
  absl::StatusOr<BackendMessage> m = ParseBackend(frame.message());
  if (!m.ok()) return m.status();
  return DecodeResult<BackendMessage>(std::move(*m), frame.consumed());
}

}  // namespace warden::pgwire
