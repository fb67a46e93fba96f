// The settings a client asks for in its startup packet, reviewed before any reaches the agent.
// I/O-free. Settings come as parameters of their own and inside `options`, which PostgreSQL
// splits as a command line
// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNECT-OPTIONS): words separated by
// white space, a backslash taking the next character literally, and
// `-c name=value` or `--name=value` setting a run-time parameter. A later setting wins, and
// parameters of their own win over `options`, as in the server (process_startup_options()).
//
// Nothing is dropped silently: every setting is passed on (the agent then decides the ones that
// are not ordinary session settings as the SET statements they amount to), or the connection is
// refused with a message naming it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pgwire/startup.h"

namespace warden::gateway {

// The words of an `options` value, as pg_split_opts() splits them.
std::vector<std::string> SplitOptions(std::string_view options);

// name (lower case, '-' in `--name` read as '_') -> value, or InvalidArgument naming what is
// refused: a server switch other than -c, a setting without a value, a name that is not a
// setting's, a replication connection, a lexing setting Warden's parser cannot read under.
absl::StatusOr<std::map<std::string, std::string>> ReviewStartupSettings(
    const std::vector<pgwire::StartupParameter>& parameters);

}  // namespace warden::gateway
