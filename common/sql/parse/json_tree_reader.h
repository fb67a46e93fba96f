// Reads libpg_query's JSON parse tree (pg_query_parse) into the pg_query protobuf messages that
// the tree walker reads. Why not pg_query_parse_protobuf: libpg_query packs its protobuf with
// protobuf-c, which visits every one of Node's ~250 oneof members for every node it writes; that
// packing was two thirds of the classifier's time (about 15 of 25 us for a short statement).
// Printing JSON and reading it back here costs under half as much and yields the same tree
// (tests/unit/common/sql/sql_parse_tree_test.cc and the fuzzer compare the two): pg_query.proto
// names each field with the key the JSON printer uses (json_name), so the reader needs no table of
// its own.
//
// One known difference: libpg_query's JSON printer writes an Integer node's value only when it
// is positive, so negative integer constants (`-5`, an array bound of -1) read back as 0. The
// classifier reads integers only as boolean options (EXPLAIN (ANALYZE 1)), where PostgreSQL
// itself rejects anything but 0 and 1.
#pragma once

#include <string>
#include <string_view>

#include "pg_query/pg_query.pb.h"

namespace warden::sql {

// Parses `json` into `tree` (normally an arena message, cleared by the caller). Nesting deeper
// than `max_depth` messages fails. Keys no message field names are skipped. Returns false with
// `error` set on malformed JSON, a value of the wrong kind or too deep a tree.
bool ReadJsonTree(std::string_view json, int max_depth, pg_query::ParseResult* tree,
                  std::string* error);

}  // namespace warden::sql
