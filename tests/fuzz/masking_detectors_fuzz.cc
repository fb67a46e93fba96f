// libFuzzer target: arbitrary bytes through every content detector and RuleSet::MaskText, the way
// the agent masks each text value of a result. Nothing may crash or hang, and:
//  - spans lie inside the value, in order, without overlaps, and the pre-filter never rules out
//    a detector that finds something;
//  - a span is found again, whole, when its text is scanned on its own (span boundaries do not
//    depend on chance context);
//  - the masked value never contains the raw text of a span, unless that text also occurs in
//    the value at a place no span covers; a NULL rule that fires nulls the value;
//  - valid UTF-8 stays valid UTF-8 through MaskText and PARTIAL.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/masking/detectors.h"
#include "common/masking/rule_set.h"
#include "common/masking/strategies.h"

namespace mk = warden::masking;
namespace v1 = warden::v1;

namespace {

constexpr v1::Detector kDetectors[] = {v1::DETECTOR_CREDIT_CARD,    v1::DETECTOR_EMAIL,
                                       v1::DETECTOR_US_SSN,         v1::DETECTOR_PHONE,
                                       v1::DETECTOR_IBAN,           v1::DETECTOR_JWT,
                                       v1::DETECTOR_AWS_ACCESS_KEY, v1::DETECTOR_PRIVATE_KEY};

v1::MaskingRule Rule(const char* name, v1::MaskStrategy strategy,
                     std::vector<v1::Detector> detectors, const char* pattern = "") {
  v1::MaskingRule rule;
  rule.set_name(name);
  rule.set_strategy(strategy);
  for (const v1::Detector d : detectors) rule.add_detectors(d);
  rule.set_pattern(pattern);
  if (strategy == v1::MASK_STRATEGY_PARTIAL) rule.set_keep_last(4);
  rule.add_columns("*.c*");
  return rule;
}

// Every detector and strategy, as a policy would combine them; private keys null the value.
mk::RuleSet Compile(v1::MaskStrategy email_strategy) {
  auto set = mk::RuleSet::Compile(
      {Rule("cards", v1::MASK_STRATEGY_PARTIAL, {v1::DETECTOR_CREDIT_CARD}),
       Rule("emails", email_strategy, {v1::DETECTOR_EMAIL}),
       Rule("ids", v1::MASK_STRATEGY_REDACT,
            {v1::DETECTOR_US_SSN, v1::DETECTOR_PHONE, v1::DETECTOR_IBAN}),
       Rule("secrets", v1::MASK_STRATEGY_REDACT, {v1::DETECTOR_JWT, v1::DETECTOR_AWS_ACCESS_KEY},
            "sk_live_[a-z0-9]+"),
       Rule("keys", v1::MASK_STRATEGY_NULL, {v1::DETECTOR_PRIVATE_KEY})},
      "fuzz-key-0123456789abcdef");
  if (!set.ok()) std::abort();
  return *std::move(set);
}

// With HASH, a digest's hex digits next to unmasked text can spell a detected value by chance
// ("...a0b" + "@example.com"), so the no-raw-span check runs on a variant whose replacements
// all start with '*', a byte no span contains. (PARTIAL stays on cards only: the four ASCII
// characters a card keeps are shorter than any span; an email's last four characters, counted
// over invalid UTF-8, can be a whole shorter email.)
const mk::RuleSet& Rules(bool with_hash) {
  static const mk::RuleSet hashed = Compile(v1::MASK_STRATEGY_HASH);
  static const mk::RuleSet starred = Compile(v1::MASK_STRATEGY_REDACT);
  return with_hash ? hashed : starred;
}

// Structural UTF-8 check (lead byte, then the continuation bytes it announces): enough to see
// that masking never cuts a sequence.
bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    size_t n = 0;
    if (c >= 0x80) {
      if ((c & 0xE0) == 0xC0) {
        n = 1;
      } else if ((c & 0xF0) == 0xE0) {
        n = 2;
      } else if ((c & 0xF8) == 0xF0) {
        n = 3;
      } else {
        return false;
      }
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

// Spans are in bounds, ordered, disjoint, re-found whole on their own.
void CheckSpans(v1::Detector d, std::string_view text, const std::vector<mk::Span>& spans) {
  size_t prev_end = 0;
  for (const mk::Span& s : spans) {
    if (s.begin >= s.end || s.end > text.size() || s.begin < prev_end) std::abort();
    prev_end = s.end;
    const std::string_view alone = text.substr(s.begin, s.end - s.begin);
    std::vector<mk::Span> again;
    mk::FindDetectorSpans(d, alone, again);
    if (again.size() != 1 || again[0] != mk::Span{0, alone.size()}) std::abort();
  }
  if (!spans.empty() && !mk::TextProfile(text).MayContain(d)) std::abort();
}

bool Covered(const std::vector<mk::Span>& all, size_t begin, size_t end) {
  for (const mk::Span& s : all) {
    if (s.begin <= begin && end <= s.end) return true;
  }
  return false;
}

// No raw span text survives masking where every occurrence of it in the input was masked.
void CheckMasked(std::string_view text, const std::vector<mk::Span>& all,
                 const std::string& masked) {
  for (const mk::Span& s : all) {
    const std::string_view raw = text.substr(s.begin, s.end - s.begin);
    bool all_covered = true;
    for (size_t at = text.find(raw); at != std::string_view::npos && all_covered;
         at = text.find(raw, at + 1)) {
      all_covered = Covered(all, at, at + raw.size());
    }
    if (all_covered && masked.find(raw) != std::string::npos) std::abort();
  }
}

// PARTIAL: '*'s, then a suffix of the value of at most `keep` characters; never the whole value;
// valid UTF-8 in, valid UTF-8 out.
void CheckPartial(std::string_view text, const std::string& partial, size_t keep) {
  const size_t stars = std::min(partial.find_first_not_of('*'), partial.size());
  const std::string_view tail = std::string_view(partial).substr(stars);
  if (!text.ends_with(tail) || (!text.empty() && tail.size() >= text.size())) std::abort();
  size_t chars = 0;
  for (const char c : tail) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > keep) std::abort();
  if (IsValidUtf8(text) && !IsValidUtf8(partial)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<mk::Span> all;
  bool has_private_key = false;
  for (const v1::Detector d : kDetectors) {
    std::vector<mk::Span> spans;
    mk::FindDetectorSpans(d, text, spans);
    CheckSpans(d, text, spans);
    if (d == v1::DETECTOR_PRIVATE_KEY) has_private_key = !spans.empty();
    all.insert(all.end(), spans.begin(), spans.end());
  }

  using Outcome = mk::RuleSet::TextResult::Outcome;
  for (const bool with_hash : {true, false}) {
    const mk::RuleSet::TextResult r = Rules(with_hash).MaskText(text);
    if ((r.outcome == Outcome::kNull) != has_private_key) std::abort();
    if (!all.empty() && r.outcome == Outcome::kUnchanged) std::abort();
    if ((r.outcome == Outcome::kUnchanged) != r.fired.empty()) std::abort();
    if (r.outcome != Outcome::kMasked) continue;
    if (!with_hash) CheckMasked(text, all, r.text);
    if (IsValidUtf8(text) && !IsValidUtf8(r.text)) std::abort();
  }

  CheckPartial(text, mk::MaskAllButLast(text, 4), 4);
  (void)Rules(true).ColumnRule(text, text, text);
  return 0;
}
