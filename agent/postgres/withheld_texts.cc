#include "agent/postgres/withheld_texts.h"

#include "absl/strings/str_cat.h"
#include "common/sql/lineage/lineage_functions.h"

namespace warden::agent {

namespace {

// https://www.postgresql.org/docs/15/errcodes-appendix.html: classes whose messages are about
// the session, not data: connection (08), transaction state (25), resources (53), operator
// intervention (57: cancel, shutdown). Others can echo a runtime string: 42704 from
// current_setting(name), 3F000 from has_schema_privilege(name, ...), 22 and 23 print values.
bool AboutTheSession(std::string_view sqlstate) {
  static constexpr std::string_view kClasses[] = {"08", "25", "53", "57"};
  if (sqlstate.size() != 5) return false;
  for (std::string_view c : kClasses) {
    if (sqlstate.substr(0, 2) == c) return true;
  }
  return false;
}

// Why `statement` may have touched a masked value; nullopt when it cannot have.
std::optional<std::string> TouchReason(const sql::ClassifiedStatement* statement,
                                       const MaskingCatalog* catalog,
                                       const masking::RuleSet& rules) {
  if (statement == nullptr) return "the statement it answers could not be identified";
  if (statement->opaque) return "the statement runs code Warden cannot see into";
  const std::string& tag = statement->command_tag;
  if (tag == "COMMIT" || tag == "PREPARE TRANSACTION" || tag == "SET CONSTRAINTS") {
    return "deferred constraints and triggers of the transaction run here";
  }
  if (!statement->relations_written.empty()) {
    // Triggers, rules, defaults and constraints run code the statement text does not show.
    return absl::StrCat("the statement writes ", statement->relations_written.front(),
                        ", which can run triggers and constraints");
  }
  for (const std::string& f : statement->functions) {
    if (sql::lineage::ClassifyFunctionName(f) == sql::lineage::FunctionFlow::kUnknown) {
      return absl::StrCat("the statement calls ", f, "(), which may read masked columns");
    }
  }
  for (const std::string& relation : statement->relations_read) {
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
  return std::nullopt;
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

std::optional<std::string> WithholdReason(std::string_view sqlstate, bool has_position,
                                          const sql::ClassifiedStatement* statement,
                                          const MaskingCatalog* catalog,
                                          const masking::RuleSet& rules) {
  std::optional<std::string> reason = TouchReason(statement, catalog, rules);
  if (!reason) return std::nullopt;
  // Class 42 with a cursor position was raised while parsing and analysing the statement's own
  // text (a misspelt column): before any row was read.
  const bool about_the_text = sqlstate.substr(0, 2) == "42" && has_position;
  if (about_the_text || AboutTheSession(sqlstate)) return std::nullopt;
  return reason;
}

}  // namespace warden::agent
