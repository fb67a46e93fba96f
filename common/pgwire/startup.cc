#include "common/pgwire/startup.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/pgwire/framing.h"
#include "common/pgwire/reader.h"
#include "common/pgwire/writer.h"

namespace warden::pgwire {
namespace {

absl::Status StartupError(std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("startup packet ", absl::string_view(problem.data(), problem.size())));
}

// Checks the length against what the request code allows. Runs once the first 8 bytes are in, so
// a bad packet is rejected before its body arrives.
absl::Status CheckCodeAndLength(uint32_t code, uint32_t length) {
  auto require = [&](uint32_t want, std::string_view name) -> absl::Status {
    if (length == want) return absl::OkStatus();
    return StartupError(absl::StrCat(absl::string_view(name.data(), name.size()), " length ",
                                     length, " must be ", want));
  };
  if (code == kCancelRequestCode) return require(16, "CancelRequest");
  if (code == kSSLRequestCode) return require(8, "SSLRequest");
  if (code == kGSSENCRequestCode) return require(8, "GSSENCRequest");
  const uint32_t major = code >> 16, minor = code & 0xffff;
  if (major == 1234) return StartupError(absl::StrCat("has unknown request code 1234.", minor));
  if (major != 3) {
    return StartupError(absl::StrCat("requests unsupported protocol version ", major, ".", minor,
                                     "; the server supports 3.0"));
  }
  return absl::OkStatus();
}

// StartupMessage body after the version: name/value String pairs ended by a single NUL.
absl::StatusOr<StartupMessage> ParseStartupMessage(uint32_t version, std::string_view body) {
  StartupMessage m;
  m.major_version = static_cast<uint16_t>(version >> 16);
  m.minor_version = static_cast<uint16_t>(version & 0xffff);
  BodyReader r('\0', body);
  for (;;) {
    StartupParameter p;
    if (absl::Status s = r.ReadCString(&p.name); !s.ok()) return s;
    if (p.name.empty()) break;
    if (absl::Status s = r.ReadCString(&p.value); !s.ok()) return s;
    m.parameters.push_back(p);
  }
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return m;
}

}  // namespace

std::optional<std::string_view> StartupMessage::Get(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const StartupParameter& p : parameters) {
    if (p.name == name) found = p.value;
  }
  return found;
}

DecodeResult<StartupPacket> DecodeStartup(std::string_view bytes) {
  if (bytes.size() < 4) return NeedMore{};
  const uint32_t length = LoadBigEndian32(bytes.data());
  if (length < 8) return StartupError(absl::StrCat("length ", length, " is below the minimum 8"));
  if (length > kMaxStartupPacket) {
    return StartupError(
        absl::StrCat("length ", length, " exceeds the maximum ", kMaxStartupPacket));
  }
  if (bytes.size() < 8) return NeedMore{};
  const uint32_t code = LoadBigEndian32(bytes.data() + 4);
  if (absl::Status s = CheckCodeAndLength(code, length); !s.ok()) return s;
  if (bytes.size() < length) return NeedMore{};
  const std::string_view body = bytes.substr(8, length - 8);
  switch (code) {
    case kSSLRequestCode:
      return DecodeResult<StartupPacket>(SSLRequest{}, length);
    case kGSSENCRequestCode:
      return DecodeResult<StartupPacket>(GSSENCRequest{}, length);
    case kCancelRequestCode: {
      CancelRequest c;
      c.process_id = static_cast<int32_t>(LoadBigEndian32(body.data()));
      c.secret_key = static_cast<int32_t>(LoadBigEndian32(body.data() + 4));
      return DecodeResult<StartupPacket>(c, length);
    }
    default:
      break;
  }
  absl::StatusOr<StartupMessage> m = ParseStartupMessage(code, body);
  if (!m.ok()) return m.status();
  return DecodeResult<StartupPacket>(std::move(*m), length);
}

void Encode(const StartupMessage& m, std::string* out) {
  MessageWriter w(out);
  w.BeginUntagged();
  w.AddUint32((static_cast<uint32_t>(m.major_version) << 16) | m.minor_version);
  for (const StartupParameter& p : m.parameters) {
    w.AddCString(p.name);
    w.AddCString(p.value);
  }
  w.AddUint8(0);
  w.End();
}

static void EncodeRequestCode(uint32_t code, std::string* out) {
  MessageWriter w(out);
  w.BeginUntagged();
  w.AddUint32(code);
  w.End();
}

void Encode(const SSLRequest&, std::string* out) { EncodeRequestCode(kSSLRequestCode, out); }
void Encode(const GSSENCRequest&, std::string* out) { EncodeRequestCode(kGSSENCRequestCode, out); }

void Encode(const CancelRequest& m, std::string* out) {
  MessageWriter w(out);
  w.BeginUntagged();
  w.AddUint32(kCancelRequestCode);
  w.AddInt32(m.process_id);
  w.AddInt32(m.secret_key);
  w.End();
}

void EncodeStartup(const StartupPacket& m, std::string* out) {
  std::visit([out](const auto& v) { Encode(v, out); }, m);
}

std::string BuildStartupMessage(const std::vector<StartupParameter>& parameters) {
  std::string out;
  Encode(StartupMessage{3, 0, parameters}, &out);
  return out;
}

std::string BuildSSLRequest() {
  std::string out;
  Encode(SSLRequest{}, &out);
  return out;
}

std::string BuildGSSENCRequest() {
  std::string out;
  Encode(GSSENCRequest{}, &out);
  return out;
}

std::string BuildCancelRequest(int32_t process_id, int32_t secret_key) {
  std::string out;
  Encode(CancelRequest{process_id, secret_key}, &out);
  return out;
}

}  // namespace warden::pgwire
