// A bounded, thread-safe LRU of statement analyses (statement_analysis.h: classification and
// column lineage from one parse) keyed by the statement text with its integer constants folded
// (constant_normalizer.h), so a repeated statement, even with other values (the common case for
// applications and pgbench), costs a hash lookup, not a parse; and the statement guard and the
// result masker, which both need a text's analysis, share one parse of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/sql/classify/classified_statement.h"
#include "common/sql/statement_analysis.h"

namespace warden::sql {

class ClassifierCache {
 public:
  struct Limits {
    size_t max_entries = 10000;
    // Approximate bytes held (texts counted twice: key and result names); bounds memory even
    // when every statement is large.
    size_t max_bytes = 64 << 20;
    // Longer texts are classified every time instead of displacing many small entries.
    size_t max_text_bytes = 64 << 10;
  };

  ClassifierCache() : ClassifierCache(Limits{}) {}
  explicit ClassifierCache(Limits limits) : limits_(limits) {}
  ClassifierCache(const ClassifierCache&) = delete;
  ClassifierCache& operator=(const ClassifierCache&) = delete;

  // The analysis of `sql` (AnalyzeStatement(sql)). Results are immutable and stay valid after
  // eviction.
  std::shared_ptr<const StatementAnalysis> Analysis(std::string_view sql);
  // Its classification (Classify(sql) without session prepared statements).
  std::shared_ptr<const ClassifiedBatch> Get(std::string_view sql);

  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const StatementAnalysis> analysis;
    size_t bytes;
  };
  using Lru = std::list<Entry>;  // most recent first; nodes never move, so keys can view them

  std::shared_ptr<const StatementAnalysis> Lookup(std::string_view sql);
  void Insert(std::string_view sql, std::shared_ptr<const StatementAnalysis> analysis);

  const Limits limits_;
  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> index_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace warden::sql
