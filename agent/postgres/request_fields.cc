#include "agent/postgres/request_fields.h"

#include <optional>

#include "common/pgwire/reader.h"

namespace warden::agent {

bool ReadBindFields(std::string_view body, std::string_view* portal, std::string_view* statement,
                    std::vector<int16_t>* formats) {
  pgwire::BodyReader r('B', body);
  size_t n = 0;
  int16_t code = 0;
  if (!r.ReadCString(portal).ok() || !r.ReadCString(statement).ok()) return false;
  if (!r.ReadCount16("parameter formats", 2, &n).ok()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!r.ReadInt16(&code).ok()) return false;
  }
  if (!r.ReadCount16("parameters", 4, &n).ok()) return false;
  std::optional<std::string_view> value;
  for (size_t i = 0; i < n; ++i) {
    if (!r.ReadNullableBytes(&value).ok()) return false;
  }
  if (!r.ReadCount16("result formats", 2, &n).ok()) return false;
  formats->resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!r.ReadInt16(&(*formats)[i]).ok()) return false;
  }
  return r.Finish().ok();
}

bool ReadRequestFields(char tag, std::string_view body, RequestFields* f) {
  pgwire::BodyReader r(tag, body);
  size_t n = 0;
  uint32_t type = 0;
  int32_t max_rows = 0;
  uint8_t kind = 0;
  switch (tag) {
    case 'Q':
      if (!r.ReadCString(&f->text).ok()) return false;
      break;
    case 'P':
      if (!r.ReadCString(&f->name).ok() || !r.ReadCString(&f->text).ok()) return false;
      if (!r.ReadCount16("parameter type", 4, &n).ok()) return false;
      for (size_t i = 0; i < n; ++i) {
        if (!r.ReadUint32(&type).ok()) return false;
      }
      break;
    case 'D':
    case 'C':
      if (!r.ReadUint8(&kind).ok() || (kind != 'S' && kind != 'P')) return false;
      f->kind = static_cast<char>(kind);
      if (!r.ReadCString(&f->name).ok()) return false;
      break;
    case 'E':
      if (!r.ReadCString(&f->name).ok() || !r.ReadInt32(&max_rows).ok()) return false;
      break;
    default:
      return false;
  }
  return r.Finish().ok();
}

bool AllText(const std::vector<int16_t>& formats) {
  return formats.empty() || (formats.size() == 1 && formats[0] == 0);
}

}  // namespace warden::agent
