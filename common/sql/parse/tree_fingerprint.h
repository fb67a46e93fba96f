// A fingerprint of a statement's parse tree: the shape and the names, without constants or
// positions, so texts that differ only in literals, white space, comments or keyword case share
// it. Stable across processes and builds (a fingerprint in one agent's log matches another's).
#pragma once

#include <cstdint>

namespace pg_query {
class ParseResult;
}

namespace warden::sql {

uint64_t TreeFingerprint(const pg_query::ParseResult& tree);

}  // namespace warden::sql
