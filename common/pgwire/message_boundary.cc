#include "common/pgwire/message_boundary.h"

#include <algorithm>

#include "common/pgwire/framing.h"

namespace warden::pgwire {

void WholeMessageCutter::Cut(std::string* bytes) {
  if (!kept_.empty()) {
    kept_.append(*bytes);
    bytes->swap(kept_);
    kept_.clear();
  }
  size_t pos = std::min(streaming_left_, bytes->size());
  streaming_left_ -= pos;
  while (pos < bytes->size()) {
    const size_t have = bytes->size() - pos;
    if (have < kHeaderSize) {
      kept_.assign(*bytes, pos, have);
      bytes->resize(pos);
      return;
    }
    const uint32_t length = LoadBigEndian32(bytes->data() + pos + 1);
    const size_t size = 1 + size_t{std::max<uint32_t>(length, 4)};  // a bad length: the client's
    if (have >= size) {
      pos += size;
      continue;
    }
    if (size <= max_kept_) {
      kept_.assign(*bytes, pos, have);
      bytes->resize(pos);
      return;
    }
    streaming_left_ = size - have;
    return;
  }
}

}  // namespace warden::pgwire
