// Ctrl-C (SIGINT) and SIGTERM during training: the first signal asks the fit to stop at its next
// progress report (after the width being tried), which then throws lwnet::Cancelled, so no model
// file is written; a second signal ends the process at once. Model files are written atomically
// either way, so no signal can leave a partial one.
#pragma once

#include "lwnet/network.hpp"

namespace lwnet::cli {

// Installs the handlers for its lifetime.
class InterruptGuard {
 public:
  InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  ~InterruptGuard();
};

// `inner` (may be empty), preceded by a check that throws Cancelled once a signal has arrived.
ProgressCallback stop_on_interrupt(ProgressCallback inner);

}  // namespace lwnet::cli
