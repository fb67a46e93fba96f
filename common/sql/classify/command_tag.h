// Command tags and statement classes for PostgreSQL utility statements (everything but
// SELECT/INSERT/UPDATE/DELETE/MERGE and the statements classifier.cc looks inside). Tags follow
// the server's CreateCommandTag() (src/backend/tcop/utility.c), e.g. "TRUNCATE TABLE".
#pragma once

#include <string>

#include "pg_query/pg_query.pb.h"
#include "warden/v1/policy.pb.h"

namespace warden::sql {

struct CommandInfo {
  std::string tag;
  v1::StatementClass statement_class = v1::STATEMENT_CLASS_UNKNOWN;
};

// Tag and class of a utility statement. Unknown statement types get a tag derived from the node
// name and the DDL class (create/alter/drop) or the admin class, never read or write.
CommandInfo UtilityCommand(const pg_query::Node& stmt);

// "TABLE", "MATERIALIZED VIEW", ... as used in DROP/ALTER tags.
std::string ObjectTypeName(pg_query::ObjectType type);

}  // namespace warden::sql
