// The masking rules a session enforces, compiled once per policy snapshot and then only read
// (thread-safe; share it as std::shared_ptr<const RuleSet> beside the policy snapshot).
//
// A rule masks in two independent ways, as its fields say:
//  - by column: ColumnRule() names the first rule, in rule order, one of whose column globs
//    (column_glob.h) matches a result column; the caller masks that column's every value with
//    MaskValue();
//  - by content: MaskText() runs the detectors and custom patterns of every rule on one text
//    value and replaces each span found with its rule's strategy output. The caller runs it on
//    every text value, masked column or not, as the second line of defence.
//
// Overlapping spans from different rules are replaced once, as one span, by the strongest of
// their strategies (NULL > REDACT > HASH > PARTIAL: the one revealing least), the earliest rule
// deciding between equals. A NULL rule that finds anything in a value nulls the whole value:
// SQL has no NULL inside a string, and keeping the rest of the text would keep whatever the
// policy author chose NULL to hide.
//
// Custom patterns are RE2 (linear time on hostile data); an empty match finds nothing.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/masking/column_glob.h"
#include "common/masking/strategies.h"
#include "common/masking/value_hasher.h"
#include "warden/v1/policy.pb.h"

namespace re2 {
class RE2;
}

namespace warden::masking {

class RuleSet {
 public:
  struct Rule {
    size_t index = 0;  // position in rules(): a stable key for per-rule counters
    std::string name;
    Strategy strategy;
  };

  // What MaskText did to one value.
  struct TextResult {
    enum class Outcome { kUnchanged, kMasked, kNull };
    Outcome outcome = Outcome::kUnchanged;
    std::string text;           // the masked value when outcome == kMasked
    std::vector<size_t> fired;  // indices of the rules that found something, ascending
  };

  // Compiles `rules` in order (earlier rules win). `hash_key` keys the HASH strategy
  // (value_hasher.h); it is required, at least ValueHasher::kMinKeySize bytes, only when some
  // rule uses HASH. InvalidArgument, naming the rule, for a rule without a strategy, with an
  // unknown detector, a pattern RE2 rejects, a malformed column glob, or nothing to match on.
  [[nodiscard]] static absl::StatusOr<RuleSet> Compile(
      const std::vector<warden::v1::MaskingRule>& rules, std::string_view hash_key);

  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;
  ~RuleSet();

  const std::vector<Rule>& rules() const { return rules_; }
  bool has_content_rules() const { return !detectors_.empty() || !patterns_.empty(); }
  // The first rule that names columns, if any (in rule order).
  std::optional<size_t> first_column_rule() const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!columns_[i].empty()) return i;
    }
    return std::nullopt;
  }
  bool has_column_rules() const { return first_column_rule().has_value(); }

  // The first rule whose column globs match, or nullptr. Names are folded to lower case here;
  // an empty schema or table means unknown / none (column_glob.h).
  const Rule* ColumnRule(std::string_view schema, std::string_view table,
                         std::string_view column) const;

  // Appends `value` masked whole by `rule`'s strategy to *out; false (nothing appended) means
  // SQL NULL.
  bool MaskValue(const Rule& rule, std::string_view value, std::string* out) const;

  // Runs every detector and pattern on `value`. Allocates nothing when nothing is found.
  TextResult MaskText(std::string_view value) const;

 private:
  struct TaggedSpan {
    size_t begin;
    size_t end;
    size_t rule;
  };

  RuleSet() = default;

  void FindSpans(std::string_view value, std::vector<TaggedSpan>& spans) const;
  std::string Replace(std::string_view value, std::vector<TaggedSpan>& spans) const;

  std::vector<Rule> rules_;
  std::vector<std::vector<ColumnGlob>> columns_;  // per rule
  // The distinct detectors in use, and for each detector the rules that use it.
  std::vector<warden::v1::Detector> detectors_;
  std::array<std::vector<size_t>, warden::v1::Detector_ARRAYSIZE> rules_by_detector_;
  struct Pattern {
    size_t rule;
    std::unique_ptr<re2::RE2> re;
  };
  std::vector<Pattern> patterns_;
  std::optional<ValueHasher> hasher_;
};

}  // namespace warden::masking
