// The untagged first packet of a connection: StartupMessage, SSLRequest, GSSENCRequest or
// CancelRequest. https://www.postgresql.org/docs/15/protocol-message-formats.html and
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-START-UP
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/pgwire/decode_result.h"

namespace warden::pgwire {

// Request codes sent in place of a protocol version (1234 in the most significant 16 bits).
inline constexpr uint32_t kCancelRequestCode = 80877102;
inline constexpr uint32_t kSSLRequestCode = 80877103;
inline constexpr uint32_t kGSSENCRequestCode = 80877104;
inline constexpr uint32_t kProtocolVersion30 = 3u << 16;

// The single-byte answers the server gives to SSLRequest / GSSENCRequest.
inline constexpr char kEncryptionAccepted = 'S';
inline constexpr char kEncryptionRefused = 'N';

struct StartupParameter {
  std::string_view name;
  std::string_view value;
  bool operator==(const StartupParameter&) const = default;
};

struct StartupMessage {
  uint16_t major_version = 3;
  // Minor versions above 0 are accepted; the server answers them with NegotiateProtocolVersion.
  uint16_t minor_version = 0;
  std::vector<StartupParameter> parameters;

  // The value of the last parameter called `name` ("user", "database", "application_name", ...).
  std::optional<std::string_view> Get(std::string_view name) const;
  bool operator==(const StartupMessage&) const = default;
};

struct SSLRequest {
  bool operator==(const SSLRequest&) const = default;
};
struct GSSENCRequest {
  bool operator==(const GSSENCRequest&) const = default;
};
struct CancelRequest {
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const CancelRequest&) const = default;
};

using StartupPacket = std::variant<StartupMessage, SSLRequest, GSSENCRequest, CancelRequest>;

// Decodes the first packet. Lengths below 8 or above kMaxStartupPacket, unknown request codes and
// protocol major versions other than 3 are errors, reported as soon as the first 8 bytes arrive.
DecodeResult<StartupPacket> DecodeStartup(std::string_view bytes);

void Encode(const StartupMessage& m, std::string* out);
void Encode(const SSLRequest& m, std::string* out);
void Encode(const GSSENCRequest& m, std::string* out);
void Encode(const CancelRequest& m, std::string* out);
void EncodeStartup(const StartupPacket& m, std::string* out);

// Protocol 3.0 with the given parameters (e.g. {{"user", "alice"}, {"database", "demo"}}).
std::string BuildStartupMessage(const std::vector<StartupParameter>& parameters);
std::string BuildSSLRequest();
std::string BuildGSSENCRequest();
std::string BuildCancelRequest(int32_t process_id, int32_t secret_key);

}  // namespace warden::pgwire
