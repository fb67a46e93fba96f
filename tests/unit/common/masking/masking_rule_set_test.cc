// The compiled masking rule set: compilation errors, column rules, and content masking with
// several rules interacting.
#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/masking/detectors.h"
#include "common/masking/rule_set.h"
#include "common/masking/value_hasher.h"

using warden::masking::RuleSet;
using warden::masking::ValueHasher;
using warden::v1::MaskingRule;
using Outcome = RuleSet::TextResult::Outcome;

namespace {

constexpr const char* kKey = "test-key-0123456789abcdef";

// Omitted trailing fields are empty (default member initializers keep -Wextra quiet).
struct RuleSpec {
  std::string name;
  warden::v1::MaskStrategy strategy = warden::v1::MASK_STRATEGY_UNSPECIFIED;
  std::vector<std::string> columns = {};
  std::vector<warden::v1::Detector> detectors = {};
  std::string pattern = {};
  uint32_t keep_last = 0;
};

MaskingRule Rule(const RuleSpec& spec) {
  MaskingRule rule;
  rule.set_name(spec.name);
  rule.set_strategy(spec.strategy);
  for (const std::string& c : spec.columns) rule.add_columns(c);
  for (const auto d : spec.detectors) rule.add_detectors(d);
  rule.set_pattern(spec.pattern);
  rule.set_keep_last(spec.keep_last);
  return rule;
}

RuleSet Compile(std::initializer_list<RuleSpec> specs) {
  std::vector<MaskingRule> rules;
  for (const RuleSpec& s : specs) rules.push_back(Rule(s));
  absl::StatusOr<RuleSet> set = RuleSet::Compile(rules, kKey);
  INFO(set.status().ToString());
  REQUIRE(set.ok());
  return *std::move(set);
}

absl::Status CompileError(const RuleSpec& spec, std::string_view key = kKey) {
  return RuleSet::Compile({Rule(spec)}, key).status();
}

std::string Hash(std::string_view value) { return ValueHasher::Create(kKey)->Hash(value); }

const std::string* RuleName(const RuleSet& set, std::string_view schema, std::string_view table,
                            std::string_view column) {
  const RuleSet::Rule* rule = set.ColumnRule(schema, table, column);
  return rule == nullptr ? nullptr : &rule->name;
}

}  // namespace

TEST_CASE("rule set: compilation errors name the rule", "[masking][rules]") {
  using warden::v1::MASK_STRATEGY_HASH;
  using warden::v1::MASK_STRATEGY_REDACT;
  const absl::Status no_strategy =
      CompileError({"r1", warden::v1::MASK_STRATEGY_UNSPECIFIED, {"*.ssn"}});
  CHECK(no_strategy.code() == absl::StatusCode::kInvalidArgument);
  CHECK(no_strategy.message() == "masking rule \"r1\": no strategy");
  CHECK(CompileError({"r2", MASK_STRATEGY_REDACT, {}, {}, "("})
            .message()
            .find("masking rule \"r2\": invalid RE2 pattern") == 0);
  CHECK(CompileError({"r3", MASK_STRATEGY_REDACT, {"ssn"}}).message() ==
        "masking rule \"r3\": invalid column pattern \"ssn\" (expected table.column, "
        "schema.table.column or *.column)");
  CHECK(CompileError({"r4", MASK_STRATEGY_REDACT, {"a..b"}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CompileError({"r5", MASK_STRATEGY_REDACT, {"a.b.c.d"}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CompileError({"r6", MASK_STRATEGY_REDACT, {}, {warden::v1::DETECTOR_UNSPECIFIED}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CompileError({"r7", MASK_STRATEGY_REDACT}).message() ==
        "masking rule \"r7\": needs at least one of columns, detectors, pattern");
  // HASH needs a real key; other strategies need none.
  CHECK(CompileError({"r8", MASK_STRATEGY_HASH, {"*.email"}}, "short")
            .message()
            .find("masking rule \"r8\": masking hash key must be at least 16 bytes") == 0);
  CHECK(CompileError({"r9", MASK_STRATEGY_REDACT, {"*.email"}}, "").ok());
}

TEST_CASE("rule set: column globs", "[masking][rules]") {
  const RuleSet set = Compile({
      {"cards",
       warden::v1::MASK_STRATEGY_PARTIAL,
       {"*.card_number", "billing.payments.pan"},
       {},
       "",
       4},
      {"ssn", warden::v1::MASK_STRATEGY_REDACT, {"customers.ssn", "hr.emp*.tax_?d"}},
      {"all-ssn", warden::v1::MASK_STRATEGY_NULL, {"*.ssn"}},
  });
  CHECK(*RuleName(set, "public", "customers", "card_number") == "cards");
  CHECK(*RuleName(set, "sales", "orders", "card_number") == "cards");
  CHECK(*RuleName(set, "billing", "payments", "pan") == "cards");
  CHECK(RuleName(set, "public", "payments", "pan") == nullptr);
  // Case folds as PostgreSQL folds identifiers.
  CHECK(*RuleName(set, "Billing", "PAYMENTS", "Pan") == "cards");
  CHECK(*RuleName(set, "public", "Customers", "SSN") == "ssn");
  // table.column matches in every schema; the first matching rule wins.
  CHECK(*RuleName(set, "archive", "customers", "ssn") == "ssn");
  CHECK(*RuleName(set, "public", "employees", "ssn") == "all-ssn");
  CHECK(*RuleName(set, "hr", "employees", "tax_id") == "ssn");
  CHECK(RuleName(set, "hr", "employees", "tax_idx") == nullptr);
  CHECK(RuleName(set, "hr2", "employees", "tax_id") == nullptr);
  // Unknown schema matches any schema glob; no table matches only "*".
  CHECK(*RuleName(set, "", "payments", "pan") == "cards");
  CHECK(*RuleName(set, "", "", "ssn") == "all-ssn");
  CHECK(*RuleName(set, "", "", "card_number") == "cards");
  // '*' does not span the dot between parts.
  CHECK(RuleName(set, "public", "customers", "card") == nullptr);
  CHECK(set.ColumnRule("public", "customers", "card_number")->index == 0);
}

TEST_CASE("rule set: whole values by column rule", "[masking][rules]") {
  const RuleSet set = Compile({
      {"cards", warden::v1::MASK_STRATEGY_PARTIAL, {"*.card_number"}, {}, "", 4},
      {"emails", warden::v1::MASK_STRATEGY_HASH, {"*.email"}},
      {"ssn", warden::v1::MASK_STRATEGY_NULL, {"*.ssn"}},
      {"notes", warden::v1::MASK_STRATEGY_REDACT, {"*.notes"}},
  });
  const auto mask = [&](std::string_view column, std::string_view value) {
    std::string out = "kept:";
    const bool text = set.MaskValue(*set.ColumnRule("public", "customers", column), value, &out);
    CHECK(out.substr(0, 5) == "kept:");  // appended to
    return text ? std::optional<std::string>(out.substr(5)) : std::nullopt;
  };
  CHECK(mask("card_number", "4111 1111 1111 1111") == "***************1111");
  CHECK(mask("email", "alice@example.com") == Hash("alice@example.com"));
  CHECK(mask("ssn", "123-45-6789") == std::nullopt);
  CHECK(mask("notes", "anything at all") == "****");
  // Column-only rules detect nothing in free text.
  CHECK_FALSE(set.has_content_rules());
  CHECK(set.MaskText("card 4111111111111111").outcome == Outcome::kUnchanged);
}

TEST_CASE("rule set: content masking by detector", "[masking][rules]") {
  const RuleSet set = Compile({
      {"cards",
       warden::v1::MASK_STRATEGY_PARTIAL,
       {"*.card_number"},
       {warden::v1::DETECTOR_CREDIT_CARD},
       "",
       4},
      {"emails", warden::v1::MASK_STRATEGY_HASH, {}, {warden::v1::DETECTOR_EMAIL}},
      {"secrets",
       warden::v1::MASK_STRATEGY_REDACT,
       {},
       {warden::v1::DETECTOR_AWS_ACCESS_KEY, warden::v1::DETECTOR_US_SSN},
       "(?i)sk_live_[a-z0-9]+"},
  });
  REQUIRE(set.has_content_rules());
  // Detector-only rules have no column globs.
  CHECK(set.ColumnRule("public", "customers", "email") == nullptr);

  RuleSet::TextResult r = set.MaskText("Alice Smith");
  CHECK(r.outcome == Outcome::kUnchanged);
  CHECK(r.text.empty());
  CHECK(r.fired.empty());

  r = set.MaskText("paid with 4111 1111 1111 1111, receipt to bob@example.com");
  CHECK(r.outcome == Outcome::kMasked);
  CHECK(r.text == "paid with ***************1111, receipt to " + Hash("bob@example.com"));
  CHECK(r.fired == std::vector<size_t>{0, 1});

  r = set.MaskText(
      "AKIAIOSFODNN7EXAMPLE / SK_LIVE_abc123 / ssn 123-45-6789 / order 1234567890123456");
  CHECK(r.text == "**** / **** / ssn **** / order 1234567890123456");
  CHECK(r.fired == std::vector<size_t>{2});

  // Equal values hash equally wherever they appear, so grouping on masked text still works.
  CHECK(set.MaskText("to: bob@example.com").text == "to: " + Hash("bob@example.com"));
}

TEST_CASE("rule set: overlapping spans take the strongest strategy", "[masking][rules]") {
  const RuleSet set = Compile({
      {"cards", warden::v1::MASK_STRATEGY_PARTIAL, {}, {warden::v1::DETECTOR_CREDIT_CARD}, "", 4},
      {"tokens", warden::v1::MASK_STRATEGY_REDACT, {}, {}, "tok-[0-9 ]+"},
      {"emails", warden::v1::MASK_STRATEGY_HASH, {}, {warden::v1::DETECTOR_EMAIL}},
  });
  // The card lies inside a REDACT pattern match: the union is redacted, no digit survives.
  RuleSet::TextResult r = set.MaskText("tok-4111 1111 1111 1111 end");
  CHECK(r.text == "****end");
  CHECK(r.fired == std::vector<size_t>{0, 1});
  // A card as an email's local part: HASH beats PARTIAL over the union.
  r = set.MaskText("4111111111111111@example.com");
  CHECK(r.text == Hash("4111111111111111@example.com"));
  CHECK(r.fired == std::vector<size_t>{0, 2});
  // Adjacent, not overlapping: each span keeps its own strategy.
  r = set.MaskText("4111111111111111,a@b.io");
  CHECK(r.text == "************1111," + Hash("a@b.io"));
}

TEST_CASE("rule set: a NULL rule that fires nulls the whole value", "[masking][rules]") {
  const RuleSet set = Compile({
      {"emails", warden::v1::MASK_STRATEGY_HASH, {}, {warden::v1::DETECTOR_EMAIL}},
      {"keys", warden::v1::MASK_STRATEGY_NULL, {}, {warden::v1::DETECTOR_PRIVATE_KEY}},
  });
  RuleSet::TextResult r =
      set.MaskText("a@b.io -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----");
  CHECK(r.outcome == Outcome::kNull);
  CHECK(r.text.empty());
  CHECK(r.fired == std::vector<size_t>{0, 1});
  CHECK(set.MaskText("a@b.io").outcome == Outcome::kMasked);
}

TEST_CASE("rule set: one detector shared by several rules", "[masking][rules]") {
  const RuleSet set = Compile({
      {"cards-a", warden::v1::MASK_STRATEGY_PARTIAL, {}, {warden::v1::DETECTOR_CREDIT_CARD}, "", 4},
      {"cards-b", warden::v1::MASK_STRATEGY_PARTIAL, {}, {warden::v1::DETECTOR_CREDIT_CARD}, "", 2},
  });
  // Equal strength: the earlier rule decides; both fired.
  const RuleSet::TextResult r = set.MaskText("4111111111111111");
  CHECK(r.text == "************1111");
  CHECK(r.fired == std::vector<size_t>{0, 1});
}

TEST_CASE("rule set: custom patterns", "[masking][rules]") {
  const RuleSet set = Compile({
      {"emp", warden::v1::MASK_STRATEGY_PARTIAL, {}, {}, "EMP-[0-9]{6}", 3},
      {"maybe-empty", warden::v1::MASK_STRATEGY_REDACT, {}, {}, "x*"},
  });
  RuleSet::TextResult r = set.MaskText("EMP-123456 and EMP-654321; EMP-12");
  CHECK(r.text == "*******456 and *******321; EMP-12");
  CHECK(r.fired == std::vector<size_t>{0});
  // Empty matches find nothing and the scan still advances past multi-byte characters.
  r = set.MaskText("\xC3\xA9t\xC3\xA9 xx \xE2\x82\xAC");
  CHECK(r.text == "\xC3\xA9t\xC3\xA9 **** \xE2\x82\xAC");
  CHECK(set.MaskText("\xC3\xA9t\xC3\xA9").outcome == Outcome::kUnchanged);
}

TEST_CASE("rule set: what a strategy keeps never forms a new finding with its neighbours",
          "[masking][rules]") {
  const RuleSet set = Compile({{"cards",
                                warden::v1::MASK_STRATEGY_PARTIAL,
                                {},
                                {warden::v1::DETECTOR_CREDIT_CARD},
                                "",
                                4}});
  // The last four digits kept, followed by twelve more, are a Luhn-valid number of their own.
  const RuleSet::TextResult r = set.MaskText("4242 4242 4242 4242 0000 0000 0000");
  REQUIRE(r.outcome == RuleSet::TextResult::Outcome::kMasked);
  std::vector<warden::masking::Span> spans;
  warden::masking::FindDetectorSpans(warden::v1::DETECTOR_CREDIT_CARD, r.text, spans);
  CHECK(spans.empty());
  CHECK(r.text.find("4242 0000 0000 0000") == std::string::npos);
}
