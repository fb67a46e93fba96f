// The functions a client may call through the fast-path interface (FunctionCall), by OID: the
// server-side large-object functions libpq's lo_* API calls, which psql's \lo_* commands,
// pg_dump, pg_restore, psycopg2's lobject and other drivers built on libpq use
// (https://www.postgresql.org/docs/15/lo-interfaces.html). Built-in functions have fixed OIDs
// (src/include/catalog/pg_proc.dat, below FirstGenbkiObjectId), so no catalog look-up is
// needed; any other OID is refused.
#pragma once

#include <cstdint>
#include <optional>

namespace warden::agent {

struct FastPathFunction {
  const char* name;   // pg_catalog's name, e.g. "loread"
  bool returns_data;  // its result is the content of a large object (loread, lo_get)
};

std::optional<FastPathFunction> FastPathFunctionByOid(uint32_t oid);

}  // namespace warden::agent
