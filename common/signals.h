// Termination signals for long-running binaries: BlockTerminationSignals() at the top of main
// (before any thread starts, so every thread inherits the mask), then
// WaitForTerminationSignal() blocks the main thread until SIGINT or SIGTERM arrives.
#pragma once

namespace tailor {

void BlockTerminationSignals();
// Returns the signal number received.
int WaitForTerminationSignal();

}  // namespace tailor
