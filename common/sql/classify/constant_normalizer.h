// A cache key for statement classification that is the same for texts differing only in their
// integer constants: `SELECT abalance FROM pgbench_accounts WHERE aid = 4711` and `... aid = 42`
// share one. Classification does not depend on an integer's value (rules match commands,
// classes, relations, functions and WHERE-less writes: names and tree shapes), nor does column
// lineage, except for EXPLAIN's and COPY's option values, so texts mentioning EXPLAIN or COPY
// are keyed exactly. Strings are never
// folded: besides constants they fill fields whose value matters (COPY's file name, a
// function body, LOAD's library).
//
// The scan is deliberately partial and fails closed: it must agree with PostgreSQL's lexer on
// where every string, identifier and comment starts and ends, so it gives up (nullopt: key by
// the exact text) on anything whose lexing it does not fully model: comments, backslashes,
// dollar quoting, prefixed strings (E'', U&'', B'', X'', N''), doubled quotes, unterminated
// quotes. A scan that disagreed with
// PostgreSQL's lexer about where a constant ends could map a malicious text to a benign one's
// key; tests/fuzz/sql_constant_normalizer_fuzz.cc checks, with the real parser as the oracle,
// that a text and its key always classify alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace warden::sql {

std::optional<std::string> NormalizeConstants(std::string_view sql);

// The same key appended to *out (the cache builds its key in a buffer it reuses); false where
// NormalizeConstants gives nullopt, and then *out holds a part of the key: discard it.
bool AppendNormalizedConstants(std::string_view sql, std::string* out);

}  // namespace warden::sql
