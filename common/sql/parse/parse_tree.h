// SQL text -> libpg_query parse tree (the pg_query protobuf messages), for the classifier.
#pragma once

#include <google/protobuf/arena.h>

#include <string>

#include "pg_query/pg_query.pb.h"

namespace warden::sql {

// Deepest message nesting decoded. The parser itself stops at PostgreSQL's max_stack_depth; this
// bound (ordinary long expressions such as a+b+c+... nest one level per operator) keeps the
// walk's recursion, and so its stack use, small.
inline constexpr int kMaxTreeDepth = 20000;

// Parses `text` (NUL-free) into a tree allocated on `arena`. Returns nullptr with `error` set
// (position included) when the parser rejects the text or the tree is too deep.
const pg_query::ParseResult* ParseTree(const std::string& text, google::protobuf::Arena* arena,
                                       std::string* error);

// The same tree through libpg_query's protobuf output: the reference ParseTree is tested and
// fuzzed against, several times slower. Negative Integer values are zeroed as in ParseTree's
// tree (see json_tree_reader.h), so equal trees compare equal.
const pg_query::ParseResult* ParseTreeViaProtobuf(const std::string& text,
                                                  google::protobuf::Arena* arena,
                                                  std::string* error);

}  // namespace warden::sql
