// The gateway's review of a client's startup settings (the `options` command line and the
// parameters themselves) on arbitrary bytes: never crashes, and whatever it passes on is a
// setting name it would accept, holding no value Warden's parser cannot read under.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql/classify/parser_settings.h"
#include "gateway/startup_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // NUL separates name/value pairs, as in the startup packet; the first value is `options`.
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\0') {
      parts.emplace_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  std::vector<warden::pgwire::StartupParameter> params;
  params.push_back({"options", parts[0]});
  for (size_t i = 1; i + 1 < parts.size(); i += 2) params.push_back({parts[i], parts[i + 1]});
  auto settings = warden::gateway::ReviewStartupSettings(params);
  if (!settings.ok()) return 0;
  for (const auto& [name, value] : *settings) {
    if (name.empty() || name == "options" || name == "user" || name == "database") {
      __builtin_trap();
    }
    if (!warden::sql::LexingSettingProblem(name, value).empty()) __builtin_trap();
  }
  return 0;
}
