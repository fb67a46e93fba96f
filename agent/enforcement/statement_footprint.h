// What a statement touches, as an approver reads it: the relations it reads and writes with
// their columns ("orders (id, status)", "orders (every column)" for whole rows), and which of
// those columns the session's masking rules cover ("customers.email (rule emails)"). From the
// statement's analysis (classified_statement.h) and the rules' column globs, without a
// catalog: a column a rule names is listed for a whole-row read or write whether or not the
// table has it, and an unqualified column of a statement over several relations is listed as
// "one of a, b (column)". Pure.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/sql/classify/classified_statement.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

struct StatementFootprint {
  std::set<std::string> reads;
  std::set<std::string> writes;
  std::set<std::string> masked;
};

StatementFootprint DescribeFootprint(const std::vector<sql::ClassifiedStatement>& statements,
                                     const std::vector<v1::MaskingRule>& rules);

}  // namespace warden::agent
