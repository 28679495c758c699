// Ctrl-C (SIGINT) and SIGTERM. install_signal_handlers(), the first thing main() does, makes the
// first such signal only note itself (a signal that was ignored when lwnet started, as in a
// background job, stays ignored); a second one ends the process at once. The note is acted on at
// check points: in a fit after the width being tried, in a network's training after each epoch
// (stop_on_interrupt), in a streamed product after the chunk pair being computed, before and after
// an output file is written, and when the command ends (stop_if_interrupted). Each throws
// lwnet::Cancelled, which main() turns into one line on stderr and exit code 130, whichever of the
// two signals it was. Output files are written
// whole or not at all, so a signal never leaves a partial one: one that arrives while a file is
// being written lets the write finish, and the message says the file is complete.
//
// The same handler set ignores SIGXFSZ, so a write past the file-size limit (ulimit -f) fails with
// EFBIG and a message rather than killing the process silently.
#pragma once

#include <string>

#include "lwnet/net.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/stream.hpp"

namespace lwnet::cli {

void install_signal_handlers();

// True once SIGINT or SIGTERM has arrived.
bool interrupted();

// Throws Cancelled("interrupted (Ctrl-C) " + when) (or "terminated (SIGTERM) ...") once a signal
// has arrived; `when` says where the command stopped and what it left, e.g. "before training: no
// model was written".
void stop_if_interrupted(const std::string& when);

// `inner` (may be empty), preceded by a check that throws Cancelled once a signal has arrived.
kme::ProgressCallback stop_on_interrupt(kme::ProgressCallback inner);
StreamProgressCallback stop_on_interrupt(StreamProgressCallback inner);
// For a trained network the check points are the end of each epoch (`inner` reports the epoch,
// then the check throws; `epochs` is the planned count) and the start of each batch, so a long
// epoch stops within one batch.
net::EpochCallback stop_on_interrupt(net::EpochCallback inner, int epochs);
net::BatchCallback stop_between_batches(int epochs);

}  // namespace lwnet::cli
