// The ledger reads the requests it follows in place; it must accept exactly what the full
// decoder accepts, and read the same names and text, whatever the bytes (a Bind's names and
// result formats only: the rest of a Bind is the server's to check).
#include "agent/postgres/request_fields.h"

#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include "common/pgwire/pgwire.h"

namespace pgwire = warden::pgwire;
using warden::agent::ReadBindFields;
using warden::agent::ReadRequestFields;
using warden::agent::RequestFields;

namespace {

template <typename M>
std::string BodyOf(const M& m) {
  std::string out;
  pgwire::Encode(m, &out);
  return out.substr(pgwire::kHeaderSize);
}

// What the full decoder reads of the message, in RequestFields' terms; false when it rejects it.
bool Decoded(char tag, std::string_view body, RequestFields* f) {
  auto m = pgwire::ParseFrontend(pgwire::Frame{tag, body});
  if (!m.ok()) return false;
  if (auto* q = std::get_if<pgwire::Query>(&*m)) f->text = q->sql;
  if (auto* p = std::get_if<pgwire::Parse>(&*m)) {
    f->name = p->name;
    f->text = p->query;
  }
  if (auto* d = std::get_if<pgwire::Describe>(&*m)) {
    f->name = d->name;
    f->kind = d->kind;
  }
  if (auto* e = std::get_if<pgwire::Execute>(&*m)) f->name = e->portal;
  if (auto* c = std::get_if<pgwire::Close>(&*m)) {
    f->name = c->name;
    f->kind = c->kind;
  }
  return true;
}

void CheckSameAsDecoder(char tag, const std::string& body) {
  RequestFields fast;
  RequestFields full;
  const bool ok = ReadRequestFields(tag, body, &fast);
  REQUIRE(ok == Decoded(tag, body, &full));
  if (!ok) return;
  CHECK(fast.name == full.name);
  CHECK(fast.text == full.text);
  CHECK(fast.kind == full.kind);
}

}  // namespace

TEST_CASE("Request fields are read as the decoder reads them, cut and padded anywhere",
          "[ledger]") {
  const std::vector<std::pair<char, std::string>> messages = {
      {'Q', BodyOf(pgwire::Query{"SELECT 1; SELECT 2"})},
      {'Q', BodyOf(pgwire::Query{""})},
      {'P', BodyOf(pgwire::Parse{"s1", "SELECT $1::int", {23}})},
      {'P', BodyOf(pgwire::Parse{"", "SELECT 1", {}})},
      {'P', BodyOf(pgwire::Parse{"", "SELECT $1, $2", {25, 0}})},
      {'D', BodyOf(pgwire::Describe{'S', "s1"})},
      {'D', BodyOf(pgwire::Describe{'P', ""})},
      {'E', BodyOf(pgwire::Execute{"p", 0})},
      {'E', BodyOf(pgwire::Execute{"", 10})},
      {'C', BodyOf(pgwire::Close{'S', "s1"})},
      {'C', BodyOf(pgwire::Close{'P', "p"})},
  };
  for (const auto& [tag, body] : messages) {
    INFO(tag << " body of " << body.size() << " bytes");
    RequestFields f;
    REQUIRE(ReadRequestFields(tag, body, &f));  // whole: accepted
    for (size_t cut = 0; cut < body.size(); ++cut) CheckSameAsDecoder(tag, body.substr(0, cut));
    CheckSameAsDecoder(tag, body + '\0');
    CheckSameAsDecoder(tag, body + "x");
    for (size_t at = 0; at < body.size(); ++at) {  // each byte changed: NULs, huge counts
      for (char c : {'\0', '\xff', 'S'}) {
        std::string changed = body;
        changed[at] = c;
        CheckSameAsDecoder(tag, changed);
      }
    }
  }
  // Describe and Close name a statement or a portal, nothing else.
  CheckSameAsDecoder('D', std::string("X") + "s1" + '\0');
  CheckSameAsDecoder('C', std::string("s") + "s1" + '\0');
  // Not one of the kinds read here.
  RequestFields f;
  CHECK(!ReadRequestFields('S', "", &f));
  CHECK(!ReadRequestFields('B', BodyOf(pgwire::Bind{"", "", {}, {}, {}}), &f));
}

TEST_CASE("A Bind's names and result formats are read without its values", "[ledger]") {
  const std::string body =
      BodyOf(pgwire::Bind{"p", "s", {1}, {std::string_view("\x01\x02", 2)}, {1, 0}});
  std::string_view portal;
  std::string_view statement;
  std::vector<int16_t> formats{1, 1, 1};  // a buffer kept from an earlier Bind
  REQUIRE(ReadBindFields(body, &portal, &statement, &formats));
  CHECK(portal == "p");
  CHECK(statement == "s");
  CHECK(formats == std::vector<int16_t>{1, 0});
  CHECK(!warden::agent::AllText(formats));
  CHECK(warden::agent::AllText({}));
  CHECK(warden::agent::AllText({0}));  // one code for all columns: text
  CHECK(!warden::agent::AllText({0, 1}));
  const std::string one_text = BodyOf(pgwire::Bind{"", "s", {}, {}, {0}});
  REQUIRE(ReadBindFields(one_text, &portal, &statement, &formats));
  CHECK(formats == std::vector<int16_t>{0});
  for (size_t cut = 0; cut < body.size(); ++cut) {
    CHECK(!ReadBindFields(body.substr(0, cut), &portal, &statement, &formats));
  }
  CHECK(!ReadBindFields(body + "x", &portal, &statement, &formats));
}
