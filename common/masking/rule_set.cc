#include "common/masking/rule_set.h"

#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/masking/detectors.h"

namespace warden::masking {
namespace {

using warden::v1::MaskingRule;
using warden::v1::MaskStrategy;

absl::Status RuleError(const MaskingRule& rule, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("masking rule \"", rule.name(), "\": ", problem));
}

// How much a strategy reveals, least first: overlapping spans take the highest.
int Strength(MaskStrategy s) {
  switch (s) {
    case warden::v1::MASK_STRATEGY_NULL:
      return 4;
    case warden::v1::MASK_STRATEGY_REDACT:
      return 3;
    case warden::v1::MASK_STRATEGY_HASH:
      return 2;
    default:
      return 1;
  }
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Non-empty matches of `re`, left to right. After an empty match the search resumes one whole
// UTF-8 character later, so the loop always advances.
void FindPatternSpans(const re2::RE2& re, std::string_view text, std::vector<Span>& out) {
  const re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  size_t pos = 0;
  while (pos <= text.size() && re.Match(input, pos, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
    const size_t begin = static_cast<size_t>(match.data() - text.data());
    const size_t end = begin + match.size();
    if (end > begin) {
      out.push_back(Span{begin, end});
      pos = end;
      continue;
    }
    pos = end + 1;
    while (pos < text.size() && IsContinuation(text[pos])) ++pos;
  }
}

absl::StatusOr<std::unique_ptr<re2::RE2>> CompilePattern(const MaskingRule& rule) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(rule.pattern(), options);
  if (!re->ok()) return RuleError(rule, absl::StrCat("invalid RE2 pattern: ", re->error()));
  return re;
}

absl::Status CheckRule(const MaskingRule& rule) {
  if (rule.strategy() == warden::v1::MASK_STRATEGY_UNSPECIFIED ||
      !warden::v1::MaskStrategy_IsValid(rule.strategy())) {
    return RuleError(rule, "no strategy");
  }
  for (const int d : rule.detectors()) {
    if (d == warden::v1::DETECTOR_UNSPECIFIED || !warden::v1::Detector_IsValid(d)) {
      return RuleError(rule, absl::StrCat("unknown detector ", d));
    }
  }
  if (rule.columns().empty() && rule.detectors().empty() && rule.pattern().empty()) {
    return RuleError(rule, "needs at least one of columns, detectors, pattern");
  }
  return absl::OkStatus();
}

}  // namespace

RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;
RuleSet::~RuleSet() = default;

absl::StatusOr<RuleSet> RuleSet::Compile(const std::vector<MaskingRule>& rules,
                                         std::string_view hash_key) {
  RuleSet set;
  for (const MaskingRule& rule : rules) {
    if (absl::Status s = CheckRule(rule); !s.ok()) return s;
    const size_t index = set.rules_.size();
    set.rules_.push_back(Rule{index, rule.name(), Strategy{rule.strategy(), rule.keep_last()}});
    std::vector<ColumnGlob>& globs = set.columns_.emplace_back();
    for (const std::string& pattern : rule.columns()) {
      absl::StatusOr<ColumnGlob> glob = ColumnGlob::Parse(pattern);
      if (!glob.ok()) return RuleError(rule, glob.status().message());
      globs.push_back(*std::move(glob));
    }
    for (const int d : rule.detectors()) {
      std::vector<size_t>& users = set.rules_by_detector_[d];
      if (users.empty()) set.detectors_.push_back(static_cast<warden::v1::Detector>(d));
      if (users.empty() || users.back() != index) users.push_back(index);
    }
    if (!rule.pattern().empty()) {
      absl::StatusOr<std::unique_ptr<re2::RE2>> re = CompilePattern(rule);
      if (!re.ok()) return re.status();
      set.patterns_.push_back(Pattern{index, *std::move(re)});
    }
    if (rule.strategy() == warden::v1::MASK_STRATEGY_HASH && !set.hasher_.has_value()) {
      absl::StatusOr<ValueHasher> hasher = ValueHasher::Create(hash_key);
      if (!hasher.ok()) return RuleError(rule, hasher.status().message());
      set.hasher_.emplace(*std::move(hasher));
    }
  }
  return set;
}

const RuleSet::Rule* RuleSet::ColumnRule(std::string_view schema, std::string_view table,
                                         std::string_view column) const {
  const std::string s = FoldIdentifier(schema);
  const std::string t = FoldIdentifier(table);
  const std::string c = FoldIdentifier(column);
  for (size_t i = 0; i < rules_.size(); ++i) {
    for (const ColumnGlob& glob : columns_[i]) {
      if (glob.Matches(s, t, c)) return &rules_[i];
    }
  }
  return nullptr;
}

bool RuleSet::MaskValue(const Rule& rule, std::string_view value, std::string* out) const {
  if (rule.strategy.kind == warden::v1::MASK_STRATEGY_NULL) return false;
  AppendMasked(rule.strategy, value, hasher_ ? &*hasher_ : nullptr, *out);
  return true;
}

void RuleSet::FindSpans(std::string_view value, std::vector<TaggedSpan>& spans) const {
  std::vector<Span> found;
  const auto tag = [&](size_t rule) {
    for (const Span& s : found) spans.push_back(TaggedSpan{s.begin, s.end, rule});
  };
  if (!detectors_.empty()) {
    const TextProfile profile(value);
    for (const warden::v1::Detector d : detectors_) {
      if (!profile.MayContain(d)) continue;
      found.clear();
      FindDetectorSpans(d, value, found);
      if (found.empty()) continue;
      for (const size_t rule : rules_by_detector_[d]) tag(rule);
    }
  }
  for (const Pattern& p : patterns_) {
    found.clear();
    FindPatternSpans(*p.re, value, found);
    tag(p.rule);
  }
}

// Replaces each group of overlapping spans by the output of its strongest strategy.
std::string RuleSet::Replace(std::string_view value, std::vector<TaggedSpan>& spans) const {
  std::sort(spans.begin(), spans.end(), [](const TaggedSpan& a, const TaggedSpan& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.rule < b.rule;
  });
  const ValueHasher* hasher = hasher_ ? &*hasher_ : nullptr;
  std::string out;
  out.reserve(value.size());
  size_t copied = 0;
  for (size_t i = 0; i < spans.size();) {
    const size_t begin = spans[i].begin;
    size_t end = spans[i].end;
    size_t chosen = spans[i].rule;
    for (++i; i < spans.size() && spans[i].begin < end; ++i) {
      end = std::max(end, spans[i].end);
      const int a = Strength(rules_[spans[i].rule].strategy.kind);
      const int b = Strength(rules_[chosen].strategy.kind);
      if (a > b || (a == b && spans[i].rule < chosen)) chosen = spans[i].rule;
    }
    out.append(value.substr(copied, begin - copied));
    AppendMasked(rules_[chosen].strategy, value.substr(begin, end - begin), hasher, out);
    copied = end;
  }
  out.append(value.substr(copied));
  return out;
}

RuleSet::TextResult RuleSet::MaskText(std::string_view value) const {
  TextResult result;
  std::vector<TaggedSpan> spans;
  FindSpans(value, spans);
  if (spans.empty()) return result;
  for (const TaggedSpan& s : spans) result.fired.push_back(s.rule);
  std::sort(result.fired.begin(), result.fired.end());
  result.fired.erase(std::unique(result.fired.begin(), result.fired.end()), result.fired.end());
  for (const size_t rule : result.fired) {
    if (rules_[rule].strategy.kind == warden::v1::MASK_STRATEGY_NULL) {
      result.outcome = TextResult::Outcome::kNull;
      return result;
    }
  }
  result.outcome = TextResult::Outcome::kMasked;
  result.text = Replace(value, spans);
  // What a strategy keeps can join its neighbours into something a detector finds again (a
  // card's last four digits followed by more digits can be a new Luhn-valid number): scan the
  // result again until nothing fires, so no value a rule fires on leaves. Each pass masks more;
  // a value still firing after a few is redacted whole.
  constexpr int kMaxPasses = 4;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    spans.clear();
    FindSpans(result.text, spans);
    if (spans.empty()) return result;
    for (const TaggedSpan& s : spans) {
      if (std::find(result.fired.begin(), result.fired.end(), s.rule) == result.fired.end()) {
        result.fired.push_back(s.rule);
      }
      if (rules_[s.rule].strategy.kind == warden::v1::MASK_STRATEGY_NULL) {
        std::sort(result.fired.begin(), result.fired.end());
        result.outcome = TextResult::Outcome::kNull;
        result.text.clear();
        return result;
      }
    }
    std::sort(result.fired.begin(), result.fired.end());
    result.text = Replace(result.text, spans);
  }
  spans.clear();
  FindSpans(result.text, spans);
  if (!spans.empty()) result.text = kRedactedText;
  return result;
}

}  // namespace warden::masking
