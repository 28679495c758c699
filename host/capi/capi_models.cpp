// Fitted models of either method behind one handle: queries, prediction (class indices, scores,
// output features), and model files, each dispatched to lwnet::kme or lwnet::net.
#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "capi/capi_errors.hpp"
#include "capi/capi_handles.hpp"
#include "capi/capi_matrix.hpp"
#include "lwnet/error.hpp"

namespace lwnet::capi {

namespace {

const kme::KmeModel* as_kme(const lwnet_model& m) { return std::get_if<kme::KmeModel>(&m.model); }
const net::NetModel* as_net(const lwnet_model& m) { return std::get_if<net::NetModel>(&m.model); }

const std::vector<std::string>& classes_of(const lwnet_model& m) {
  return as_kme(m) ? as_kme(m)->classes : as_net(m)->classes;
}

std::int64_t input_dim_of(const lwnet_model& m) { return as_kme(m) ? as_kme(m)->input_dim : as_net(m)->input_dim; }

// The columns of transform(): kme's last-layer width (its k-NN reference has it), backprop's classes.
std::int64_t output_dim_of(const lwnet_model& m) {
  return as_kme(m) ? as_kme(m)->train_outputs.cols() : static_cast<std::int64_t>(as_net(m)->classes.size());
}

// Copies a host result into the caller's output view (host, or the backend's device).
void write_output(Backend& backend, const Matrix<float>& result, MatrixView<float> out) {
  backend.copy(result.cview(), out);
  backend.synchronize();
}

// A model's prediction call: checked inputs, the host copy of X, the backend.
struct PredictCall {
  Backend& backend;
  const lwnet_model& model;
  HostInput x;
};

PredictCall predict_call(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X) {
  Backend& b = *require(backend, "backend").backend;
  const lwnet_model& m = require(model, "model");
  return PredictCall{b, m, HostInput(b, float_view(X, "X", b))};
}

}  // namespace

}  // namespace lwnet::capi

using namespace lwnet::capi;  // NOLINT(google-build-using-namespace): this file's own helpers

extern "C" {

void lwnet_model_free(lwnet_model* model) { delete model; }

lwnet_status lwnet_model_method(const lwnet_model* model, const char** out) {
  return guarded("lwnet_model_method",
                 [&] {
                   const lwnet_model& m = require(model, "model");
                   require(out, "out") = as_kme(m) ? "kme" : lwnet::net::to_string(as_net(m)->options.method);
                 });
}

lwnet_status lwnet_model_num_classes(const lwnet_model* model, int32_t* out) {
  return guarded("lwnet_model_num_classes", [&] {
    require(out, "out") = static_cast<int32_t>(classes_of(require(model, "model")).size());
  });
}

lwnet_status lwnet_model_input_dim(const lwnet_model* model, int64_t* out) {
  return guarded("lwnet_model_input_dim", [&] { require(out, "out") = input_dim_of(require(model, "model")); });
}

lwnet_status lwnet_model_output_dim(const lwnet_model* model, int64_t* out) {
  return guarded("lwnet_model_output_dim", [&] { require(out, "out") = output_dim_of(require(model, "model")); });
}

lwnet_status lwnet_model_class_name(const lwnet_model* model, int32_t j, const char** out) {
  return guarded("lwnet_model_class_name", [&] {
    const std::vector<std::string>& classes = classes_of(require(model, "model"));
    require(out, "out");
    if (j < 0 || static_cast<std::size_t>(j) >= classes.size())
      throw lwnet::InvalidArgument("class " + std::to_string(j) + " is outside [0, " + std::to_string(classes.size()) +
                                   ")");
    *out = classes[static_cast<std::size_t>(j)].c_str();
  });
}

lwnet_status lwnet_model_predict(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                 int32_t* predictions, int64_t count) {
  return guarded("lwnet_model_predict", [&] {
    const PredictCall call = predict_call(backend, model, X);
    require(predictions, "predictions");
    if (count != call.x.view().rows())
      throw lwnet::InvalidArgument("predictions: room for " + std::to_string(count) + " labels, X has " +
                                   std::to_string(call.x.view().rows()) + " rows");
    const std::vector<int> predicted = as_kme(call.model) ? lwnet::kme::predict(call.backend, *as_kme(call.model), call.x.view())
                                                          : lwnet::net::predict(call.backend, *as_net(call.model), call.x.view());
    std::copy(predicted.begin(), predicted.end(), predictions);
  });
}

lwnet_status lwnet_model_scores(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                const lwnet_matrix* out) {
  return guarded("lwnet_model_scores", [&] {
    const PredictCall call = predict_call(backend, model, X);
    const auto o = float_view(out, "out", call.backend);
    if (as_kme(call.model))
      throw lwnet::Unavailable("a kme model has no per-class scores (its predictor is k-NN or the nearest class mean): "
                               "use lwnet_model_transform for its output features");
    const lwnet::net::NetModel& net = *as_net(call.model);
    require_shape(o, "out", call.x.view().rows(), net.num_classes(), "rows of X x classes");
    write_output(call.backend, lwnet::net::outputs(call.backend, net, call.x.view()), o);
  });
}

lwnet_status lwnet_model_transform(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                   const lwnet_matrix* out) {
  return guarded("lwnet_model_transform", [&] {
    const PredictCall call = predict_call(backend, model, X);
    const auto o = float_view(out, "out", call.backend);
    require_shape(o, "out", call.x.view().rows(), output_dim_of(call.model), "rows of X x lwnet_model_output_dim");
    write_output(call.backend,
                 as_kme(call.model) ? lwnet::kme::transform(call.backend, *as_kme(call.model), call.x.view())
                                    : lwnet::net::outputs(call.backend, *as_net(call.model), call.x.view()),
                 o);
  });
}

lwnet_status lwnet_model_save(const lwnet_model* model, const char* path) {
  return guarded("lwnet_model_save", [&] {
    const lwnet_model& m = require(model, "model");
    require(path, "path");
    if (as_kme(m)) {
      lwnet::kme::save_model(*as_kme(m), path);
    } else {
      lwnet::net::save_model(*as_net(m), path);
    }
  });
}

lwnet_status lwnet_model_load(const char* path, lwnet_model** out) {
  return guarded("lwnet_model_load", [&] {
    require(path, "path");
    require(out, "out");
    auto model = std::make_unique<lwnet_model>();
    if (lwnet::model_format(path) == "lwnet.net") {  // IoError when the file is no lwnet model
      model->model = lwnet::net::load_model(path);
    } else {
      model->model = lwnet::kme::load_model(path);
    }
    *out = model.release();
  });
}

}  // extern "C"
