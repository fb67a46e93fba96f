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
  CHECK(Printable("SELECT\n\t1") == "SELECT\n\t1");
  CHECK(Printable("SELECT\n\t1", /*one_line=*/true) == "SELECT  1");
  CHECK(Printable("naïve 'ß'") == "naïve 'ß'");  // UTF-8 stays as it is
}
