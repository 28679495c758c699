// The feedback-alignment family (spec section 2.2): the live network's backward pass with fixed
// matrices in place of W^T — the initial weights W0 (Align-prop) or random B of W's shape and
// scale (FA) — or the output error projected straight onto every hidden layer (DFA). Live
// activations, ReLU' and batch norms throughout; the parameter gradients use the live inputs.
#include <cmath>
#include <vector>

#include "nn/rule_parts.hpp"

namespace lwnet::nn {

namespace {

// Counter streams of their own for the feedback matrices, apart from the network's weights.
constexpr std::uint64_t kFeedbackSalt = 0x6a09e667f3bcc908ULL;
constexpr std::uint64_t kDirectFeedbackSalt = 0xbb67ae8584caa73bULL;

// Sends the signal down with another network's weights: theta_0's (Align-prop) or a network of
// the same architecture drawn from another seed (FA: B ~ N(0, 1) under the NTK parameterisation,
// scaled by 1/sqrt(fan_in) in the backward pass as W is in the forward one).
template <class T>
class FixedFeedback final : public LearningRule<T> {
 public:
  FixedFeedback(std::unique_ptr<Network<T>> feedback, bool random) : feedback_(std::move(feedback)), random_(random) {}

  void compute_gradients(Network<T>& net, MatrixView<const T>, MatrixView<const T> output_error) override {
    backward_with_feedback<T>(net, output_error, [&](int l) -> MatrixView<const T> {
      if (l < 0) return feedback_->readout().weight().value.cview();
      return feedback_->blocks()[static_cast<std::size_t>(l)].linear->weight().value.cview();
    });
  }

  std::vector<MatrixView<const T>> feedback() const override {
    std::vector<MatrixView<const T>> matrices;
    if (!random_) return matrices;  // Align-prop's are theta_0's weights
    for (const HiddenBlock<T>& block : feedback_->blocks()) matrices.push_back(block.linear->weight().value.cview());
    matrices.push_back(feedback_->readout().weight().value.cview());
    return matrices;
  }

 private:
  std::unique_ptr<Network<T>> feedback_;
  bool random_;
};

// DFA: every hidden layer's post-ReLU output a^l (N x features_l) gets d a^l = e B_l^T with a fixed
// B_l (features_l x classes) ~ N(0, 1 / features_l); the last hidden layer gets no signal through
// the readout, which gets the ordinary gradient.
template <class T>
class DirectFeedback final : public LearningRule<T> {
 public:
  DirectFeedback(Backend& backend, const net::NetOptions& options, Network<T>& net) : backend_(backend) {
    std::uint64_t offset = 0;
    for (const HiddenBlock<T>& block : net.blocks()) {
      const std::int64_t features = block.activation->output_features();
      Matrix<T> B = backend.allocate<T>(features, net.num_classes());
      RandomDraw draw;
      draw.distribution = Distribution::normal;
      draw.seed = options.seed ^ kDirectFeedbackSalt;
      draw.offset = offset;
      draw.b = 1.0 / std::sqrt(static_cast<double>(features));
      backend.nn().fill_random(B.view(), draw);
      offset += static_cast<std::uint64_t>(B.size());
      feedback_.push_back(std::move(B));
      signal_.emplace_back(backend, features);
    }
  }

  void compute_gradients(Network<T>& net, MatrixView<const T>, MatrixView<const T> output_error) override {
    net.readout().backward_parameters(output_error);
    const auto& blocks = net.blocks();
    for (std::size_t l = 0; l < blocks.size(); ++l) {
      const MatrixView<T> da = signal_[l].rows(output_error.rows());
      backend_.blas().gemm(Transpose::no, Transpose::yes, T(1), output_error, feedback_[l].cview(), T(0), da);
      blocks[l].linear->backward_parameters(through_block_tail(blocks[l], MatrixView<const T>(da)));
    }
  }

  std::vector<MatrixView<const T>> feedback() const override {
    std::vector<MatrixView<const T>> matrices;
    for (const Matrix<T>& B : feedback_) matrices.push_back(B.cview());
    return matrices;
  }

 private:
  Backend& backend_;
  std::vector<Matrix<T>> feedback_;
  std::vector<RowBuffer<T>> signal_;
};

}  // namespace

template <class T>
std::unique_ptr<LearningRule<T>> make_align_prop(Backend& backend, const net::NetOptions& options, Network<T>& net) {
  return std::make_unique<FixedFeedback<T>>(copy_of(backend, options, net), false);
}

template <class T>
std::unique_ptr<LearningRule<T>> make_feedback_alignment(Backend& backend, const net::NetOptions& options,
                                                         Network<T>& net) {
  auto random = std::make_unique<Network<T>>(backend, options, net.input_features(), net.num_classes());
  random->initialise(options.seed ^ kFeedbackSalt);
  return std::make_unique<FixedFeedback<T>>(std::move(random), true);
}

template <class T>
std::unique_ptr<LearningRule<T>> make_direct_feedback_alignment(Backend& backend, const net::NetOptions& options,
                                                                Network<T>& net) {
  return std::make_unique<DirectFeedback<T>>(backend, options, net);
}

#define LWNET_FEEDBACK_RULES(T)                                                                                      \
  template std::unique_ptr<LearningRule<T>> make_align_prop<T>(Backend&, const net::NetOptions&, Network<T>&);         \
  template std::unique_ptr<LearningRule<T>> make_feedback_alignment<T>(Backend&, const net::NetOptions&, Network<T>&); \
  template std::unique_ptr<LearningRule<T>> make_direct_feedback_alignment<T>(Backend&, const net::NetOptions&,        \
                                                                              Network<T>&);
LWNET_FEEDBACK_RULES(float)
LWNET_FEEDBACK_RULES(double)
#undef LWNET_FEEDBACK_RULES

}  // namespace lwnet::nn
