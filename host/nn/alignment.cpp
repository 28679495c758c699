#include "nn/alignment.hpp"

#include <cmath>

#include "lwnet/error.hpp"
#include "nn/rule_parts.hpp"

namespace lwnet::nn {

template <class T>
AlignZeroRecorder<T>::AlignZeroRecorder(Backend& backend, const net::NetOptions& options, Network<T>& net)
    : backend_(backend),
      learning_rate_(static_cast<T>(options.effective_learning_rate())),
      initial_(copy_of(backend, options, net)) {
  for (const HiddenBlock<T>& block : net.blocks()) {
    const Matrix<T>& w = block.linear->weight().value;
    changes_.push_back(backend.allocate<T>(w.rows(), w.cols()));
    backend.nn().fill(changes_.back().view(), T(0));
  }
}

template <class T>
void AlignZeroRecorder<T>::compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) {
  net.backward(output_error);
  initial_->forward(X);
  initial_->backward(output_error);
  const std::vector<HiddenBlock<T>>& blocks = initial_->blocks();
  for (std::size_t l = 0; l < blocks.size(); ++l)
    backend_.blas().axpy(-learning_rate_, blocks[l].linear->weight().grad.cview(), changes_[l].view());
}

bool ProjectionSums::finite() const { return std::isfinite(pq) && std::isfinite(pp) && std::isfinite(qq); }

template <class T>
std::vector<double> normalised_projection(Backend& backend, LinearMap<T>& map, MatrixView<const T> noise,
                                          MatrixView<const T> change) {
  if (noise.cols() != map.input_features())
    throw InvalidArgument("normalised_projection: noise of " + std::to_string(noise.cols()) +
                          " features for a layer of " + std::to_string(map.input_features()));
  backend.copy(change, map.weight().value.view());
  backend.nn().fill(map.bias().value.view(), T(0));
  const MatrixView<const T> forward = map.forward(noise);
  const Matrix<T> P = backend.download(map.backward_input(forward, map.weight().value.cview()));
  std::vector<double> p(static_cast<std::size_t>(P.size()));
  double abs_sum = 0.0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    p[k] = static_cast<double>(P.data()[k]);
    abs_sum += std::abs(p[k]);
  }
  const double mean_abs = abs_sum / static_cast<double>(p.size());
  for (double& v : p) v /= mean_abs;  // 0/0 when the change is zero: a NaN draw, skipped
  return p;
}

ProjectionSums projection_sums(const std::vector<double>& p, const std::vector<double>& q, std::int64_t rows) {
  ProjectionSums s;
  for (std::size_t k = 0; k < p.size(); ++k) {
    s.pq += p[k] * q[k];
    s.pp += p[k] * p[k];
    s.qq += q[k] * q[k];
  }
  s.pq /= static_cast<double>(rows);
  s.pp /= static_cast<double>(rows);
  s.qq /= static_cast<double>(rows);
  return s;
}

namespace {

template <class T>
class Borrowed final : public LearningRule<T> {
 public:
  explicit Borrowed(LearningRule<T>& rule) : rule_(rule) {}
  void compute_gradients(Network<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) override {
    rule_.compute_gradients(net, X, output_error);
  }
  std::vector<Parameter<T>*> trained_parameters(Network<T>& net) override { return rule_.trained_parameters(net); }

 private:
  LearningRule<T>& rule_;
};

}  // namespace

template <class T>
std::unique_ptr<LearningRule<T>> borrowed(LearningRule<T>& rule) {
  return std::make_unique<Borrowed<T>>(rule);
}

template class AlignZeroRecorder<float>;
template class AlignZeroRecorder<double>;
template std::vector<double> normalised_projection<float>(Backend&, LinearMap<float>&, MatrixView<const float>,
                                                          MatrixView<const float>);
template std::vector<double> normalised_projection<double>(Backend&, LinearMap<double>&, MatrixView<const double>,
                                                           MatrixView<const double>);
template std::unique_ptr<LearningRule<float>> borrowed<float>(LearningRule<float>&);
template std::unique_ptr<LearningRule<double>> borrowed<double>(LearningRule<double>&);

}  // namespace lwnet::nn
