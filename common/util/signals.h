// Orderly shutdown for daemons: block SIGINT/SIGTERM in every thread (call before starting
// any), then wait for one on the main thread.
#pragma once

namespace warden {

void BlockTerminationSignals();
// Returns the signal received.
int WaitForTerminationSignal();

}  // namespace warden
