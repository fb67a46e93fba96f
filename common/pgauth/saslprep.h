// Password preparation for SCRAM (RFC 5802 §5.1 "SaltedPassword := Hi(Normalize(password),
// ...)" where Normalize is SASLprep, RFC 4013), following PostgreSQL's own rule.
//
// PostgreSQL (src/common/saslprep.c, pg_saslprep(); and
// https://www.postgresql.org/docs/15/sasl-authentication.html "SCRAM-SHA-256 Authentication")
// applies SASLprep when it stores the verifier and in libpq, but:
//   * a pure-ASCII password is used unchanged (no mapping, no prohibited-character check);
//   * if the password is not valid UTF-8, or SASLprep fails (prohibited characters,
//     bidirectional rule), the raw bytes are used instead of failing.
//
// What Warden does:
//   * ASCII passwords: unchanged — identical to PostgreSQL.
//   * Invalid UTF-8: raw bytes — identical to PostgreSQL.
//   * Valid non-ASCII UTF-8: raw bytes. This matches PostgreSQL whenever SASLprep would leave
//     the password unchanged (the common case: text already in NFKC, without non-ASCII spaces
//     such as U+00A0 or "mapped to nothing" characters such as U+00AD / U+200B) or would fail
//     (prohibited characters). It does NOT match for passwords that SASLprep rewrites — for
//     those, authentication fails cleanly (the server rejects the proof); it never succeeds
//     wrongly. Full SASLprep (NFKC tables) can be dropped in here without changing callers.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace warden::pgauth {

// The bytes that go into Hi() for `password`.
std::string PreparePassword(absl::string_view password);

// True when every byte is < 0x80 (PostgreSQL's pg_is_ascii()).
bool IsAscii(absl::string_view s);

}  // namespace warden::pgauth
