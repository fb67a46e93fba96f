// Ordinary per-session settings: how this session presents values, which messages it gets, how
// long it waits. Changing one changes nothing another session or a later statement's meaning
// depends on, so SET and RESET of them are class SESSION (a read-only subject may run them, and
// denying `admin` does not break drivers), and the agent forwards them from the startup packet
// without asking policy. Everything else (search_path, role, default_transaction_read_only,
// row_security, resource and planner settings, ...) stays admin or dcl and deniable.
#pragma once

#include <string_view>

namespace warden::sql {

// `name` in lower case, as the classifier and the startup packet review fold it.
bool IsOrdinarySessionSetting(std::string_view name);

}  // namespace warden::sql
