#include "common/masking/strategies.h"

#include <cstddef>

namespace warden::masking {
namespace {

// UTF-8 continuation bytes are 10xxxxxx (RFC 3629 section 3); every other byte starts a
// character.
bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Characters in `s`; a range that starts with stray continuation bytes counts them as one.
size_t CountChars(std::string_view s) {
  size_t n = !s.empty() && IsContinuation(s.front()) ? 1 : 0;
  for (const char c : s) n += IsContinuation(c) ? 0 : 1;
  return n;
}

void AppendAllButLast(std::string_view value, uint32_t keep_last, std::string& out) {
  // Walk back over `keep_last` character starts; the kept tail begins at the last one found.
  size_t cut = value.size();
  uint32_t kept = 0;
  while (kept < keep_last && cut > 0) {
    --cut;
    if (!IsContinuation(value[cut])) ++kept;
  }
  if (kept < keep_last || cut == 0) cut = value.size();  // too short: mask everything
  out.append(CountChars(value.substr(0, cut)), '*');
  out.append(value.substr(cut));
}

}  // namespace

std::string MaskAllButLast(std::string_view value, uint32_t keep_last) {
  std::string out;
  AppendAllButLast(value, keep_last, out);
  return out;
}

void AppendMasked(const Strategy& strategy, std::string_view value, const ValueHasher* hasher,
                  std::string& out) {
  switch (strategy.kind) {
    case warden::v1::MASK_STRATEGY_PARTIAL:
      return AppendAllButLast(value, strategy.keep_last, out);
    case warden::v1::MASK_STRATEGY_HASH:
      if (hasher != nullptr) {
        out.append(hasher->Hash(value));
        return;
      }
      break;
    default:
      break;
  }
  out.append(kRedactedText);
}

std::optional<std::string> ApplyStrategy(const Strategy& strategy, std::string_view value,
                                         const ValueHasher* hasher) {
  if (strategy.kind == warden::v1::MASK_STRATEGY_NULL) return std::nullopt;
  std::string out;
  AppendMasked(strategy, value, hasher, out);
  return out;
}

}  // namespace warden::masking
