#include "common/sql/classify/column_refs.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace warden::sql {

namespace {

// The relations `qualifier` may stand for: those it is an alias of, else the relation it
// names ("orders" for public.orders too); empty when it names none.
std::vector<std::string> Qualified(const TreeFacts& facts, const std::vector<std::string>& rels,
                                   const std::string& qualifier) {
  std::vector<std::string> out;
  for (const TreeFacts::ColumnMention& a : facts.aliases) {
    if (a.qualifier == qualifier) out.push_back(a.column);
  }
  if (!out.empty()) return out;
  for (const std::string& r : rels) {
    const size_t dot = r.rfind('.');
    if (r == qualifier || (dot != std::string::npos && r.compare(dot + 1, r.npos, qualifier) == 0))
      out.push_back(r);
  }
  return out;
}

}  // namespace

void ResolveColumns(TreeFacts* facts) {
  std::vector<std::string> rels = facts->reads;
  rels.insert(rels.end(), facts->writes.begin(), facts->writes.end());
  std::sort(rels.begin(), rels.end());
  rels.erase(std::unique(rels.begin(), rels.end()), rels.end());
  for (const TreeFacts::ColumnMention& m : facts->mentioned) {
    if (!m.qualifier.empty()) {
      for (const std::string& r : Qualified(*facts, rels, m.qualifier)) {
        facts->columns_read.push_back(absl::StrCat(r, ".", m.column));
      }
    } else if (rels.size() == 1 || (m.column == "*" && !rels.empty())) {
      // A bare star is every column of every FROM item.
      for (const std::string& r : rels)
        facts->columns_read.push_back(absl::StrCat(r, ".", m.column));
    } else if (!rels.empty()) {
      facts->columns_read.push_back(m.column);
    }
  }
  for (const TreeFacts::ColumnMention& m : facts->assigned) {
    facts->columns_written.push_back(absl::StrCat(m.qualifier, ".", m.column));
  }
  facts->mentioned.clear();
  facts->assigned.clear();
}

}  // namespace warden::sql
