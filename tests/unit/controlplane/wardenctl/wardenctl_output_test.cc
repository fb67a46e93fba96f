// What wardenctl prints of text a client wrote.
#include <catch2/catch.hpp>

#include "controlplane/wardenctl/output.h"

using warden::wardenctl::Printable;

TEST_CASE("client text reaches the terminal with its control characters shown", "[wardenctl]") {
  // A carriage return would let a DELETE hide behind a harmless-looking line.
  CHECK(Printable("DELETE FROM orders /*\rstatement:  SELECT 1 */") ==
        "DELETE FROM orders /*\\x0dstatement:  SELECT 1 */");
  CHECK(Printable("\x1b[2J\x1b[HSELECT 1") == "\\x1b[2J\\x1b[HSELECT 1");
  CHECK(Printable(std::string("a\0b\x7f", 4)) == "a\\x00b\\x7f");
  // A line break would start a fake field ("class: read") under the statement.
  CHECK(Printable("DELETE FROM t -- note\nWHERE true\tx") ==
        "DELETE FROM t -- note\\nWHERE true\\tx");
  CHECK(Printable("SELECT\n\t1", /*one_line=*/true) == "SELECT  1");
  CHECK(Printable("naïve 'ß' 名前") == "naïve 'ß' 名前");  // UTF-8 stays as it is
  // C1 controls (CSI as one byte, and as U+009B), invalid UTF-8, bidi overrides, zero width.
  CHECK(Printable("a\x9b"
                  "2Jb") == "a\\x9b2Jb");
  CHECK(Printable("a\xc2\x9b"
                  "2J") == "a\\x9b2J");
  CHECK(Printable("\xc0\xaf") == "\\xc0\\xaf");  // an overlong '/'
  CHECK(Printable("DROP\xe2\x80\xae"
                  "elbat") == "DROP\\u202eelbat");
  CHECK(Printable("a\xe2\x80\x8b"
                  "b") == "a\\u200bb");
}
