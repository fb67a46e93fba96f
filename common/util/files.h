// Small file helpers with absl::Status errors that name the path.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace warden {

[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reads a file holding one secret (a token): surrounding white space is trimmed, and an empty
// file is an error.
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Writes via a temporary file and rename, with the given permission bits (0600 for secrets).
[[nodiscard]] absl::Status WriteFileAtomic(const std::string& path, const std::string& content,
                                           int mode);

}  // namespace warden
