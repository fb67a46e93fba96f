#include "common/pgwire/copy_messages.h"

#include "common/pgwire/writer.h"

// https://www.postgresql.org/docs/15/protocol-message-formats.html (CopyData, CopyDone)
namespace warden::pgwire {

void Encode(const CopyData& m, std::string* out) {
  MessageWriter w(out);
  w.Begin('d');
  w.AddBytes(m.data);
  w.End();
}

void Encode(const CopyDone&, std::string* out) {
  MessageWriter w(out);
  w.Begin('c');
  w.End();
}

std::string BuildCopyData(std::string_view data) {
  std::string out;
  Encode(CopyData{data}, &out);
  return out;
}

std::string BuildCopyDone() {
  std::string out;
  Encode(CopyDone{}, &out);
  return out;
}

}  // namespace warden::pgwire
