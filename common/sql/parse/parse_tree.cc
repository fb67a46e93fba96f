#include "common/sql/parse/parse_tree.h"

#include <google/protobuf/io/coded_stream.h>
#include <pg_query.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/sql/parse/json_tree_reader.h"
#include "common/sql/parse/parse_limits.h"

namespace warden::sql {
namespace {

std::string FormatError(const PgQueryError& e) {
  std::string msg = e.message != nullptr ? e.message : "parse error";
  if (e.cursorpos > 0) msg += " at position " + std::to_string(e.cursorpos);
  return msg;
}

// libpg_query's JSON printer writes an Integer's value only when it is positive.
void ZeroNegativeIntegers(google::protobuf::Message* m) {
  if (auto* i = dynamic_cast<pg_query::Integer*>(m); i != nullptr && i->ival() < 0) i->set_ival(0);
  const google::protobuf::Reflection* r = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!f->is_repeated()) {
      ZeroNegativeIntegers(r->MutableMessage(m, f));
      continue;
    }
    for (int i = 0; i < r->FieldSize(*m, f); ++i) {
      ZeroNegativeIntegers(r->MutableRepeatedMessage(m, f, i));
    }
  }
}

// A new tree on `arena` from libpg_query's result `r` (JSON or protobuf), or nullptr with
// `error` set. `decode` fills the tree from r.parse_tree.
template <typename Result, typename Decode>
const pg_query::ParseResult* TreeFrom(const Result& r, google::protobuf::Arena* arena,
                                      std::string* error, Decode decode) {
  if (r.error != nullptr) {
    *error = FormatError(*r.error);
    return nullptr;
  }
  auto* tree = google::protobuf::Arena::CreateMessage<pg_query::ParseResult>(arena);
  return decode(tree) ? tree : nullptr;
}

std::atomic<uint64_t> parses{0};

}  // namespace

uint64_t ParseCount() { return parses.load(std::memory_order_relaxed); }

namespace internal {

std::string RejectText(std::string_view sql) {
  if (sql.size() > kMaxStatementBytes) {
    return "statement text longer than " + std::to_string(kMaxStatementBytes) + " bytes";
  }
  if (sql.find('\0') != std::string_view::npos) return "statement text contains a NUL byte";
  return "";
}

}  // namespace internal

const pg_query::ParseResult* ParseTree(const std::string& text, google::protobuf::Arena* arena,
                                       std::string* error) {
  parses.fetch_add(1, std::memory_order_relaxed);
  PgQueryParseResult r = pg_query_parse(text.c_str());
  const pg_query::ParseResult* tree = TreeFrom(r, arena, error, [&](pg_query::ParseResult* t) {
    return ReadJsonTree(r.parse_tree, kMaxTreeDepth, t, error);
  });
  pg_query_free_parse_result(r);
  return tree;
}

const pg_query::ParseResult* ParseTreeViaProtobuf(const std::string& text,
                                                  google::protobuf::Arena* arena,
                                                  std::string* error) {
  PgQueryProtobufParseResult r = pg_query_parse_protobuf(text.c_str());
  const pg_query::ParseResult* tree = TreeFrom(r, arena, error, [&](pg_query::ParseResult* t) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(r.parse_tree.data),
                                              static_cast<int>(r.parse_tree.len));
    in.SetRecursionLimit(kMaxTreeDepth);
    if (!t->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
      *error = "parse tree too deep to decode";
      return false;
    }
    ZeroNegativeIntegers(t);
    return true;
  });
  pg_query_free_protobuf_parse_result(r);
  return tree;
}

}  // namespace warden::sql
