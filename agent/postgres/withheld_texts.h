// Error and notice texts under column rules. A failing cast, a constraint
// violation or a RAISE prints the value it touched ("invalid input syntax for type integer:
// \"Customer 1\"", "Key (email)=(...) already exists", "Failing row contains (...)"), and a
// column rule has no detector to find it there. So when the statement an error or notice
// answers may have touched a masked column, the message's value-carrying fields are withheld:
// the client gets the severity, the SQLSTATE, the position and the names of the schema, table,
// column, type and constraint, and a message saying why the rest was withheld. Pure.
//
// May have touched (fail closed): the statement reads a relation with a masked column (by the
// catalog snapshot, views included; any relation while there is no snapshot), writes any
// relation (triggers, rules, defaults and constraints run code the text does not show), commits
// (deferred constraints and triggers; also the implicit commit as the last statement of a
// multi-statement Query ends, when each earlier statement is checked too), calls a function that is
// not a known built-in (it may read any table), runs code the classifier cannot see into (DO,
// EXECUTE of an unknown statement), or cannot be identified. Even then, errors about the
// statement's own text (class 42 with a cursor position: raised while parsing, before any row was
// read) and about the session (08, 25, 53, 57) pass. Content rules still run on whatever passes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/enforcement/masking_catalog.h"
#include "common/masking/rule_set.h"
#include "common/sql/classify/classified_statement.h"

namespace warden::agent {

// Why the texts of an error or notice with `sqlstate` (and a cursor position into the statement
// text, or none), raised by `statement` (null: not identified), must be withheld; nullopt when they
// may pass. `catalog`: null when the session has no current snapshot.
std::optional<std::string> WithholdReason(std::string_view sqlstate, bool has_position,
                                          const sql::ClassifiedStatement* statement,
                                          const MaskingCatalog* catalog,
                                          const masking::RuleSet& rules);

// Error and notice fields that never carry data: severity, SQLSTATE, cursor positions, and the
// server's source file, line and routine.
// https://www.postgresql.org/docs/15/protocol-error-fields.html
bool FieldCarriesNoData(char code);

// The fields that stay when the texts are withheld: those, and the names of the schema, table,
// column, data type and constraint.
bool KeptWhenWithheld(char code);

}  // namespace warden::agent
