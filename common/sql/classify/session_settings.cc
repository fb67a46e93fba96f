#include "common/sql/classify/session_settings.h"

#include <algorithm>
#include <array>

namespace warden::sql {
namespace {

// Sorted. client_encoding and standard_conforming_strings are here too: which of their values
// are allowed is parser_settings.h's business.
constexpr auto kOrdinary = std::to_array<std::string_view>({
    "application_name",
    "bytea_output",
    "client_encoding",
    "client_min_messages",
    "datestyle",
    "default_transaction_deferrable",
    "default_transaction_isolation",
    "extra_float_digits",
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
    "intervalstyle",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "lock_timeout",
    "standard_conforming_strings",
    "statement_timeout",
    "timezone",
    "xmlbinary",
    "xmloption",
});

}  // namespace

bool IsOrdinarySessionSetting(std::string_view name) {
  return std::binary_search(kOrdinary.begin(), kOrdinary.end(), name);
}

}  // namespace warden::sql
