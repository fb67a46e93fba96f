#include "common/pgwire/writer.h"

namespace warden::pgwire {

void MessageWriter::Begin(char tag) {
  out_->push_back(tag);
  BeginUntagged();
}

void MessageWriter::BeginUntagged() {
  length_at_ = out_->size();
  out_->append(4, '\0');
}

void MessageWriter::AddInt16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  out_->push_back(static_cast<char>(u >> 8));
  out_->push_back(static_cast<char>(u & 0xff));
}

void MessageWriter::AddUint32(uint32_t v) {
  out_->push_back(static_cast<char>(v >> 24));
  out_->push_back(static_cast<char>((v >> 16) & 0xff));
  out_->push_back(static_cast<char>((v >> 8) & 0xff));
  out_->push_back(static_cast<char>(v & 0xff));
}

void MessageWriter::AddCString(std::string_view v) {
  const size_t nul = v.find('\0');
  if (nul != std::string_view::npos) v = v.substr(0, nul);
  AddBytes(v);
  out_->push_back('\0');
}

void MessageWriter::AddNullableBytes(const std::optional<std::string_view>& v) {
  if (!v.has_value()) {
    AddInt32(-1);
    return;
  }
  AddInt32(static_cast<int32_t>(v->size()));
  AddBytes(*v);
}

void MessageWriter::End() {
  const auto length = static_cast<uint32_t>(out_->size() - length_at_);
  char* p = out_->data() + length_at_;
  p[0] = static_cast<char>(length >> 24);
  p[1] = static_cast<char>((length >> 16) & 0xff);
  p[2] = static_cast<char>((length >> 8) & 0xff);
  p[3] = static_cast<char>(length & 0xff);
}

void EncodeEmpty(char tag, std::string* out) {
  MessageWriter w(out);
  w.Begin(tag);
  w.End();
}

void EncodeOneString(char tag, std::string_view s, std::string* out) {
  MessageWriter w(out);
  w.Begin(tag);
  w.AddCString(s);
  w.End();
}

}  // namespace warden::pgwire
