// COPY messages that both directions send with the same layout.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-COPY
#pragma once

#include <string>
#include <string_view>

namespace warden::pgwire {

// 'd': a chunk of the COPY data stream; boundaries carry no meaning.
struct CopyData {
  std::string_view data;
  bool operator==(const CopyData&) const = default;
};

// 'c': end of the COPY data stream.
struct CopyDone {
  bool operator==(const CopyDone&) const = default;
};

void Encode(const CopyData& m, std::string* out);
void Encode(const CopyDone& m, std::string* out);
std::string BuildCopyData(std::string_view data);
std::string BuildCopyDone();

}  // namespace warden::pgwire
