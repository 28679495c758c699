// The Align paper's two tasks besides classification (spec 2.3, 2.4): the recurrent Add task and
// the alignment score, each run without the GIL, with per-epoch progress and Ctrl-C checks.
#include <string>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "lwnet/add_task.hpp"
#include "lwnet/alignment.hpp"
#include "py_arrays.hpp"
#include "py_backend.hpp"
#include "py_bindings.hpp"
#include "py_progress.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

net::AddTaskOptions add_task_options(const nb::dict& options) {
  OptionReader r(options);
  net::AddTaskOptions o;
  o.method = net::parse_method(r.get("method", std::string(net::to_string(o.method))));
  o.width = r.get("width", o.width);
  o.init = net::parse_init(r.get("init", std::string(net::to_string(o.init))));
  o.epochs = r.get("epochs", o.epochs);
  o.batch_size = r.get("batch_size", o.batch_size);
  o.learning_rate = r.get("lr", o.learning_rate);
  o.optimizer = net::parse_optimizer(r.get("optimizer", std::string(net::to_string(o.optimizer))));
  o.momentum = r.get("momentum", o.momentum);
  o.seed = r.get("seed", o.seed);
  o.align_ada = net::parse_align_ada_variant(r.get("align_ada_variant", std::string(net::to_string(o.align_ada))));
  r.finish();
  o.validate();
  return o;
}

nb::dict add_task(PyBackend& pb, const nb::dict& options, std::uint64_t data_seed, nb::object progress) {
  const net::AddTaskOptions o = add_task_options(options);
  net::AddTaskSpec spec;
  spec.seed = data_seed;
  const ProgressBridge bridge(std::move(progress));
  const net::AddTaskCallback on_epoch = bridge.add_task_epochs(o.epochs);
  net::AddTaskResult r;
  {
    const BackendCall call(pb);  // releases the GIL
    r = net::train_add_task(pb.backend(), net::make_add_task(spec), o, on_epoch);
  }
  nb::list history;
  for (const net::AddTaskRecord& e : r.history) {
    nb::dict d;
    d["epoch"] = e.epoch;
    d["train_loss"] = e.train_loss;
    d["test_loss"] = e.test_loss;
    d["seconds"] = e.seconds;
    history.append(d);
  }
  nb::dict d;
  d["history"] = history;
  d["min_test_loss"] = r.best_epoch > 0 ? nb::cast(r.min_test_loss) : nb::none();
  d["best_epoch"] = r.best_epoch;
  d["diverged_epoch"] = r.diverged_epoch > 0 ? nb::cast(r.diverged_epoch) : nb::none();
  d["initial_test_loss"] = r.initial_test_loss;
  d["mean_prediction_test_loss"] = r.mean_prediction_test_loss;
  d["half_prediction_test_loss"] = r.half_prediction_test_loss;
  d["fit_seconds"] = r.fit_seconds;
  return d;
}

nb::list alignment_scores(PyBackend& pb, const InputArray& X, const LabelArray& y,
                          const std::vector<std::string>& classes, const nb::dict& options, int draws,
                          std::int64_t noise_batch, nb::object progress) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  const Labels labels = labels_of(y, static_cast<int>(classes.size()), x.rows(), "y");
  const net::NetOptions o = net_options(options, x.cols());
  net::AlignmentOptions a;
  a.draws = draws;
  a.noise_batch = noise_batch;
  a.seed = o.seed;
  net::check_alignment_options(o, a);
  const ProgressBridge bridge(std::move(progress));
  const net::EpochCallback on_epoch = bridge.epochs(o.epochs);
  const net::BatchCallback on_batch = bridge.batches();
  std::vector<net::LayerAlignment> layers;
  {
    const BackendCall call(pb);  // releases the GIL
    const PlacedInput x_host = PlacedInput::on_host(b, x);
    layers = net::alignment_scores(b, x_host.view(), labels, classes, o, a, {}, on_epoch, on_batch).layers;
  }
  nb::list out;
  for (const net::LayerAlignment& l : layers) {
    nb::dict d;
    d["layer"] = l.layer;
    d["score"] = l.score;
    d["shuffled_score"] = l.shuffled_score;
    d["draws"] = l.draws;
    d["shuffled_draws"] = l.shuffled_draws;
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_align(nb::module_& m) {
  m.def("add_task", &add_task, nb::arg("backend"), nb::arg("options"), nb::arg("data_seed"),
        nb::arg("progress").none());
  m.def("alignment_scores", &alignment_scores, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("y").noconvert(),
        nb::arg("classes"), nb::arg("options"), nb::arg("draws"), nb::arg("noise_batch"), nb::arg("progress").none());
}

}  // namespace lwnet::py
