// Appends protocol messages to a std::string: tag, a length placeholder, fields, then End()
// patches the length. Integers are written big-endian.
// https://www.postgresql.org/docs/15/protocol-message-types.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warden::pgwire {

class MessageWriter {
 public:
  explicit MessageWriter(std::string* out) : out_(out) {}

  // Starts a tagged message.
  void Begin(char tag);
  // Starts an untagged startup-phase packet (StartupMessage, SSLRequest, CancelRequest, ...).
  void BeginUntagged();
  void AddUint8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void AddInt16(int16_t v);
  void AddInt32(int32_t v) { AddUint32(static_cast<uint32_t>(v)); }
  void AddUint32(uint32_t v);
  void AddBytes(std::string_view v) { out_->append(v.data(), v.size()); }
  // A String field. Bytes from the first embedded NUL on are dropped: the protocol cannot carry
  // them, and writing them would make the message mean something else.
  void AddCString(std::string_view v);
  // Int32 length then the bytes; nullopt is written as length -1 (SQL NULL).
  void AddNullableBytes(const std::optional<std::string_view>& v);
  // Patches the length of the message begun last.
  void End();

 private:
  std::string* out_;
  size_t length_at_ = 0;
};

// Shared by the builder files: a message with no body (tag and length only), and one whose body
// is a single C string.
void EncodeEmpty(char tag, std::string* out);
void EncodeOneString(char tag, std::string_view s, std::string* out);

// Any message type with an Encode overload (found by argument-dependent lookup), as a string.
template <typename M>
std::string BuildMessage(const M& m) {
  std::string out;
  Encode(m, &out);
  return out;
}

}  // namespace warden::pgwire
