// Trained networks (lwnet::net): train, predict, outputs (logits), save and load, each without the
// GIL; progress per epoch reaches Python, and Ctrl-C is checked before every batch.
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "lwnet/net.hpp"
#include "py_arrays.hpp"
#include "py_backend.hpp"
#include "py_bindings.hpp"
#include "py_progress.hpp"

namespace nb = nanobind;

// NetModel declares a copy constructor its members (vectors of move-only matrices) cannot
// provide: tell nanobind it is move-only.
template <>
struct nanobind::detail::is_copy_constructible<lwnet::net::NetModel> : std::false_type {};

namespace lwnet::py {

net::NetOptions net_options(const nb::dict& options, std::int64_t features) {
  OptionReader r(options);
  const net::Method method = net::parse_method(r.get("method", std::string("backprop")));
  if (method == net::Method::kme)
    throw InvalidArgument("method: LayerwiseClassifier trains networks (backprop, align-zero, align-ada, align-prop, "
                          "fa, dfa, last-layer, dgl, hsic-bottleneck); the closed-form network is KMENetworkClassifier");
  // Every option left None takes the method's default (dgl and hsic-bottleneck have their own).
  net::NetOptions o = net::defaults_for(method);
  o.arch = net::Architecture::parse(r.get("arch", o.arch.str()));
  o.epochs = r.get("epochs", o.epochs);
  o.batch_size = r.get("batch_size", o.batch_size);
  o.learning_rate = r.get("lr", o.learning_rate);
  if (r.given("lr") && !(o.learning_rate > 0.0))
    throw InvalidArgument("lr: expected a step size > 0 (or None for the default), got " + std::to_string(o.learning_rate));
  o.optimizer = net::parse_optimizer(r.get("optimizer", std::string(net::to_string(o.optimizer))));
  if (r.given("momentum") && o.optimizer != net::OptimizerKind::sgd)
    throw InvalidArgument(std::string("momentum applies to optimizer 'sgd', not '") + net::to_string(o.optimizer) +
                          "' (leave it None)");
  o.momentum = r.get("momentum", o.momentum);
  o.weight_decay = r.get("weight_decay", o.weight_decay);
  o.init = net::parse_init(r.get("init", std::string(net::to_string(o.init))));
  o.loss = net::parse_loss(r.get("loss", std::string(net::to_string(o.loss))));
  o.seed = r.get("seed", o.seed);
  o.standardize = parse_standardize_mode(r.get("standardize", std::string(to_string(o.standardize))));
  o.dgl.sw2 = r.get("dgl_sw2", o.dgl.sw2);
  o.dgl.sb2 = r.get("dgl_sb2", o.dgl.sb2);
  o.dgl.noise = r.get("dgl_noise", o.dgl.noise);
  const std::string targets = r.get("dgl_targets", std::string("centred"));
  if (targets != "centred" && targets != "one-hot")
    throw InvalidArgument("dgl_targets: expected 'centred' or 'one-hot', got '" + targets + "'");
  o.dgl.center_targets = targets == "centred";
  o.dgl.monitor = r.get("dgl_monitor", o.dgl.monitor);
  o.hsic.sigma = r.get("hsic_sigma", o.hsic.sigma);
  o.hsic.beta = r.get("hsic_beta", o.hsic.beta);
  const std::string output = r.get("hsic_output", std::string("format"));
  if (output != "format" && output != "unformatted")
    throw InvalidArgument("hsic_output: expected 'format' or 'unformatted', got '" + output + "'");
  o.hsic.unformatted = output == "unformatted";
  o.hsic.readout_epochs = r.get("readout_epochs", o.hsic.readout_epochs);
  o.hsic.readout_learning_rate = r.get("readout_lr", o.hsic.readout_learning_rate);
  o.hsic.readout_weight_decay = r.get("readout_weight_decay", o.hsic.readout_weight_decay);
  o.hsic.readout_batch_size = r.get("readout_batch_size", o.hsic.readout_batch_size);
  const std::string image = r.get("image", std::string());
  r.finish();
  const bool conv = o.arch.kind == net::Architecture::Kind::conv;
  if (!image.empty()) {
    const net::ImageShape shape = net::ImageShape::parse(image);
    if (shape.features() != features)
      throw InvalidArgument("image " + image + " is " + std::to_string(shape.features()) + " values per sample, but X has " +
                            std::to_string(features) + " columns");
    if (conv) o.image = shape;  // a dense net flattens each row, whatever its shape
  } else if (conv) {
    throw InvalidArgument("arch " + o.arch.str() + " needs each row as an image: set image='HxWxC' with H*W*C = " +
                          std::to_string(features) + ", the columns of X");
  }
  o.validate();
  return o;
}

namespace {

nb::dict net_params(const net::NetModel& m) {
  const net::NetOptions& o = m.options;
  nb::dict d;
  d["method"] = net::to_string(o.method);
  d["arch"] = o.arch.str();
  d["epochs"] = o.epochs;
  d["batch_size"] = o.batch_size;
  d["lr"] = o.learning_rate > 0.0 ? nb::cast(o.learning_rate) : nb::none();
  d["optimizer"] = net::to_string(o.optimizer);
  d["momentum"] = o.optimizer == net::OptimizerKind::sgd ? nb::cast(o.momentum) : nb::none();
  d["weight_decay"] = o.weight_decay;
  d["init"] = net::to_string(o.init);
  d["loss"] = net::to_string(o.loss);
  d["image"] = o.image.empty() ? nb::none() : nb::cast(o.image.str());
  d["standardize"] = to_string(o.standardize);
  d["seed"] = o.seed;
  d["dgl_sw2"] = o.dgl.sw2;
  d["dgl_sb2"] = o.dgl.sb2;
  d["dgl_noise"] = o.dgl.noise;
  d["dgl_targets"] = o.dgl.center_targets ? "centred" : "one-hot";
  d["dgl_monitor"] = o.dgl.monitor;
  d["hsic_sigma"] = o.hsic.sigma;
  d["hsic_beta"] = o.hsic.beta;
  d["hsic_output"] = o.hsic.unformatted ? "unformatted" : "format";
  d["readout_epochs"] = o.hsic.readout_epochs;
  d["readout_lr"] = o.hsic.readout_learning_rate;
  d["readout_weight_decay"] = o.hsic.readout_weight_decay;
  d["readout_batch_size"] = o.hsic.readout_batch_size;
  return d;
}

nb::list history_dicts(const net::NetModel& m) {
  nb::list history;
  for (const net::EpochRecord& r : m.history) {
    nb::dict d;
    d["epoch"] = r.epoch;
    d["loss"] = r.loss;
    d["train_accuracy"] = r.train_accuracy;
    d["seconds"] = r.seconds;
    d["samples_per_second"] = r.samples_per_second;
    d["test_accuracy"] = r.test_accuracy;
    d["stage"] = r.stage;
    nb::list layer_losses;
    for (double v : r.layer_losses) layer_losses.append(v);
    d["layer_losses"] = layer_losses;
    d["jitter"] = r.jitter;
    history.append(d);
  }
  return history;
}

net::NetModel train(PyBackend& pb, const InputArray& X, const LabelArray& y, const std::vector<std::string>& classes,
                    const nb::dict& options, nb::object progress) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  const Labels labels = labels_of(y, static_cast<int>(classes.size()), x.rows(), "y");
  const net::NetOptions o = net_options(options, x.cols());
  const ProgressBridge bridge(std::move(progress));
  const net::EpochCallback on_epoch = bridge.epochs(o.epochs);
  const net::BatchCallback on_batch = bridge.batches();
  const BackendCall call(pb);
  const PlacedInput x_host = PlacedInput::on_host(b, x);
  return net::train(b, x_host.view(), labels, classes, o, {}, on_epoch, on_batch);
}

nb::object outputs(PyBackend& pb, const net::NetModel& model, const InputArray& X) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  Matrix<float> out;
  {
    const BackendCall call(pb);
    const PlacedInput x_host = PlacedInput::on_host(b, x);
    out = net::outputs(b, model, x_host.view());
  }
  return to_python(std::move(out));
}

nb::object predict(PyBackend& pb, const net::NetModel& model, const InputArray& X) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  std::vector<int> predicted;
  {
    const BackendCall call(pb);
    const PlacedInput x_host = PlacedInput::on_host(b, x);
    predicted = net::predict(b, model, x_host.view());
  }
  return to_python(std::move(predicted));
}

}  // namespace

void bind_net(nb::module_& m) {
  nb::class_<net::NetModel>(m, "NetModel", "A trained network (lwnet::net::NetModel).")
      .def_ro("classes", &net::NetModel::classes)
      .def_ro("input_dim", &net::NetModel::input_dim)
      .def_ro("fit_seconds", &net::NetModel::fit_seconds)
      .def_prop_ro("history", &history_dicts)
      .def_prop_ro("learning_rate", [](const net::NetModel& model) { return model.options.effective_learning_rate(); })
      .def("params", &net_params);

  m.def("net_train", &train, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("y").noconvert(),
        nb::arg("classes"), nb::arg("options"), nb::arg("progress").none());
  m.def("net_outputs", &outputs, nb::arg("backend"), nb::arg("model"), nb::arg("X").noconvert());
  m.def("net_predict", &predict, nb::arg("backend"), nb::arg("model"), nb::arg("X").noconvert());
  m.def(
      "net_save",
      [](const net::NetModel& model, const std::string& path) {
        const nb::gil_scoped_release release;
        net::save_model(model, path);
      },
      nb::arg("model"), nb::arg("path"));
  m.def(
      "net_load",
      [](const std::string& path) {
        const nb::gil_scoped_release release;
        return net::load_model(path);
      },
      nb::arg("path"));
}

}  // namespace lwnet::py
