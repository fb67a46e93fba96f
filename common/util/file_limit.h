// Daemons that hold a socket per client raise their open-file limit to the hard limit at start:
// the usual soft limit (1024) is far below what a gateway's or agent's connections need.
#pragma once

namespace warden {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; logs the result. Never fails the start.
void RaiseOpenFileLimit();

}  // namespace warden
