// The statement corpus (tests/unit/data/sql_corpus.tsv; its header explains the columns), shared
// by the classifier test and the policy corpus test.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sql_corpus {

struct Case {
  int line = 0;
  std::string sql, tags, classes, reads, writes, functions;
  bool without_where = false;
  bool opaque = false;
  std::string commands, guardrails, read_only;
};

inline std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 't')) {
      out += s[++i] == 'n' ? '\n' : '\t';
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cols;
  std::stringstream in(line);
  std::string col;
  while (std::getline(in, col, '\t')) cols.push_back(col);
  return cols;
}

inline std::vector<Case> Load() {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/unit/data/sql_corpus.tsv");
  REQUIRE(in.good());
  std::vector<Case> cases;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> c = SplitTabs(line);
    INFO("corpus line " << n << ": " << line);
    REQUIRE(c.size() == 11);
    cases.push_back({n, Unescape(c[0]), c[1], c[2], c[3], c[4], c[5], c[6] == "1", c[7] == "1",
                     c[8], c[9], c[10]});
  }
  return cases;
}

// "a,b" (or "-" for none), as the corpus writes lists.
inline std::string Join(const std::vector<std::string>& v, const char* sep) {
  if (v.empty()) return "-";
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace sql_corpus
