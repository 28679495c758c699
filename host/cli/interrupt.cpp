#include "cli/interrupt.hpp"

#include <csignal>
#include <string>
#include <utility>

#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void note_signal(int signal_number) { g_signal = signal_number; }

struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the second signal takes the default action: the process ends
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

ProgressCallback stop_on_interrupt(ProgressCallback inner) {
  return [inner = std::move(inner)](const LayerProgress& p) {
    if (g_signal != 0)
      throw Cancelled(std::string(g_signal == SIGINT ? "interrupted (Ctrl-C)" : "terminated (SIGTERM)") +
                      " during layer " + std::to_string(p.layer) + ": training stopped, no model was written");
    if (inner) inner(p);
  };
}

}  // namespace lwnet::cli
