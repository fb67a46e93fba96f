#include "agent/session/withheld_texts.h"

#include "absl/strings/str_cat.h"
#include "common/sql/lineage_functions.h"

namespace warden::agent {

namespace {

// https://www.postgresql.org/docs/15/errcodes-appendix.html: classes whose messages describe
// the statement text, the catalog, the session or the server. Data exceptions (22), integrity
// violations (23, with "Key (...)=(...)" and "Failing row contains"), PL/pgSQL (P0: RAISE),
// successful completion and warnings (00, 01: RAISE NOTICE and WARNING), deadlocks (40: the
// detail quotes other sessions' statements) and internal errors (XX) are not among them.
bool SafeClass(std::string_view sqlstate) {
  static constexpr std::string_view kSafe[] = {"08", "0A", "0B", "0L", "0P", "25", "26",
                                               "28", "2D", "34", "3B", "3D", "3F", "42",
                                               "53", "54", "55", "57", "58", "F0"};
  if (sqlstate.size() != 5) return false;
  for (std::string_view c : kSafe) {
    if (sqlstate.substr(0, 2) == c) return true;
  }
  return false;
}

}  // namespace

bool FieldCarriesNoData(char code) {
  switch (code) {
    case 'S':
    case 'V':
    case 'C':
    case 'P':
    case 'p':
    case 'F':
    case 'L':
    case 'R':
      return true;
    default:
      return false;
  }
}

bool KeptWhenWithheld(char code) {
  switch (code) {
    case 's':  // schema, table, column, data type and constraint names
    case 't':
    case 'c':
    case 'd':
    case 'n':
      return true;
    default:
      return FieldCarriesNoData(code);
  }
}

std::optional<std::string> WithholdReason(std::string_view sqlstate,
                                          const sql::ClassifiedStatement* statement,
                                          const MaskingCatalog* catalog,
                                          const masking::RuleSet& rules) {
  if (SafeClass(sqlstate)) return std::nullopt;
  if (statement == nullptr) return "the statement it answers could not be identified";
  if (statement->opaque) return "the statement runs code Warden cannot see into";
  for (const std::string& f : statement->functions) {
    if (sql::lineage::ClassifyFunctionName(f) == sql::lineage::FunctionFlow::kUnknown) {
      return absl::StrCat("the statement calls ", f, "(), which may read masked columns");
    }
  }
  for (const auto* list : {&statement->relations_read, &statement->relations_written}) {
    for (const std::string& relation : *list) {
      if (catalog == nullptr) {
        return "the statement reads tables and the masking catalog is not loaded";
      }
      const size_t dot = relation.find('.');
      const std::string_view schema =
          dot == std::string::npos ? std::string_view() : std::string_view(relation).substr(0, dot);
      const std::string_view table = dot == std::string::npos
                                         ? std::string_view(relation)
                                         : std::string_view(relation).substr(dot + 1);
      const MaskingCatalog::Mask mask = catalog->AnyColumn(schema, table);
      if (mask.rule) {
        return absl::StrCat("masking rule \"", rules.rules()[*mask.rule].name, "\" covers ",
                            relation);
      }
      if (mask.unknown) return absl::StrCat("columns of ", relation, " are of unknown origin");
    }
  }
  return std::nullopt;
}

}  // namespace warden::agent
