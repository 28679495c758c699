#include "cli/interrupt.hpp"

#include <csignal>
#include <utility>

#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void note_signal(int signal_number) { g_signal = signal_number; }

// Installs note_signal for `signal_number` unless the signal was ignored when lwnet started.
void catch_signal(int signal_number) {
  struct sigaction previous {};
  sigaction(signal_number, nullptr, &previous);
  if (previous.sa_handler == SIG_IGN) return;
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the second signal takes the default action and ends the process. SA_RESTART:
  // reads and writes in progress continue rather than failing with EINTR.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(signal_number, &action, nullptr);
}

std::string signal_text() {
  return g_signal == SIGINT ? "interrupted (Ctrl-C)" : "terminated (SIGTERM)";
}

}  // namespace

void install_signal_handlers() {
  catch_signal(SIGINT);
  catch_signal(SIGTERM);
  std::signal(SIGXFSZ, SIG_IGN);
  // A parent may start lwnet with these blocked (the mask is inherited): deliver them now, to the
  // handlers, rather than never.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

bool interrupted() { return g_signal != 0; }

void stop_if_interrupted(const std::string& when) {
  if (interrupted()) throw Cancelled(signal_text() + " " + when);
}

kme::ProgressCallback stop_on_interrupt(kme::ProgressCallback inner) {
  return [inner = std::move(inner)](const kme::LayerProgress& p) {
    stop_if_interrupted("during layer " + std::to_string(p.layer) + ": training stopped, no model was written");
    if (inner) inner(p);
  };
}

StreamProgressCallback stop_on_interrupt(StreamProgressCallback inner) {
  return [inner = std::move(inner)](const StreamProgress& p) {
    stop_if_interrupted("after chunk pair " + std::to_string(p.done) + " of " + std::to_string(p.total) +
                        ": the benchmark stopped");
    if (inner) inner(p);
  };
}

net::EpochCallback stop_on_interrupt(net::EpochCallback inner, int epochs) {
  return [inner = std::move(inner), epochs](const net::EpochRecord& r) {
    if (inner) inner(r);  // the finished epoch is reported before the stop
    stop_if_interrupted("after epoch " + std::to_string(r.epoch) + " of " + std::to_string(epochs) +
                        ": training stopped, no model was written");
  };
}

net::BatchCallback stop_between_batches(int epochs) {
  return [epochs](const net::BatchProgress& p) {
    if (!interrupted()) return;  // the message is built only when it is needed
    stop_if_interrupted("during epoch " + std::to_string(p.epoch) + " of " + std::to_string(epochs) + " (before batch " +
                        std::to_string(p.batch) + " of " + std::to_string(p.batches) +
                        "): training stopped, no model was written");
  };
}

}  // namespace lwnet::cli
