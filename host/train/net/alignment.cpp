// lwnet::net::alignment_scores (lwnet/alignment.hpp, spec 2.4): net::train's loop with a rule that
// records the Align-zero update beside backprop, then the noise projections of every hidden layer.
#include "lwnet/alignment.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/random.hpp"
#include "nn/alignment.hpp"
#include "train/net/net_internal.hpp"

namespace lwnet::net {

namespace {

constexpr std::uint64_t kNoiseSalt = 0x414c49474e4f4953ULL;
constexpr std::uint64_t kShuffleWeightsSalt = 0x5348554646574754ULL;

// The host matrix's entries in a seeded random order.
Matrix<float> shuffled(const Matrix<float>& W, Rng& rng) {
  const std::vector<std::int64_t> order = rng.sample_without_replacement(W.size(), W.size());
  Matrix<float> out = Matrix<float>::host(W.rows(), W.cols());
  for (std::int64_t k = 0; k < W.size(); ++k) out.data()[k] = W.data()[order[static_cast<std::size_t>(k)]];
  return out;
}

double score_of(double pq, double pp, double qq, int draws) {
  return draws > 0 ? pq / std::sqrt(pp * qq) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

void AlignmentOptions::validate() const {
  if (draws < 1 || draws > kMaxDraws)
    throw InvalidArgument("--draws must be in [1, " + std::to_string(kMaxDraws) + "]");
  if (noise_batch < 1 || noise_batch > NetOptions::kMaxBatchSize)
    throw InvalidArgument("--noise-batch must be in [1, " + std::to_string(NetOptions::kMaxBatchSize) + "]");
}

void check_alignment_options(const NetOptions& options, const AlignmentOptions& alignment) {
  alignment.validate();
  if (options.method != Method::backprop)
    throw InvalidArgument(std::string("alignment_scores trains a backprop network, not --method ") +
                          to_string(options.method));
  if (options.optimizer != OptimizerKind::sgd || options.momentum != 0.0 || options.weight_decay != 0.0)
    throw InvalidArgument("the alignment score compares backprop with the Align-zero update under plain SGD "
                          "(spec 2.4): use --optimizer sgd --momentum 0 and no --weight-decay");
}

AlignmentResult alignment_scores(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
                                 const std::vector<std::string>& classes, const NetOptions& options,
                                 const AlignmentOptions& alignment, const EvalSet& test, const EpochCallback& progress,
                                 const BatchCallback& batch_progress) {
  check_alignment_options(options, alignment);
  std::unique_ptr<nn::AlignZeroRecorder<float>> recorder;
  AlignmentResult result;
  result.model = train_with_rule(backend, X_raw, labels, classes, options, test, progress, batch_progress,
                                 [&](nn::Network<float>& net) {
                                   recorder = std::make_unique<nn::AlignZeroRecorder<float>>(backend, options, net);
                                   return nn::borrowed<float>(*recorder);
                                 },
                                 2);
  nn::Network<float>& initial = recorder->initial();
  Rng shuffle_rng(alignment.seed ^ kShuffleWeightsSalt);
  std::uint64_t noise_offset = 0;
  for (std::size_t l = 0; l < initial.blocks().size(); ++l) {
    nn::LinearMap<float>& map = *initial.blocks()[l].linear;
    const std::string& name = map.weight().name;
    const Matrix<float> W0 = backend.download(map.weight().value.cview());
    const Matrix<float>* trained = nullptr;
    for (const NamedTensor& p : result.model.parameters)
      if (p.name == name) trained = &p.value;
    if (trained == nullptr) throw InvalidArgument("alignment_scores: no trained " + name);  // a bug if reached
    // dW and the control's change, W_trained (shuffled) - W_0, on the backend.
    Matrix<float> change = Matrix<float>::host(W0.rows(), W0.cols());
    Matrix<float> control = shuffled(*trained, shuffle_rng);
    for (std::int64_t k = 0; k < W0.size(); ++k) {
      change.data()[k] = trained->data()[k] - W0.data()[k];
      control.data()[k] -= W0.data()[k];
    }
    const Matrix<float> dW = backend.upload(change.cview());
    const Matrix<float> dW_control = backend.upload(control.cview());
    const MatrixView<const float> dW_ref = recorder->align_zero_changes()[l].cview();

    Matrix<float> noise = backend.allocate<float>(alignment.noise_batch, map.input_features());
    nn::ProjectionSums sum, sum_control;
    LayerAlignment layer;
    layer.layer = name.substr(0, name.rfind('.'));
    for (int d = 0; d < alignment.draws; ++d) {
      RandomDraw draw;
      draw.distribution = Distribution::normal;
      draw.seed = alignment.seed ^ kNoiseSalt;
      draw.offset = noise_offset;
      noise_offset += static_cast<std::uint64_t>(noise.size());
      backend.nn().fill_random(noise.view(), draw);
      const std::vector<double> q = nn::normalised_projection(backend, map, noise.cview(), dW_ref);
      const nn::ProjectionSums s =
          nn::projection_sums(nn::normalised_projection(backend, map, noise.cview(), dW.cview()), q, noise.rows());
      if (s.finite()) {
        sum.pq += s.pq, sum.pp += s.pp, sum.qq += s.qq;
        ++layer.draws;
      }
      const nn::ProjectionSums c = nn::projection_sums(
          nn::normalised_projection(backend, map, noise.cview(), dW_control.cview()), q, noise.rows());
      if (c.finite()) {
        sum_control.pq += c.pq, sum_control.pp += c.pp, sum_control.qq += c.qq;
        ++layer.shuffled_draws;
      }
    }
    layer.score = score_of(sum.pq, sum.pp, sum.qq, layer.draws);
    layer.shuffled_score = score_of(sum_control.pq, sum_control.pp, sum_control.qq, layer.shuffled_draws);
    result.layers.push_back(layer);
  }
  return result;
}

}  // namespace lwnet::net
