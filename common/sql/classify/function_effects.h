// What calling a PostgreSQL built-in function does beyond computing a value. A SELECT that
// calls one that changes state is not a read: `SELECT lo_unlink(42)`, `SELECT setval('s', 1)`,
// `SELECT pg_advisory_lock(1)`, `SELECT pg_notify('c', 'x')`, `SELECT set_config(...)`.
//
// Names are matched bare or qualified with pg_catalog. Built-ins are listed by what they do to
// the database, the session or the server (https://www.postgresql.org/docs/15/functions-admin.html,
// lo-funcs.html, functions-sequence.html); every other built-in only computes, reads, or changes
// nothing another statement can observe (random, clock_timestamp, gen_random_uuid, setseed, ...).
// A user's own function is not known here by name: the database's volatility decides those.
#pragma once

#include <string_view>

#include "warden/v1/policy.pb.h"

namespace warden::sql {

enum class FunctionEffect {
  kNone,         // computes or reads
  kWritesData,   // large objects, sequences, advisory locks, NOTIFY, replication origins
  kAdministers,  // settings, signals to other backends, server files, WAL, replication slots,
                 // statistics resets, dblink (another connection, unseen)
};

// The effect of calling `name` ("lo_unlink", "pg_catalog.setval", lower case).
FunctionEffect EffectOfFunction(std::string_view name);

// The class a statement of class `c` has once it calls a function with effect `e`: a read or
// transaction statement that writes is a write; anything that administers is admin.
v1::StatementClass RaiseClass(v1::StatementClass c, FunctionEffect e);

}  // namespace warden::sql
