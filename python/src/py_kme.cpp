// The closed-form network (lwnet::kme): train, predict, transform, save and load, each without
// the GIL; the trainer's progress reaches Python through ProgressBridge (Ctrl-C stops it).
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "lwnet/kme.hpp"
#include "lwnet/net.hpp"
#include "py_arrays.hpp"
#include "py_backend.hpp"
#include "py_bindings.hpp"
#include "py_progress.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

// The estimator's parameters (KMENetworkClassifier) as the trainer's configuration.
kme::TrainConfig kme_config(const nb::dict& options) {
  OptionReader r(options);
  kme::TrainConfig c;
  kme::KmeOptions& o = c.options;
  o.max_layers = r.get("max_layers", o.max_layers);
  o.sigma_smallest = r.get("sigma_smallest", o.sigma_smallest);
  o.sigma_count = r.get("sigma_count", o.sigma_count);
  o.hsic_threshold = r.get("hsic_threshold", o.hsic_threshold);
  o.rho = kme::parse_rho_method(r.get("rho", std::string(kme::to_string(o.rho))));
  o.extra_columns = r.get("extra_columns", o.extra_columns);
  o.predictor = kme::parse_predictor(r.get("predict", std::string(kme::to_string(o.predictor))));
  o.knn_k = r.get("knn_k", o.knn_k);
  o.selection = kme::parse_selection(r.get("select", std::string(kme::to_string(o.selection))));
  o.validation_fraction = r.get("validation_fraction", o.validation_fraction);
  o.seed = r.get("seed", o.seed);
  c.standardize = parse_standardize_mode(r.get("standardize", std::string(to_string(c.standardize))));
  c.noise = r.get("noise", c.noise);
  r.finish();
  o.validate();
  return c;
}

// The model's configuration under the estimator's parameter names (what lwnet.load gives back).
nb::dict kme_params(const kme::KmeModel& m) {
  const kme::KmeOptions& o = m.options;
  nb::dict d;
  d["max_layers"] = o.max_layers;
  d["sigma_smallest"] = o.sigma_smallest;
  d["sigma_count"] = o.sigma_count;
  d["hsic_threshold"] = o.hsic_threshold;
  d["rho"] = kme::to_string(o.rho);
  d["extra_columns"] = o.extra_columns;
  d["predict"] = kme::to_string(o.predictor);
  d["knn_k"] = o.knn_k;
  d["select"] = kme::to_string(o.selection);
  d["validation_fraction"] = o.validation_fraction;
  d["seed"] = o.seed;
  d["standardize"] = to_string(m.standardize);
  d["noise"] = m.noise;
  return d;
}

nb::list layer_dicts(const kme::KmeModel& m) {
  nb::list layers;
  for (const kme::KmeLayer& l : m.layers) {
    nb::dict d;
    d["sigma"] = l.sigma;
    d["sigma_beta"] = l.sigma_beta;
    d["hsic"] = l.hsic;
    d["extra_columns"] = static_cast<std::int64_t>(l.extra_rows.size());
    d["widths_tried"] = l.candidates_tried;
    d["seconds"] = l.seconds;
    layers.append(d);
  }
  return layers;
}

kme::KmeModel train(PyBackend& pb, const InputArray& X, const LabelArray& y, const std::vector<std::string>& classes,
                    const nb::dict& options, nb::object progress) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  const Labels labels = labels_of(y, static_cast<int>(classes.size()), x.rows(), "y");
  const kme::TrainConfig config = kme_config(options);
  const ProgressBridge bridge(std::move(progress));
  const kme::ProgressCallback callback = bridge.kme();
  const BackendCall call(pb);
  const PlacedInput x_host = PlacedInput::on_host(b, x);
  return kme::train(b, x_host.view(), labels, classes, config, callback);
}

nb::object predict(PyBackend& pb, const kme::KmeModel& model, const InputArray& X) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  std::vector<int> predicted;
  {
    const BackendCall call(pb);
    const PlacedInput x_host = PlacedInput::on_host(b, x);
    predicted = kme::predict(b, model, x_host.view());
  }
  return to_python(std::move(predicted));
}

nb::object transform(PyBackend& pb, const kme::KmeModel& model, const InputArray& X) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  Matrix<float> out;
  {
    const BackendCall call(pb);
    const PlacedInput x_host = PlacedInput::on_host(b, x);
    out = kme::transform(b, model, x_host.view());
  }
  return to_python(std::move(out));
}

}  // namespace

void bind_kme(nb::module_& m) {
  nb::class_<kme::KmeModel>(m, "KmeModel", "A fitted closed-form network (lwnet::kme::KmeModel).")
      .def_ro("classes", &kme::KmeModel::classes)
      .def_ro("input_dim", &kme::KmeModel::input_dim)
      .def_ro("fit_seconds", &kme::KmeModel::fit_seconds)
      .def_ro("held_out_accuracy", &kme::KmeModel::held_out_accuracy)
      .def_prop_ro("hsic", &kme::KmeModel::final_hsic)
      .def_prop_ro("layers", &layer_dicts)
      .def_prop_ro("output_width", [](const kme::KmeModel& model) { return model.train_outputs.cols(); })
      .def("params", &kme_params);

  m.def("kme_train", &train, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("y").noconvert(),
        nb::arg("classes"), nb::arg("options"), nb::arg("progress").none());
  m.def("kme_predict", &predict, nb::arg("backend"), nb::arg("model"), nb::arg("X").noconvert());
  m.def("kme_transform", &transform, nb::arg("backend"), nb::arg("model"), nb::arg("X").noconvert());
  m.def(
      "kme_save",
      [](const kme::KmeModel& model, const std::string& path) {
        const nb::gil_scoped_release release;
        kme::save_model(model, path);
      },
      nb::arg("model"), nb::arg("path"));
  m.def(
      "kme_load",
      [](const std::string& path) {
        const nb::gil_scoped_release release;
        return kme::load_model(path);
      },
      nb::arg("path"));
  m.def(
      "model_format",
      [](const std::string& path) {
        const nb::gil_scoped_release release;
        return model_format(path);
      },
      nb::arg("path"));
}

}  // namespace lwnet::py
