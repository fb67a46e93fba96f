#include "common/sql/classify/column_refs.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace warden::sql {

namespace {

using Mention = TreeFacts::ColumnMention;

void SortUnique(std::vector<Mention>* v) {
  auto key = [](const Mention& m) { return std::tie(m.qualifier, m.column); };
  std::sort(v->begin(), v->end(),
            [&](const Mention& a, const Mention& b) { return key(a) < key(b); });
  v->erase(std::unique(v->begin(), v->end(),
                       [&](const Mention& a, const Mention& b) { return key(a) == key(b); }),
           v->end());
}

}  // namespace

void ResolveColumns(TreeFacts* facts) {
  std::vector<std::string> rels = facts->reads;
  rels.insert(rels.end(), facts->writes.begin(), facts->writes.end());
  std::sort(rels.begin(), rels.end());
  rels.erase(std::unique(rels.begin(), rels.end()), rels.end());
  // What a qualifier may stand for: the relations it is an alias of, else the relation it names
  // ("orders" for public.orders too). Hashed: a long statement has many of both.
  absl::flat_hash_map<std::string, std::vector<std::string>> aliased, named;
  for (const Mention& a : facts->aliases) aliased[a.qualifier].push_back(a.column);
  for (auto& [alias, relations] : aliased) {
    std::sort(relations.begin(), relations.end());
    relations.erase(std::unique(relations.begin(), relations.end()), relations.end());
  }
  for (const std::string& r : rels) {
    named[r].push_back(r);
    const size_t dot = r.rfind('.');
    if (dot != std::string::npos) named[r.substr(dot + 1)].push_back(r);
  }
  // The lists are for people (what an approver is shown): past kMaxColumns they are cut, so a
  // short text that pairs many aliases with many columns cannot multiply into a huge list.
  auto add = [](std::vector<std::string>* to, std::string column) {
    if (to->size() < kMaxColumns) to->push_back(std::move(column));
  };
  SortUnique(&facts->mentioned);
  for (const Mention& m : facts->mentioned) {
    const std::vector<std::string>* to = nullptr;
    if (m.qualifier.empty() && m.column != "*") {
      // A bare name that is a FROM item's (`SELECT c FROM customers c`, row_to_json(customers))
      // is its whole row; it may also be a column of that name.
      const std::vector<std::string>* row = nullptr;
      if (auto a = aliased.find(m.column); a != aliased.end()) {
        row = &a->second;
      } else if (auto n = named.find(m.column); n != named.end()) {
        row = &n->second;
      }
      if (row != nullptr) {
        for (const std::string& r : *row) add(&facts->columns_read, absl::StrCat(r, ".*"));
      }
    }
    if (m.qualifier.empty()) {
      // One relation owns its unqualified columns; a bare star is every column of every one.
      if (rels.size() == 1 || m.column == "*") {
        to = &rels;
      } else if (!rels.empty()) {
        add(&facts->columns_read, m.column);
      }
    } else if (auto a = aliased.find(m.qualifier); a != aliased.end()) {
      to = &a->second;
    } else if (auto n = named.find(m.qualifier); n != named.end()) {
      to = &n->second;
    } else if (const size_t dot = m.qualifier.rfind('.'); dot != std::string::npos) {
      // schema.table.column over a FROM item written without its schema.
      if (auto t = named.find(m.qualifier.substr(dot + 1)); t != named.end()) to = &t->second;
    }  // else a CTE, a subquery or a function in FROM: its columns are read where it reads them
    if (to == nullptr) continue;
    for (const std::string& r : *to) add(&facts->columns_read, absl::StrCat(r, ".", m.column));
  }
  for (const Mention& m : facts->assigned) {
    add(&facts->columns_written, absl::StrCat(m.qualifier, ".", m.column));
  }
  facts->mentioned.clear();
  facts->assigned.clear();
}

}  // namespace warden::sql
