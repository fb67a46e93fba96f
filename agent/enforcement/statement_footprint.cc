#include "agent/enforcement/statement_footprint.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/masking/column_glob.h"
#include "common/policy/glob.h"

namespace warden::agent {

namespace {

// Columns by relation ("" for those whose relation cannot be told); "*" is whole rows.
using Columns = std::map<std::string, std::set<std::string>>;

void Add(const std::vector<std::string>& relations, const std::vector<std::string>& columns,
         Columns* out) {
  for (const std::string& r : relations) (*out)[r];
  for (const std::string& c : columns) {
    const size_t dot = c.rfind('.');
    if (dot == std::string::npos) {
      (*out)[""].insert(c);
    } else {
      (*out)[c.substr(0, dot)].insert(c.substr(dot + 1));
    }
  }
}

std::set<std::string> Entries(const Columns& by_relation, const std::set<std::string>& all) {
  std::set<std::string> out;
  for (const auto& [relation, columns] : by_relation) {
    std::string names = absl::StrJoin(columns, ", ", [](std::string* o, const std::string& c) {
      absl::StrAppend(o, c == "*" ? "every column" : c);
    });
    if (relation.empty()) {
      if (!columns.empty()) {
        out.insert(absl::StrCat("one of ", absl::StrJoin(all, ", "), " (", names, ")"));
      }
    } else {
      out.insert(columns.empty() ? relation : absl::StrCat(relation, " (", names, ")"));
    }
  }
  return out;
}

// Which of `column` (of `relation`, "*" for whole rows) the rules cover, into *out.
void Cover(const std::string& relation, const std::string& column,
           const std::vector<v1::MaskingRule>& rules, std::set<std::string>* out) {
  const size_t dot = relation.rfind('.');
  const std::string schema =
      masking::FoldIdentifier(dot == std::string::npos ? "" : relation.substr(0, dot));
  const std::string table =
      masking::FoldIdentifier(dot == std::string::npos ? relation : relation.substr(dot + 1));
  for (const v1::MaskingRule& rule : rules) {
    for (const std::string& pattern : rule.columns()) {
      auto glob = masking::ColumnGlob::Parse(pattern);
      if (!glob.ok()) continue;
      if (column != "*") {
        if (glob->Matches(schema, table, masking::FoldIdentifier(column))) {
          out->insert(absl::StrCat(table, ".", column, " (rule ", rule.name(), ")"));
        }
        continue;
      }
      // Whole rows: every column of the table the glob names.
      const std::vector<std::string> parts = absl::StrSplit(pattern, '.');
      const std::string& table_glob = parts[parts.size() - 2];
      if (parts.size() == 3 && !schema.empty() &&
          !policy::GlobMatch(masking::FoldIdentifier(parts[0]), schema)) {
        continue;
      }
      if (!policy::GlobMatch(masking::FoldIdentifier(table_glob), table)) continue;
      out->insert(absl::StrCat(table, ".", parts.back(), " (rule ", rule.name(), ")"));
    }
  }
}

}  // namespace

StatementFootprint DescribeFootprint(const std::vector<sql::ClassifiedStatement>& statements,
                                     const std::vector<v1::MaskingRule>& rules) {
  Columns read, written;
  std::set<std::string> relations;
  for (const sql::ClassifiedStatement& s : statements) {
    Add(s.relations_read, s.columns_read, &read);
    Add(s.relations_written, s.columns_written, &written);
    relations.insert(s.relations_read.begin(), s.relations_read.end());
    relations.insert(s.relations_written.begin(), s.relations_written.end());
  }
  StatementFootprint out;
  out.reads = Entries(read, relations);
  out.writes = Entries(written, relations);
  for (const Columns* side : {&read, &written}) {
    for (const auto& [relation, columns] : *side) {
      for (const std::string& column : columns) {
        if (!relation.empty()) {
          Cover(relation, column, rules, &out.masked);
          continue;
        }
        // Its relation cannot be told: any of the statement's.
        for (const std::string& r : relations) Cover(r, column, rules, &out.masked);
      }
    }
  }
  return out;
}

}  // namespace warden::agent
