// KmeModel <-> safetensors file. Layout (format version 1):
//   metadata   format "lwnet.kme", format_version, lwnet_version, classes (JSON array),
//              hyperparameters (JSON: options, standardize, noise), input_dim, layers, fit_seconds
//   tensors    train.labels I32 [n], train.outputs F32 [n, m_L],
//              preprocess.mean / preprocess.std F64 [d] (when standardising with training statistics),
//              layers.sigma / layers.sigma_beta / layers.hsic / layers.seconds F64 [L],
//              layers.candidates I32 [L],
//              layer.<l>.input F32 [n, m_{l-1}], layer.<l>.rho F64 [c],
//              layer.<l>.extra_classes I32 [e], layer.<l>.extra_offsets I64 [e + 1],
//              layer.<l>.extra_rows I64 [sum of the extra sets]          (l = 1..L)
// Loading checks every shape and value against the others, so a file that loads predicts.
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "io/model_fields.hpp"
#include "io/safetensors.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/version.hpp"

namespace lwnet::kme {

namespace {

using io::Dtype;
using io::SafetensorsFile;
using io::SafetensorsWriter;
using io::TensorData;
using io::add_matrix;
using io::add_vector;
using io::inconsistent;
using io::json_value;
using io::matrix_of;
using io::shape_of;
using io::vector_of;

const char* const kFormat = "lwnet.kme";

nlohmann::json options_json(const KmeModel& model) {
  const KmeOptions& o = model.options;
  return {{"max_layers", o.max_layers},       {"sigma_smallest", o.sigma_smallest},
          {"sigma_count", o.sigma_count},     {"hsic_threshold", o.hsic_threshold},
          {"initial_hsic", o.initial_hsic},   {"rho", to_string(o.rho)},
          {"rff_features", o.rff_features},   {"extra_columns", o.extra_columns},
          {"predictor", to_string(o.predictor)}, {"knn_k", o.knn_k},
          {"sigma_sample", o.sigma_sample},   {"input_sigma_floor", o.input_sigma_floor},
          {"layer_sigma_floor", o.layer_sigma_floor}, {"seed", o.seed},
          {"selection", to_string(o.selection)}, {"validation_fraction", o.validation_fraction},
          {"standardize", to_string(model.standardize)}, {"noise", model.noise}};
}

std::string layer_key(std::size_t l, const char* field) { return "layer." + std::to_string(l + 1) + "." + field; }

void read_options(const std::string& path, const std::string& text, KmeModel& model) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    inconsistent(path, "the hyperparameters are not JSON");
  }
  KmeOptions& o = model.options;
  o.max_layers = json_value<int>(path, j, "max_layers");
  o.sigma_smallest = json_value<double>(path, j, "sigma_smallest");
  o.sigma_count = json_value<int>(path, j, "sigma_count");
  o.hsic_threshold = json_value<double>(path, j, "hsic_threshold");
  o.initial_hsic = json_value<double>(path, j, "initial_hsic");
  o.rff_features = json_value<int>(path, j, "rff_features");
  o.extra_columns = json_value<bool>(path, j, "extra_columns");
  o.knn_k = json_value<int>(path, j, "knn_k");
  o.sigma_sample = json_value<std::int64_t>(path, j, "sigma_sample");
  o.input_sigma_floor = json_value<double>(path, j, "input_sigma_floor");
  o.layer_sigma_floor = json_value<double>(path, j, "layer_sigma_floor");
  o.seed = json_value<std::uint64_t>(path, j, "seed");
  model.noise = json_value<double>(path, j, "noise");
  // Files written before the selection rule existed were fitted by the paper's rule.
  if (j.contains("validation_fraction")) o.validation_fraction = json_value<double>(path, j, "validation_fraction");
  try {
    o.rho = parse_rho_method(json_value<std::string>(path, j, "rho"));
    o.predictor = parse_predictor(json_value<std::string>(path, j, "predictor"));
    model.standardize = parse_standardize_mode(json_value<std::string>(path, j, "standardize"));
    if (j.contains("selection")) o.selection = parse_selection(json_value<std::string>(path, j, "selection"));
    o.validate();
  } catch (const InvalidArgument& e) {
    inconsistent(path, e.what());
  }
}

}  // namespace

void save_model(const KmeModel& model, const std::string& path) {
  SafetensorsWriter w;
  w.set_metadata("format", kFormat);
  w.set_metadata("format_version", std::to_string(KmeModel::kFormatVersion));
  w.set_metadata("lwnet_version", version());
  try {  // label files are bytes; JSON (and so the header) holds UTF-8 text only
    w.set_metadata("classes", nlohmann::json(model.classes).dump());
  } catch (const nlohmann::json::exception&) {
    throw IoError(path + ": cannot save the model: a class name is not valid UTF-8 (model files store "
                         "class names as UTF-8 text)");
  }
  w.set_metadata("hyperparameters", options_json(model).dump());
  w.set_metadata("input_dim", std::to_string(model.input_dim));
  w.set_metadata("layers", std::to_string(model.layers.size()));
  w.set_metadata("fit_seconds", std::to_string(model.fit_seconds));

  add_vector(w, "train.labels", Dtype::i32, model.train_labels);
  add_matrix(w, "train.outputs", model.train_outputs);
  if (model.standardize == StandardizeMode::train) io::add_statistics(w, model.statistics);
  std::vector<double> sigma, sigma_beta, hsic, seconds;
  std::vector<std::int32_t> candidates;
  for (const KmeLayer& layer : model.layers) {
    sigma.push_back(layer.sigma);
    sigma_beta.push_back(layer.sigma_beta);
    hsic.push_back(layer.hsic);
    seconds.push_back(layer.seconds);
    candidates.push_back(layer.candidates_tried);
  }
  add_vector(w, "layers.sigma", Dtype::f64, sigma);
  add_vector(w, "layers.sigma_beta", Dtype::f64, sigma_beta);
  add_vector(w, "layers.hsic", Dtype::f64, hsic);
  add_vector(w, "layers.seconds", Dtype::f64, seconds);
  add_vector(w, "layers.candidates", Dtype::i32, candidates);
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const KmeLayer& layer = model.layers[l];
    add_matrix(w, layer_key(l, "input"), layer.input);
    add_vector(w, layer_key(l, "rho"), Dtype::f64, layer.rho);
    add_vector(w, layer_key(l, "extra_classes"), Dtype::i32, layer.extra_classes);
    std::vector<std::int64_t> offsets{0};
    std::vector<std::int64_t> rows;
    for (const auto& set : layer.extra_rows) {
      rows.insert(rows.end(), set.begin(), set.end());
      offsets.push_back(static_cast<std::int64_t>(rows.size()));
    }
    add_vector(w, layer_key(l, "extra_offsets"), Dtype::i64, offsets);
    add_vector(w, layer_key(l, "extra_rows"), Dtype::i64, rows);
  }
  w.write(path);
}

KmeModel load_model(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  if (f.metadata().count("format") == 0 || f.meta("format") != kFormat)
    throw IoError(path + ": not an lwnet model (safetensors metadata 'format' is not '" + kFormat + "')");
  if (f.meta("format_version") != std::to_string(KmeModel::kFormatVersion))
    throw IoError(path + ": model format version " + f.meta("format_version") + " is not supported (this lwnet reads " +
                  std::to_string(KmeModel::kFormatVersion) + ")");
  KmeModel model;
  read_options(path, f.meta("hyperparameters"), model);
  try {
    model.classes = nlohmann::json::parse(f.meta("classes")).get<std::vector<std::string>>();
    model.input_dim = std::stoll(f.meta("input_dim"));
    model.fit_seconds = std::stod(f.meta("fit_seconds"));
  } catch (const std::exception&) {
    inconsistent(path, "metadata classes, input_dim or fit_seconds are malformed");
  }
  const int c = model.num_classes();
  if (c < 2) inconsistent(path, "fewer than two classes");
  if (model.input_dim < 1) inconsistent(path, "input_dim < 1");

  model.train_labels = vector_of<std::int32_t>(f, "train.labels", Dtype::i32, -1);
  const auto n = static_cast<std::int64_t>(model.train_labels.size());
  if (n < 1) inconsistent(path, "no training samples");
  for (int y : model.train_labels)
    if (y < 0 || y >= c) inconsistent(path, "a training label is outside [0, " + std::to_string(c) + ")");
  if (model.options.predictor == Predictor::knn && model.options.knn_k > n)
    inconsistent(path, "knn_k exceeds the number of training samples");

  if (model.standardize == StandardizeMode::train) model.statistics = io::statistics_of(f, model.input_dim);

  const auto layers = static_cast<std::int64_t>(shape_of(f, "layers.sigma", Dtype::f64, 1)[0]);
  if (f.meta("layers") != std::to_string(layers)) inconsistent(path, "metadata 'layers' disagrees with layers.sigma");
  const auto sigma = vector_of<double>(f, "layers.sigma", Dtype::f64, layers);
  const auto sigma_beta = vector_of<double>(f, "layers.sigma_beta", Dtype::f64, layers);
  const auto hsic = vector_of<double>(f, "layers.hsic", Dtype::f64, layers);
  const auto seconds = vector_of<double>(f, "layers.seconds", Dtype::f64, layers);
  const auto candidates = vector_of<std::int32_t>(f, "layers.candidates", Dtype::i32, layers);
  std::int64_t width = model.input_dim;
  for (std::int64_t l = 0; l < layers; ++l) {
    const auto li = static_cast<std::size_t>(l);
    KmeLayer layer;
    layer.sigma = sigma[li];
    layer.sigma_beta = sigma_beta[li];
    layer.hsic = hsic[li];
    layer.seconds = seconds[li];
    layer.candidates_tried = candidates[li];
    if (!(layer.sigma > 0.0) || !std::isfinite(layer.sigma) || !(layer.sigma_beta > 0.0))
      inconsistent(path, "layer " + std::to_string(l + 1) + " has a non-positive width");
    try {  // the width's derived constants must be usable too (sigma = 1e-200 is positive but is not)
      validate(GramParams::gaussian(layer.sigma), "layer " + std::to_string(l + 1));
    } catch (const InvalidArgument& e) {
      inconsistent(path, e.what());
    }
    layer.input = matrix_of(f, layer_key(li, "input"), n, width);
    layer.rho = vector_of<double>(f, layer_key(li, "rho"), Dtype::f64, c);
    // The weights are 1 / rho in float32: rho must be positive, finite, and not so small that
    // its reciprocal overflows.
    for (double r : layer.rho)
      if (!(r > 0.0) || !std::isfinite(r) || !std::isfinite(static_cast<float>(1.0 / r)))
        inconsistent(path, "layer " + std::to_string(l + 1) + " has a rho that is not a positive float32 weight");
    layer.extra_classes = vector_of<std::int32_t>(f, layer_key(li, "extra_classes"), Dtype::i32, -1);
    const auto e = static_cast<std::int64_t>(layer.extra_classes.size());
    const auto offsets = vector_of<std::int64_t>(f, layer_key(li, "extra_offsets"), Dtype::i64, e + 1);
    const auto rows = vector_of<std::int64_t>(f, layer_key(li, "extra_rows"), Dtype::i64, -1);
    if (offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(rows.size()))
      inconsistent(path, "layer " + std::to_string(l + 1) + " extra_offsets do not span extra_rows");
    for (std::int64_t k = 0; k < e; ++k) {
      const auto begin = offsets[static_cast<std::size_t>(k)];
      const auto end = offsets[static_cast<std::size_t>(k + 1)];
      const int cls = layer.extra_classes[static_cast<std::size_t>(k)];
      if (begin > end || cls < 0 || cls >= c || (k > 0 && cls <= layer.extra_classes[static_cast<std::size_t>(k - 1)]))
        inconsistent(path, "layer " + std::to_string(l + 1) + " has malformed extra columns");
      std::vector<std::int64_t> set(rows.begin() + begin, rows.begin() + end);
      for (std::int64_t i : set)
        if (i < 0 || i >= n) inconsistent(path, "layer " + std::to_string(l + 1) + " has an extra row outside [0, n)");
      layer.extra_rows.push_back(std::move(set));
    }
    width = c + e;
    model.layers.push_back(std::move(layer));
  }
  if (model.options.predictor == Predictor::argmax && model.layers.empty())
    inconsistent(path, "predictor argmax with no layer (argmax reads the last layer's class columns)");
  model.train_outputs = matrix_of(f, "train.outputs", n, width);
  return model;
}

}  // namespace lwnet::kme
