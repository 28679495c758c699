// lwnet's progress callbacks, called by a fit that runs without the GIL, as Python sees them: each
// call takes the GIL, stops the fit on Ctrl-C (a pending KeyboardInterrupt becomes lwnet::Cancelled,
// which leaves no model and reaches Python as KeyboardInterrupt) and passes the event, as a dict,
// to the caller's Python function when there is one. An exception that function raises stops the
// fit too and reaches the caller unchanged.
#pragma once

#include <string>

#include <nanobind/nanobind.h>

#include "lwnet/add_task.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/net.hpp"

namespace lwnet::py {

class ProgressBridge {
 public:
  // `callable`: a Python function of one dict, or None. Lives on the binding's stack for the whole
  // call; the callbacks below refer to it (they are copied without the GIL, so they hold no
  // Python object themselves).
  explicit ProgressBridge(nanobind::object callable) : callable_(std::move(callable)) {}

  kme::ProgressCallback kme() const;
  net::EpochCallback epochs(int epochs) const;
  net::BatchCallback batches() const;
  net::AddTaskCallback add_task_epochs(int epochs) const;

 private:
  // With the GIL held: a pending signal, then the Python function (when `event` is not null).
  void report(const std::string& where, const nanobind::dict* event) const;

  nanobind::object callable_;
};

}  // namespace lwnet::py
