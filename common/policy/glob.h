// Glob matching for policy rules: command-free patterns over relation and function names.
//
// Syntax: `*` matches any run of characters (including none), `?` matches exactly one
// character, every other character matches itself. Matching is case-sensitive; policy YAML
// lower-cases relation and function globs and the classifier lower-cases names, so in practice
// both sides are lower case. There is no escape character and no character class.
//
// Object names ([schema.]name), as used by rule `relations:` and `functions:` globs:
//  - A name or pattern with more than one dot (database.schema.name) is reduced to its last
//    two parts: PostgreSQL only accepts the current database there, so the database part says
//    nothing about which object is meant.
//  - A pattern without a dot constrains only the object's own name, in any schema:
//    "customers" matches "customers", "public.customers" and "billing.customers";
//    "pg_read_*" matches "pg_read_file" and "pg_catalog.pg_read_file".
//  - A pattern with a dot is split at its last dot into a schema glob and a name glob, and
//    matched against a qualified name part by part ("billing.*" matches "billing.invoices",
//    not "billing_old.invoices"; "*.customers" matches "x.customers").
//  - An unqualified name stands for that name in whichever schema of the search path holds
//    it. Warden assumes PostgreSQL's default search path (pg_catalog, then public; "$user"
//    schemas are not modelled), so a dotted pattern matches an unqualified name when its name
//    glob matches the name and its schema glob matches "pg_catalog" or "public". Thus
//    "public.customers", "pg_catalog.pg_read_file" and "*.customers" match the unqualified
//    "customers" / "pg_read_file", while "billing.*" does not match "invoices". This fails
//    closed for deny rules written with pg_catalog or public (a deny on
//    "pg_catalog.pg_read_file" cannot be dodged by leaving the schema out), at the price that
//    "pg_catalog.*" also matches every unqualified name: target catalog objects by their own
//    names ("pg_authid", "pg_read_file") rather than by "pg_catalog.*" in allow rules.
//    A session that changes search_path (SET search_path = billing) makes unqualified names
//    resolve elsewhere; the evaluator cannot see that (it has no session state), so policies
//    that protect a schema should also control SET.
#pragma once

#include <string_view>

namespace warden::policy {

// True when `text` matches `pattern` as a whole. Linear in memory, O(|text|*|pattern|) time in
// the worst case (no exponential backtracking).
bool GlobMatch(std::string_view pattern, std::string_view text);

// True when the [schema.]name glob `pattern` matches the object name `name` under the rules
// above.
bool ObjectGlobMatch(std::string_view pattern, std::string_view name);

}  // namespace warden::policy
