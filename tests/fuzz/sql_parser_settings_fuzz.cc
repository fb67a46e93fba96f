// The agent lets a text through while the session's lexing settings are uncertain only when
// TextDependsOnLexingSettings() says another setting could not change how it is read. This
// target checks that promise with the real lexer as the oracle: for every such text,
// libpg_query's scanner gives the same tokens, and the classifier the same statements, with
// standard_conforming_strings on (what the agent assumes) and off (what a session could have
// been switched to). It also runs the setting-change checks on whatever the text is.
#include <pg_query.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql/classify/classifier.h"
#include "common/sql/classify/parser_settings.h"

// libpg_query's copy of the server's GUC (src/backend/parser/scan.l), one per thread.
extern "C" __thread bool standard_conforming_strings;

namespace {

// The scanner's tokens (kinds and positions), or "error: ...".
std::string Tokens(const std::string& text, bool conforming) {
  standard_conforming_strings = conforming;
  PgQueryScanResult r = pg_query_scan(text.c_str());
  std::string out = r.error != nullptr
                        ? std::string("error: ") + r.error->message
                        : std::string(reinterpret_cast<const char*>(r.pbuf.data), r.pbuf.len);
  pg_query_free_scan_result(r);
  standard_conforming_strings = true;
  return out;
}

std::string Shape(const warden::sql::ClassifiedBatch& b) {
  std::string out = b.parsed ? "parsed" : "rejected";
  for (const auto& s : b.statements) {
    out += "|" + s.command_tag + ":" + std::string(warden::sql::ClassName(s.statement_class));
    for (const auto& r : s.relations_written) out += ",w=" + r;
  }
  return out;
}

std::string ShapeUnder(const std::string& text, bool conforming) {
  standard_conforming_strings = conforming;
  std::string shape = Shape(warden::sql::Classify(text));
  standard_conforming_strings = true;
  return shape;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Short texts: classified inline on this thread, where the flipped setting applies.
  std::string_view sql(reinterpret_cast<const char*>(data), size > 2048 ? 2048 : size);
  if (size_t nul = sql.find('\0'); nul != std::string_view::npos) sql = sql.substr(0, nul);
  const std::string text(sql);
  (void)warden::sql::SettingChangeProblem(warden::sql::Classify(text));
  if (warden::sql::TextDependsOnLexingSettings(text)) return 0;  // refused while uncertain
  // A text the server would refuse to lex or parse under the other setting (U&'' strings need
  // standard_conforming_strings) runs nothing there: only two readings that both run must agree.
  const std::string off = Tokens(text, false);
  if (off.rfind("error: ", 0) != 0 && Tokens(text, true) != off) __builtin_trap();
  const std::string shape_off = ShapeUnder(text, false);
  if (shape_off != "rejected" && ShapeUnder(text, true) != shape_off) __builtin_trap();
  return 0;
}
