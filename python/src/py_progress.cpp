#include "py_progress.hpp"

#include <cmath>

#include <nanobind/stl/string.h>

#include "lwnet/error.hpp"
#include "py_errors.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

nb::object number_or_none(double value) { return std::isnan(value) ? nb::none() : nb::cast(value); }

}  // namespace

void ProgressBridge::report(const std::string& where, const nb::dict* event) const {
  if (PyErr_CheckSignals() != 0) {
    if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
      PyErr_Clear();
      throw Cancelled("interrupted (Ctrl-C) " + where + ": no model was returned");
    }
    throw PythonErrorPending();  // a signal handler of the caller's raised something else
  }
  if (event == nullptr || callable_.is_none()) return;
  try {
    callable_(*event);
  } catch (nb::python_error& e) {
    e.restore();
    throw PythonErrorPending();
  }
}

kme::ProgressCallback ProgressBridge::kme() const {
  const ProgressBridge* self = this;
  return [self](const kme::LayerProgress& p) {
    const nb::gil_scoped_acquire gil;
    nb::dict event;
    if (p.event == kme::LayerProgress::Event::width_tried) {
      event["event"] = "width";
      event["layer"] = p.layer;
      event["width"] = p.width;
      event["widths"] = p.widths;
      event["sigma"] = p.sigma;
      event["hsic"] = p.hsic;
      event["held_out_accuracy"] = number_or_none(p.held_out_accuracy);
      event["seconds"] = p.layer_seconds;
      self->report("during layer " + std::to_string(p.layer), &event);
    } else if (p.event == kme::LayerProgress::Event::layer_accepted && p.accepted != nullptr) {
      event["event"] = "layer";
      event["layer"] = p.layer;
      event["sigma"] = p.accepted->sigma;
      event["sigma_beta"] = p.accepted->sigma_beta;
      event["hsic"] = p.accepted->hsic;
      event["widths_tried"] = p.accepted->candidates_tried;
      event["seconds"] = p.accepted->seconds;
      self->report("after layer " + std::to_string(p.layer), &event);
    } else if (p.event == kme::LayerProgress::Event::stopped) {
      event["event"] = "stopped";
      event["layers"] = p.layer;
      event["reason"] = p.stop_reason;
      self->report("as the fit ended", &event);
    }
  };
}

net::EpochCallback ProgressBridge::epochs(int epochs) const {
  const ProgressBridge* self = this;
  return [self, epochs](const net::EpochRecord& r) {
    const nb::gil_scoped_acquire gil;
    nb::dict event;
    event["event"] = "epoch";
    event["epoch"] = r.epoch;
    event["epochs"] = epochs;
    event["loss"] = r.loss;
    event["train_accuracy"] = number_or_none(r.train_accuracy);
    event["test_accuracy"] = number_or_none(r.test_accuracy);
    event["seconds"] = r.seconds;
    event["samples_per_second"] = r.samples_per_second;
    self->report("after epoch " + std::to_string(r.epoch), &event);
  };
}

net::BatchCallback ProgressBridge::batches() const {
  const ProgressBridge* self = this;
  return [self](const net::BatchProgress& b) {
    const nb::gil_scoped_acquire gil;  // signals only: no Python call per batch
    self->report("in epoch " + std::to_string(b.epoch) + " before batch " + std::to_string(b.batch), nullptr);
  };
}

net::AddTaskCallback ProgressBridge::add_task_epochs(int epochs) const {
  const ProgressBridge* self = this;
  return [self, epochs](const net::AddTaskRecord& r) {
    const nb::gil_scoped_acquire gil;
    nb::dict event;
    event["event"] = "epoch";
    event["epoch"] = r.epoch;
    event["epochs"] = epochs;
    event["train_loss"] = r.train_loss;
    event["test_loss"] = r.test_loss;
    event["seconds"] = r.seconds;
    self->report("after epoch " + std::to_string(r.epoch), &event);
  };
}

}  // namespace lwnet::py
