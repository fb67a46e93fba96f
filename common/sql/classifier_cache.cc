#include "common/sql/classifier_cache.h"

#include "common/sql/classify/classifier.h"
#include "common/sql/classify/constant_normalizer.h"

namespace warden::sql {
namespace {

size_t EstimateBytes(std::string_view text, const StatementAnalysis& a) {
  const ClassifiedBatch& b = a.classified;
  size_t n = 2 * text.size() + sizeof(StatementAnalysis) + b.parse_error.size() + 128;
  for (const ClassifiedStatement& s : b.statements) {
    n += sizeof(ClassifiedStatement) + s.command_tag.size();
    for (const auto* list :
         {&s.relations_read, &s.relations_written, &s.functions, &s.operators, &s.commands}) {
      for (const std::string& name : *list) n += sizeof(std::string) + name.size();
    }
  }
  // Lineage: each statement and output column, and the names they hold.
  for (const StatementLineage& s : a.lineage.statements) {
    n += sizeof(StatementLineage) + s.prepared.size();
    for (const OutputLineage& o : s.outputs) {
      n += sizeof(OutputLineage) + o.name.size();
      for (const SourceColumn& c : o.columns) {
        n += sizeof(SourceColumn) + c.schema.size() + c.table.size() + c.column.size();
      }
      n += (o.whole_rows.size() + o.star_over.size()) * (sizeof(SourceRelation) + 32);
    }
  }
  return n;
}

}  // namespace

std::shared_ptr<const ClassifiedBatch> ClassifierCache::Get(std::string_view sql) {
  std::shared_ptr<const StatementAnalysis> a = Analysis(sql);
  return std::shared_ptr<const ClassifiedBatch>(a, &a->classified);  // shares a's lifetime
}

std::shared_ptr<const StatementAnalysis> ClassifierCache::Analysis(std::string_view sql) {
  if (sql.size() > limits_.max_text_bytes) {
    return std::make_shared<const StatementAnalysis>(AnalyzeStatement(sql));
  }
  // Keys live in two spaces that cannot collide: "N" + the text with its constants folded
  // (constant_normalizer.h), or "E" + the exact text when it cannot be folded safely.
  // The key is built in a buffer of this thread's: a hit allocates nothing. A large text's
  // buffer is not kept.
  thread_local std::string key;
  if (key.capacity() > 64 * 1024) std::string().swap(key);
  key.assign("N");
  if (!AppendNormalizedConstants(sql, &key)) {
    key.assign("E");
    key.append(sql);
  }
  if (auto hit = Lookup(key)) return hit;
  // Analyse outside the lock: parsing is the slow part and must not serialise sessions. Two
  // sessions missing on the same text both parse it; the second insert is a no-op.
  auto analysis = std::make_shared<const StatementAnalysis>(AnalyzeStatement(sql));
  if (!analysis->classified.parsed && key[0] == 'N') {
    // A parse error quotes the text it stopped at: keep it for this exact text only.
    key = "E";
    key.append(sql);
  }
  Insert(key, analysis);
  return analysis;
}

std::shared_ptr<const StatementAnalysis> ClassifierCache::Lookup(std::string_view sql) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(sql);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->analysis;
}

void ClassifierCache::Insert(std::string_view sql,
                             std::shared_ptr<const StatementAnalysis> analysis) {
  const size_t bytes = EstimateBytes(sql, *analysis);
  if (bytes > limits_.max_bytes || limits_.max_entries == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.count(sql) != 0) return;
  lru_.push_front(Entry{std::string(sql), std::move(analysis), bytes});
  index_.emplace(std::string_view(lru_.front().text), lru_.begin());
  bytes_ += bytes;
  while (lru_.size() > limits_.max_entries || bytes_ > limits_.max_bytes) {
    const Entry& victim = lru_.back();
    bytes_ -= victim.bytes;
    index_.erase(std::string_view(victim.text));
    lru_.pop_back();
  }
}

size_t ClassifierCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

uint64_t ClassifierCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t ClassifierCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace warden::sql
