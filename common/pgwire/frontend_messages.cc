#include "common/pgwire/frontend_messages.h"

#include "absl/strings/str_cat.h"
#include "common/pgwire/format_codes.h"
#include "common/pgwire/reader.h"
#include "common/util/status_macros.h"

// Body layouts: https://www.postgresql.org/docs/15/protocol-message-formats.html
namespace warden::pgwire {
namespace {

// Minimum (and for fixed-size messages, exact) length fields, so impossible lengths are rejected
// from the header alone.
bool FrontendLengthRule(char tag, LengthRule* rule) {
  switch (tag) {
    case 'Q':
      *rule = {5, 0};
      return true;
    case 'P':
      *rule = {8, 0};
      return true;
    case 'B':
      *rule = {12, 0};
      return true;
    case 'D':
      *rule = {6, 0};
      return true;
    case 'E':
      *rule = {9, 0};
      return true;
    case 'C':
      *rule = {6, 0};
      return true;
    case 'H':
    case 'S':
    case 'X':
    case 'c':
      *rule = {4, 4};
      return true;
    case 'd':
      *rule = {4, 0};
      return true;
    case 'f':
      *rule = {5, 0};
      return true;
    case 'F':
      *rule = {14, 0};
      return true;
    case 'p':
      *rule = {4, 0};
      return true;
    default:
      return false;
  }
}

// "the number of parameter format codes ... can be zero, one, or equal to the number of
// parameters" (Bind and FunctionCall).
absl::Status CheckFormatCount(BodyReader& r, size_t formats, size_t values, std::string_view what) {
  if (formats <= 1 || formats == values) return absl::OkStatus();
  return r.Error(absl::StrCat("has ", formats, " ", absl::string_view(what.data(), what.size()),
                              " format codes for ", values, " values"));
}

// Describe and Close name a prepared statement ('S') or a portal ('P').
absl::Status ReadTargetKind(BodyReader& r, char* kind) {
  uint8_t k = 0;
  RETURN_IF_ERROR(r.ReadUint8(&k));
  if (k != 'S' && k != 'P') {
    return r.Error(absl::StrCat("has invalid target ", DescribeTag(static_cast<char>(k)),
                                "; expected 'S' or 'P'"));
  }
  *kind = static_cast<char>(k);
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, Query* m) { return r.ReadCString(&m->sql); }

absl::Status ParseBody(BodyReader& r, Parse* m) {
  RETURN_IF_ERROR(r.ReadCString(&m->name));
  RETURN_IF_ERROR(r.ReadCString(&m->query));
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount16("parameter type", 4, &n));
  m->param_types.resize(n);
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(r.ReadUint32(&m->param_types[i]));
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, Bind* m) {
  RETURN_IF_ERROR(r.ReadCString(&m->portal));
  RETURN_IF_ERROR(r.ReadCString(&m->statement));
  RETURN_IF_ERROR(ReadFormatCodes(r, "parameter format", &m->param_formats));
  RETURN_IF_ERROR(ReadValues(r, "parameter", &m->params));
  RETURN_IF_ERROR(CheckFormatCount(r, m->param_formats.size(), m->params.size(), "parameter"));
  return ReadFormatCodes(r, "result format", &m->result_formats);
}

absl::Status ParseBody(BodyReader& r, Describe* m) {
  RETURN_IF_ERROR(ReadTargetKind(r, &m->kind));
  return r.ReadCString(&m->name);
}

absl::Status ParseBody(BodyReader& r, Execute* m) {
  RETURN_IF_ERROR(r.ReadCString(&m->portal));
  return r.ReadInt32(&m->max_rows);
}

absl::Status ParseBody(BodyReader& r, Close* m) {
  RETURN_IF_ERROR(ReadTargetKind(r, &m->kind));
  return r.ReadCString(&m->name);
}

absl::Status ParseBody(BodyReader&, Flush*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, Sync*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, Terminate*) { return absl::OkStatus(); }
absl::Status ParseBody(BodyReader&, CopyDone*) { return absl::OkStatus(); }

absl::Status ParseBody(BodyReader& r, CopyData* m) {
  m->data = r.ReadRest();
  return absl::OkStatus();
}

absl::Status ParseBody(BodyReader& r, CopyFail* m) { return r.ReadCString(&m->message); }

absl::Status ParseBody(BodyReader& r, FunctionCall* m) {
  RETURN_IF_ERROR(r.ReadUint32(&m->function_oid));
  RETURN_IF_ERROR(ReadFormatCodes(r, "argument format", &m->arg_formats));
  RETURN_IF_ERROR(ReadValues(r, "argument", &m->args));
  RETURN_IF_ERROR(CheckFormatCount(r, m->arg_formats.size(), m->args.size(), "argument"));
  return ReadFormatCode(r, &m->result_format);
}

absl::Status ParseBody(BodyReader& r, PasswordMessage* m) {
  m->data = r.ReadRest();
  return absl::OkStatus();
}

template <typename M>
absl::StatusOr<FrontendMessage> ParseAs(const Frame& frame) {
  BodyReader r(frame.tag, frame.body);
  M m;
  RETURN_IF_ERROR(ParseBody(r, &m));
  RETURN_IF_ERROR(r.Finish());
  return FrontendMessage(std::move(m));
}

absl::Status UnknownTag(char tag) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown frontend message type ", DescribeTag(tag)));
}

}  // namespace

bool IsFrontendTag(char tag) {
  LengthRule rule;
  return FrontendLengthRule(tag, &rule);
}

int16_t FormatCode(const std::vector<int16_t>& codes, size_t i) {
  if (codes.empty()) return 0;
  if (codes.size() == 1) return codes[0];
  return i < codes.size() ? codes[i] : 0;
}

int16_t Bind::ParamFormat(size_t i) const { return FormatCode(param_formats, i); }

absl::StatusOr<FrontendMessage> ParseFrontend(const Frame& frame) {
  switch (frame.tag) {
    case 'Q':
      return ParseAs<Query>(frame);
    case 'P':
      return ParseAs<Parse>(frame);
    case 'B':
      return ParseAs<Bind>(frame);
    case 'D':
      return ParseAs<Describe>(frame);
    case 'E':
      return ParseAs<Execute>(frame);
    case 'C':
      return ParseAs<Close>(frame);
    case 'H':
      return ParseAs<Flush>(frame);
    case 'S':
      return ParseAs<Sync>(frame);
    case 'X':
      return ParseAs<Terminate>(frame);
    case 'd':
      return ParseAs<CopyData>(frame);
    case 'c':
      return ParseAs<CopyDone>(frame);
    case 'f':
      return ParseAs<CopyFail>(frame);
    case 'F':
      return ParseAs<FunctionCall>(frame);
    case 'p':
      return ParseAs<PasswordMessage>(frame);
    default:
      return UnknownTag(frame.tag);
  }
}

DecodeResult<FrontendMessage> DecodeFrontend(std::string_view bytes, size_t max_len) {
  if (bytes.empty()) return NeedMore{};
  LengthRule rule;
  if (!FrontendLengthRule(bytes[0], &rule)) return UnknownTag(bytes[0]);
  DecodeResult<Frame> frame = DecodeFrame(bytes, max_len, rule);
  if (!frame.has_message()) {
    if (frame.need_more()) return NeedMore{};
    return frame.status();
  }
  absl::StatusOr<FrontendMessage> m = ParseFrontend(frame.message());
  if (!m.ok()) return m.status();
  return DecodeResult<FrontendMessage>(std::move(*m), frame.consumed());
}

absl::StatusOr<std::string_view> ParsePassword(const PasswordMessage& m) {
  BodyReader r('p', m.data);
  std::string_view password;
  RETURN_IF_ERROR(r.ReadCString(&password));
  RETURN_IF_ERROR(r.Finish());
  return password;
}

// SASLInitialResponse: mechanism String, Int32 length of the initial response (-1: none), data.
absl::StatusOr<SASLInitialResponse> ParseSASLInitialResponse(const PasswordMessage& m) {
  BodyReader r('p', m.data);
  SASLInitialResponse out;
  RETURN_IF_ERROR(r.ReadCString(&out.mechanism));
  RETURN_IF_ERROR(r.ReadNullableBytes(&out.data));
  RETURN_IF_ERROR(r.Finish());
  return out;
}

}  // namespace warden::pgwire
