// net::NetModel <-> safetensors file. Layout (format version 1):
//   metadata   format "lwnet.net", format_version, lwnet_version, classes (JSON array),
//              hyperparameters (JSON: method, arch, image, init, loss, optimiser settings, epochs,
//              batch_size, seed, standardize, bn_epsilon), input_dim, fit_seconds
//   tensors    preprocess.mean / preprocess.std F64 [d] (when standardising with training statistics),
//              one F32 matrix per parameter in forward order ("layer.1.weight" [fan_in, fan_out],
//              "layer.1.bias" [1, fan_out], ..., "readout.weight", "readout.bias")
// Loading rebuilds the architecture and checks every parameter's name, shape and values against it.
#include <nlohmann/json.hpp>
#include <string>

#include "io/model_fields.hpp"
#include "io/safetensors.hpp"
#include "lwnet/error.hpp"
#include "lwnet/net.hpp"
#include "lwnet/version.hpp"
#include "nn/network.hpp"

namespace lwnet {

namespace {

const char* const kNetFormat = "lwnet.net";

// The layer-wise methods' own numbers, saved with their models (optional keys: older files and
// the other methods have none).
nlohmann::json layer_wise_hyperparameters(const net::NetOptions& o) {
  if (o.method == net::Method::dgl)
    return {{"sw2", o.dgl.sw2}, {"sb2", o.dgl.sb2}, {"noise", o.dgl.noise}, {"center_targets", o.dgl.center_targets}};
  return {{"sigma", o.hsic.sigma},
          {"beta", o.hsic.beta},
          {"unformatted", o.hsic.unformatted},
          {"epsilon", o.hsic.epsilon},
          {"readout_epochs", o.hsic.readout_epochs},
          {"readout_learning_rate", o.hsic.readout_learning_rate},
          {"readout_weight_decay", o.hsic.readout_weight_decay},
          {"readout_batch_size", o.hsic.readout_batch_size}};
}

void read_layer_wise_hyperparameters(const std::string& path, const nlohmann::json& j, net::NetOptions& o) {
  if (o.method == net::Method::dgl && j.contains("dgl")) {
    const nlohmann::json& d = j["dgl"];
    o.dgl.sw2 = io::json_value<double>(path, d, "sw2");
    o.dgl.sb2 = io::json_value<double>(path, d, "sb2");
    o.dgl.noise = io::json_value<double>(path, d, "noise");
    o.dgl.center_targets = io::json_value<bool>(path, d, "center_targets");
  }
  if (o.method == net::Method::hsic_bottleneck && j.contains("hsic_bottleneck")) {
    const nlohmann::json& h = j["hsic_bottleneck"];
    o.hsic.sigma = io::json_value<double>(path, h, "sigma");
    o.hsic.beta = io::json_value<double>(path, h, "beta");
    o.hsic.unformatted = io::json_value<bool>(path, h, "unformatted");
    o.hsic.epsilon = io::json_value<double>(path, h, "epsilon");
    o.hsic.readout_epochs = io::json_value<int>(path, h, "readout_epochs");
    o.hsic.readout_learning_rate = io::json_value<double>(path, h, "readout_learning_rate");
    o.hsic.readout_weight_decay = io::json_value<double>(path, h, "readout_weight_decay");
    o.hsic.readout_batch_size = io::json_value<std::int64_t>(path, h, "readout_batch_size");
  }
}

nlohmann::json hyperparameters(const net::NetOptions& o) {
  nlohmann::json j = {{"method", net::to_string(o.method)},
          {"arch", o.arch.str()},
          {"image", o.image.empty() ? std::string() : o.image.str()},
          {"init", net::to_string(o.init)},
          {"loss", net::to_string(o.loss)},
          {"optimizer", net::to_string(o.optimizer)},
          {"learning_rate", o.effective_learning_rate()},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"adam_beta1", o.adam_beta1},
          {"adam_beta2", o.adam_beta2},
          {"adam_epsilon", o.adam_epsilon},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"bn_epsilon", o.bn_epsilon},
          {"seed", o.seed},
          {"standardize", to_string(o.standardize)}};
  if (o.method == net::Method::dgl) j["dgl"] = layer_wise_hyperparameters(o);
  if (o.method == net::Method::hsic_bottleneck) j["hsic_bottleneck"] = layer_wise_hyperparameters(o);
  return j;
}

net::NetOptions read_hyperparameters(const std::string& path, const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    io::inconsistent(path, "the hyperparameters are not JSON");
  }
  net::NetOptions o;
  try {
    o.method = net::parse_method(io::json_value<std::string>(path, j, "method"));
    o.arch = net::Architecture::parse(io::json_value<std::string>(path, j, "arch"));
    const std::string image = io::json_value<std::string>(path, j, "image");
    if (!image.empty()) o.image = net::ImageShape::parse(image);
    o.init = net::parse_init(io::json_value<std::string>(path, j, "init"));
    o.loss = net::parse_loss(io::json_value<std::string>(path, j, "loss"));
    o.optimizer = net::parse_optimizer(io::json_value<std::string>(path, j, "optimizer"));
    o.learning_rate = io::json_value<double>(path, j, "learning_rate");
    o.momentum = io::json_value<double>(path, j, "momentum");
    o.weight_decay = io::json_value<double>(path, j, "weight_decay");
    o.adam_beta1 = io::json_value<double>(path, j, "adam_beta1");
    o.adam_beta2 = io::json_value<double>(path, j, "adam_beta2");
    o.adam_epsilon = io::json_value<double>(path, j, "adam_epsilon");
    o.epochs = io::json_value<int>(path, j, "epochs");
    o.batch_size = io::json_value<std::int64_t>(path, j, "batch_size");
    o.bn_epsilon = io::json_value<double>(path, j, "bn_epsilon");
    o.seed = io::json_value<std::uint64_t>(path, j, "seed");
    o.standardize = parse_standardize_mode(io::json_value<std::string>(path, j, "standardize"));
    read_layer_wise_hyperparameters(path, j, o);
    o.validate();
  } catch (const InvalidArgument& e) {
    io::inconsistent(path, e.what());
  }
  return o;
}

}  // namespace

std::string model_format(const std::string& path) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(path);
  const auto it = f.metadata().find("format");
  if (it == f.metadata().end() || (it->second != "lwnet.kme" && it->second != kNetFormat))
    throw IoError(path + ": not an lwnet model (safetensors metadata 'format' is neither 'lwnet.kme' nor 'lwnet.net')");
  return it->second;
}

namespace net {

void save_model(const NetModel& model, const std::string& path) {
  io::SafetensorsWriter w;
  w.set_metadata("format", kNetFormat);
  w.set_metadata("format_version", std::to_string(NetModel::kFormatVersion));
  w.set_metadata("lwnet_version", version());
  try {
    w.set_metadata("classes", nlohmann::json(model.classes).dump());
  } catch (const nlohmann::json::exception&) {
    throw IoError(path + ": cannot save the model: a class name is not valid UTF-8 (model files store "
                         "class names as UTF-8 text)");
  }
  w.set_metadata("hyperparameters", hyperparameters(model.options).dump());
  w.set_metadata("input_dim", std::to_string(model.input_dim));
  w.set_metadata("fit_seconds", std::to_string(model.fit_seconds));
  if (model.options.standardize == StandardizeMode::train) io::add_statistics(w, model.statistics);
  for (const NamedTensor& t : model.parameters) io::add_matrix(w, t.name, t.value);
  w.write(path);
}

NetModel load_model(const std::string& path) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(path);
  if (f.metadata().count("format") == 0 || f.meta("format") != kNetFormat)
    throw IoError(path + ": not an lwnet trained-network model (safetensors metadata 'format' is not '" +
                  std::string(kNetFormat) + "')");
  if (f.meta("format_version") != std::to_string(NetModel::kFormatVersion))
    throw IoError(path + ": model format version " + f.meta("format_version") + " is not supported (this lwnet reads " +
                  std::to_string(NetModel::kFormatVersion) + ")");
  NetModel model;
  model.options = read_hyperparameters(path, f.meta("hyperparameters"));
  try {
    model.classes = nlohmann::json::parse(f.meta("classes")).get<std::vector<std::string>>();
    model.input_dim = std::stoll(f.meta("input_dim"));
    model.fit_seconds = std::stod(f.meta("fit_seconds"));
  } catch (const std::exception&) {
    io::inconsistent(path, "metadata classes, input_dim or fit_seconds are malformed");
  }
  if (model.num_classes() < 2) io::inconsistent(path, "fewer than two classes");
  if (model.input_dim < 1) io::inconsistent(path, "input_dim < 1");
  if (model.options.standardize == StandardizeMode::train) model.statistics = io::statistics_of(f, model.input_dim);
  std::vector<nn::ParameterShape> shapes;
  try {
    shapes = nn::parameter_shapes(model.options, model.input_dim, model.num_classes());
  } catch (const InvalidArgument& e) {
    io::inconsistent(path, e.what());
  }
  for (const nn::ParameterShape& shape : shapes)
    model.parameters.push_back(NamedTensor{shape.name, io::matrix_of(f, shape.name, shape.rows, shape.cols)});
  return model;
}

}  // namespace net
}  // namespace lwnet
