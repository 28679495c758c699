// Prediction with a trained network, in batches of at most the training batch size, sizes as
// equal as possible (batch-norm nets use each batch's statistics, spec 2.1).
#include <algorithm>

#include "lwnet/error.hpp"
#include "lwnet/net.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

nn::Network<float> restore_network(Backend& backend, const NetModel& model) {
  nn::Network<float> net(backend, model.options, model.input_dim, model.num_classes());
  const std::vector<nn::Parameter<float>*> params = net.parameters();
  if (params.size() != model.parameters.size())
    throw InvalidArgument("the model has " + std::to_string(model.parameters.size()) + " parameter tensors but its " +
                          model.options.arch.str() + " network has " + std::to_string(params.size()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    const NamedTensor& t = model.parameters[i];
    nn::Parameter<float>& p = *params[i];
    if (t.name != p.name || t.value.rows() != p.value.rows() || t.value.cols() != p.value.cols())
      throw InvalidArgument("model parameter " + t.name + " (" + describe(t.value.cview()) + ") does not match " +
                            p.name + " (" + describe(p.value.cview()) + ") of the " + model.options.arch.str() +
                            " network");
    backend.copy(t.value.cview(), p.value.view());
  }
  return net;
}

Matrix<float> outputs(Backend& backend, const NetModel& model, MatrixView<const float> X_raw) {
  model.options.validate();
  if (model.num_classes() < 2) throw InvalidArgument("predict: the model has fewer than 2 classes");
  check_batch_norm_rows(model.options, X_raw.rows(), "predict");
  const Matrix<float> X_host = preprocess(model, X_raw, "predict");
  nn::Network<float> net = restore_network(backend, model);
  net.require_activation_memory(std::min<std::int64_t>(model.options.batch_size, X_host.rows()), false, "predict");
  const Matrix<float> X = backend.upload(X_host.cview());
  Matrix<float> out = Matrix<float>::host(X.rows(), model.num_classes());
  for (const Batch& b : batches_of(X.rows(), model.options.batch_size))
    backend.copy(net.forward(X.cview().row_range(b.start, b.rows)), out.view().row_range(b.start, b.rows));
  return out;
}

std::vector<int> predict(Backend& backend, const NetModel& model, MatrixView<const float> X_raw) {
  const Matrix<float> F = outputs(backend, model, X_raw);
  std::vector<int> predicted(static_cast<std::size_t>(F.rows()));
  for (std::int64_t i = 0; i < F.rows(); ++i) {
    const float* row = F.data() + i * F.cols();
    predicted[static_cast<std::size_t>(i)] = static_cast<int>(std::max_element(row, row + F.cols()) - row);
  }
  return predicted;
}

}  // namespace lwnet::net
