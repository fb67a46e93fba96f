// Versioned schema migrations, tracked in SQLite's user_version.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace warden::store {

class Database;

// The schema version this build writes.
int LatestSchemaVersion();

// Applies every migration newer than the file's version, each in its own transaction. A file
// whose version is newer than this build knows is refused: an older binary must not write a
// newer schema it does not understand.
[[nodiscard]] absl::Status ApplyMigrations(Database& db, const std::string& path);

}  // namespace warden::store
