// Masking throughput on one core (target: masking two columns of a 1M-row stream must keep
// >= 0.7x the unmasked throughput, so content masking must run at well over a few million
// values/s for values without trigger characters). Not run in CI: `masking_bench [N]`.
//
// Rules are those of deploy/policies/agents-guardrails.yaml; MaskText is measured with and
// without the custom RE2 pattern, since a pattern has no trigger pre-filter and runs on every
// value.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/masking/rule_set.h"

namespace {

namespace v1 = warden::v1;
using warden::masking::RuleSet;

v1::MaskingRule Rule(const char* name, v1::MaskStrategy strategy, const char* column,
                     std::vector<v1::Detector> detectors, const char* pattern = "") {
  v1::MaskingRule rule;
  rule.set_name(name);
  rule.set_strategy(strategy);
  if (*column != '\0') rule.add_columns(column);
  for (const v1::Detector d : detectors) rule.add_detectors(d);
  rule.set_pattern(pattern);
  if (strategy == v1::MASK_STRATEGY_PARTIAL) rule.set_keep_last(4);
  return rule;
}

RuleSet Guardrails(bool with_pattern) {
  auto set = RuleSet::Compile(
      {Rule("cards", v1::MASK_STRATEGY_PARTIAL, "*.card_number", {v1::DETECTOR_CREDIT_CARD}),
       Rule("ssn", v1::MASK_STRATEGY_REDACT, "*.ssn", {v1::DETECTOR_US_SSN}),
       Rule("emails", v1::MASK_STRATEGY_HASH, "", {v1::DETECTOR_EMAIL}),
       Rule("secrets", v1::MASK_STRATEGY_REDACT, "",
            {v1::DETECTOR_JWT, v1::DETECTOR_AWS_ACCESS_KEY, v1::DETECTOR_PRIVATE_KEY,
             v1::DETECTOR_PHONE, v1::DETECTOR_IBAN},
            with_pattern ? "(?i)sk_live_[a-z0-9]+" : "")},
      "bench-key-0123456789abcdef");
  if (!set.ok()) std::abort();
  return *std::move(set);
}

// Distinct values of one kind, so that nothing is cached between them.
std::vector<std::string> Values(const char* kind, int n) {
  static const char* kFirst[] = {"Alice", "Bob", "Chandra", "Dmitri", "Eve", "Fatima"};
  static const char* kLast[] = {"Smith", "Okafor", "Nguyen", "Garcia", "Kowalski", "Tanaka"};
  std::vector<std::string> out;
  out.reserve(n);
  char buf[256];
  for (int i = 0; i < n; ++i) {
    const std::string k = kind;
    if (k == "name") {
      std::snprintf(buf, sizeof buf, "%s %s", kFirst[i % 6], kLast[(i / 6) % 6]);
    } else if (k == "email") {
      std::snprintf(buf, sizeof buf, "%s.%s%d@example.com", kFirst[i % 6], kLast[(i / 6) % 6], i);
    } else if (k == "card") {
      std::snprintf(buf, sizeof buf, "4%015d", i);  // Luhn-valid one time in ten
    } else if (k == "integer") {
      std::snprintf(buf, sizeof buf, "%d", i * 7919);
    } else {  // ~100 bytes of free text with digits and punctuation but nothing sensitive
      std::snprintf(buf, sizeof buf,
                    "Order %d shipped on 2024-03-%02d via carrier #%d; customer asked about "
                    "v2.%d pricing.",
                    i, 1 + i % 28, i % 97, i % 10);
    }
    out.emplace_back(buf);
  }
  return out;
}

template <typename F>
double PerSecond(size_t n, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return static_cast<double>(n) / took.count();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  const RuleSet with_pattern = Guardrails(true);
  const RuleSet without_pattern = Guardrails(false);
  size_t sink = 0;
  std::printf("MaskText, values/s on one core (%d distinct values each)\n", n);
  std::printf("%-10s %14s %14s %10s\n", "values", "rules+RE2", "rules", "masked");
  for (const char* kind : {"name", "integer", "email", "card", "text100"}) {
    const std::vector<std::string> values = Values(kind, n);
    size_t masked = 0;
    const double a = PerSecond(values.size(), [&] {
      for (const std::string& v : values) masked += !with_pattern.MaskText(v).fired.empty();
    });
    const double b = PerSecond(values.size(), [&] {
      for (const std::string& v : values) sink += without_pattern.MaskText(v).text.size();
    });
    std::printf("%-10s %14.0f %14.0f %9zu%%\n", kind, a, b, masked * 100 / values.size());
  }
  const RuleSet::Rule& card = *with_pattern.ColumnRule("public", "customers", "card_number");
  const std::vector<std::string> cards = Values("card", n);
  std::string out;
  const double partial = PerSecond(cards.size(), [&] {
    for (const std::string& v : cards) {
      out.clear();
      sink += with_pattern.MaskValue(card, v, &out) ? out.size() : 0;
    }
  });
  const RuleSet::Rule& hash = with_pattern.rules()[2];
  const double hashed = PerSecond(cards.size(), [&] {
    for (const std::string& v : cards) {
      out.clear();
      sink += with_pattern.MaskValue(hash, v, &out) ? out.size() : 0;
    }
  });
  std::printf("MaskValue (column rule): partial %.0f values/s, hash %.0f values/s\n", partial,
              hashed);
  return sink == 0 ? 1 : 0;
}
