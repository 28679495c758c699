// Trained networks: dense and convolutional nets fitted by SGD or Adam on mini-batches, on any
// backend with the NnOps and Blas families. How each layer's weight update is formed is the
// learning rule (Method): ordinary backprop here; the layer-wise rules of spec section 2 (Align,
// FA, DFA) plug into the same networks.
//
// Parameterisation (spec 2.1): `ntk` draws W ~ N(0, 1) and scales each linear map by
// 1/sqrt(fan_in) in the forward pass (biases 0); `standard` draws W ~ N(0, 1/fan_in) with no
// scale. Batch normalisation (":bn") has no affine parameters and uses the batch's statistics per
// feature position, in training and at prediction alike (no running averages), so predictions of
// a ":bn" net depend on the batch: lwnet trains and predicts in ceil(n / batch_size) batches of
// sizes as equal as possible (never a lone row when n > 1), in the order given; a single row is
// refused by a ":bn" net.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/preprocess.hpp"

namespace lwnet::net {

// `dense:WIDTHxDEPTH` (DEPTH hidden layers of WIDTH units, then a linear readout) or
// `conv:WIDTH:S1,S2,...` (3x3 SAME convolutions of WIDTH channels with those strides, then
// global average pooling and a linear readout), each optionally followed by `:bn`.
struct LWNET_API Architecture {
  enum class Kind { dense, conv };
  static constexpr std::int64_t kMaxWidth = 1 << 16;
  static constexpr int kMaxDepth = 1000;

  Kind kind = Kind::dense;
  std::int64_t width = 256;
  int depth = 2;             // dense: hidden layers (0: a linear model)
  std::vector<int> strides;  // conv: one per convolution
  bool batch_norm = false;

  // Throws InvalidArgument quoting the text and saying what is expected.
  static Architecture parse(const std::string& text);
  std::string str() const;
  int hidden_layers() const { return kind == Kind::dense ? depth : static_cast<int>(strides.size()); }
};

// Height x width x channels of an image input, HWC order in each row.
struct LWNET_API ImageShape {
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t channels = 0;

  bool empty() const { return height == 0; }
  std::int64_t features() const { return height * width * channels; }
  // "28x28x1"; parse throws InvalidArgument.
  static ImageShape parse(const std::string& text);
  std::string str() const;
};

// kme: the closed-form network (lwnet/kme.hpp); backprop ... last-layer train a network by
// mini-batches with a learning rule (spec section 2.2: how each layer's update is formed from the
// output error); dgl and hsic_bottleneck train each hidden layer on a local loss of a kernel matrix
// of its outputs on the batch (spec sections 3 and 4), then a readout on the frozen layers.
enum class Method { kme, backprop, align_zero, align_ada, align_prop, fa, dfa, last_layer, dgl, hsic_bottleneck };
// ntk and standard: spec 2.1; torch: PyTorch's nn.Linear default, W and b ~ U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) with no forward scale (what the DGL and HSIC-bottleneck references use).
enum class Init { ntk, standard, torch };
enum class LossKind { cross_entropy, mse };
enum class OptimizerKind { sgd, adam };

LWNET_API const char* to_string(Method m);
LWNET_API const char* to_string(Init i);
LWNET_API const char* to_string(LossKind l);
LWNET_API const char* to_string(OptimizerKind o);
// Each throws InvalidArgument listing the accepted names.
LWNET_API Method parse_method(const std::string& text);
LWNET_API Init parse_init(const std::string& text);
LWNET_API LossKind parse_loss(const std::string& text);
LWNET_API OptimizerKind parse_optimizer(const std::string& text);

// Deep Gaussian Layer-wise losses (spec section 3, a reading of Ben-David & Ringel: docs/DGL.md).
// Layer l is trained on DGL_l, the GP negative log marginal likelihood of the batch's targets
// under the NNGP kernel of infinitely wide ReLU layers above it (K0 = sw2 h h^T / N_l + sb2, one
// arc-cosine step per hidden layer above l), A = K + noise I.
struct LWNET_API DglOptions {
  double sw2 = 2.0;           // weight variance of the NNGP layers above
  double sb2 = 0.0;           // bias variance
  double noise = 0.1;         // s2, the GP's noise ("temperature")
  bool center_targets = true; // one-hot targets minus the class frequencies of the batch
  // After the last layer the readout is linear least squares on its outputs, with a bias column
  // (the spec's GP-regression readout is not offered: docs/DGL.md).
  // --method backprop only: report DGL_l of every hidden layer after each epoch (EpochRecord::layer_losses).
  bool monitor = false;
};

// The HSIC bottleneck (spec section 4, the code choasma/HSIC-bottleneck): every hidden block is
// trained on nHSIC(Z_i, X) - beta nHSIC(Z_i, Y) with Gaussian kernels of width sigma * sqrt(dim),
// then (format) the readout by cross-entropy on the frozen network.
struct LWNET_API HsicBottleneckOptions {
  double sigma = 5.0;
  double beta = 50.0;
  double epsilon = 1e-5;  // the ridge eps m of R = KH (KH + eps m I)^{-1}
  // The code's unformatted variant ("hsic-solve"): the last hidden block has one unit per class,
  // and the readout is the assignment of units to classes (each class in turn takes the free unit
  // with the largest mean output over its training rows), fixed after every epoch; no readout is
  // trained. Dense nets only.
  bool unformatted = false;
  // The "format" readout (Linear + cross-entropy, plain SGD), trained after the hidden layers.
  int readout_epochs = 5;
  double readout_learning_rate = 0.005;
  double readout_weight_decay = 1e-3;
  std::int64_t readout_batch_size = 256;
};

struct LWNET_API NetOptions {
  static constexpr int kMaxEpochs = 1000000;
  static constexpr std::int64_t kMaxBatchSize = 1 << 24;

  Method method = Method::backprop;
  Architecture arch;
  ImageShape image;  // required by conv nets; empty for dense ones (a dense net flattens an image)
  int epochs = 10;
  std::int64_t batch_size = 100;
  OptimizerKind optimizer = OptimizerKind::sgd;
  double learning_rate = 0.0;  // 0: default_learning_rate(optimizer, init); see effective_learning_rate()
  double momentum = 0.9;       // SGD only
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  Init init = Init::ntk;
  LossKind loss = LossKind::cross_entropy;
  double bn_epsilon = 1e-6;    // the Align code's value
  std::uint64_t seed = 0;
  StandardizeMode standardize = StandardizeMode::train;  // train or none
  DglOptions dgl;               // method dgl (and dgl.monitor with backprop)
  HsicBottleneckOptions hsic;   // method hsic_bottleneck

  // Throws InvalidArgument naming the option (as the CLI spells it) when a value is out of range.
  void validate() const;
  // learning_rate, or the default for the optimiser and parameterisation when it is 0.
  double effective_learning_rate() const;
};

// NetOptions with the spec's defaults for `method`: dgl (spec 3): Adam lr 1e-3, batch 64, init
// torch, 30 epochs per layer; hsic_bottleneck (spec 4, the code's): plain SGD lr 1e-4, weight decay
// 1e-3, batch 512, 5 epochs, init torch, batch-norm epsilon 1e-5; the others: NetOptions{} with
// `method` set.
LWNET_API NetOptions defaults_for(Method method);

// How many epochs train() reports (EpochRecord::epoch runs to it): dgl trains each hidden layer
// for `epochs` epochs, hsic_bottleneck adds the readout's epochs (none when unformatted).
LWNET_API int reported_epochs(const NetOptions& options);

// The default step size: under the NTK parameterisation a weight's update moves a layer's output
// fan_in times less than under the standard one (SGD) or sqrt(fan_in) times less (Adam), so its
// steps are larger: sgd 1 (ntk) or 0.05 (standard); adam 0.01 (ntk) or 0.001 (standard).
LWNET_API double default_learning_rate(OptimizerKind optimizer, Init init);

// One epoch's figures. Accuracies are NaN where there was nothing to measure.
struct LWNET_API EpochRecord {
  int epoch = 0;                  // 1-based
  double loss = 0.0;              // mean training loss over the epoch's batches
  double train_accuracy = 0.0;    // of the live network on each batch before its update (dgl: of the
                                  // network up to the trained layer, with its least-squares readout,
                                  // on the whole training set after the epoch)
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;           // the epoch's training time alone (no evaluation)
  double samples_per_second = 0.0;
  // Layer-wise methods: what the epoch trained ("layer 2" of dgl, "hidden layers" or "readout" of
  // hsic-bottleneck); empty for end-to-end training.
  std::string stage;
  // The local loss of each hidden layer l = 1..L (NaN where not measured), means over the epoch:
  // dgl, the trained layer's DGL_l; hsic-bottleneck, each block's loss; DglOptions::monitor, DGL_l
  // of every layer on the first batches of the training set after the epoch. Empty otherwise.
  std::vector<double> layer_losses;
  // dgl: the largest jitter added to a batch kernel's diagonal so that its Cholesky factor exists
  // (0 when none was needed).
  double jitter = 0.0;
};
using EpochCallback = std::function<void(const EpochRecord&)>;

// Where training stands inside an epoch: reported before each batch is queued, from the host and
// without waiting for the device, so a caller can stop a long epoch (throw, e.g. Cancelled)
// within one batch.
struct LWNET_API BatchProgress {
  int epoch = 0;             // 1-based
  std::int64_t batch = 0;    // 1-based, of `batches`
  std::int64_t batches = 0;  // per epoch
};
using BatchCallback = std::function<void(const BatchProgress&)>;

// A parameter tensor of the trained network, on the host: "layer.1.weight" (fan_in x fan_out),
// "layer.1.bias" (1 x fan_out), ..., "readout.weight", "readout.bias".
struct LWNET_API NamedTensor {
  std::string name;
  Matrix<float> value;
};

struct LWNET_API NetModel {
  static constexpr int kFormatVersion = 1;

  NetOptions options;
  std::int64_t input_dim = 0;
  std::vector<std::string> classes;
  Standardizer statistics;  // empty when options.standardize == none
  std::vector<NamedTensor> parameters;
  std::vector<EpochRecord> history;  // not saved in model files
  double fit_seconds = 0.0;

  int num_classes() const { return static_cast<int>(classes.size()); }
};

// Held-out data evaluated after every epoch (raw, as given to train()).
struct LWNET_API EvalSet {
  MatrixView<const float> X;
  const Labels* labels = nullptr;
};

// Preprocesses the raw training data (options.standardize) and trains the network. Labels are
// 0..c-1 with `classes` naming them. Deterministic for a seed on a given backend: bitwise the
// same on the CPU at any thread count. `progress` is called after each epoch and
// `batch_progress` before each batch; either may throw (e.g. Cancelled) to stop training, and
// nothing is returned then.
LWNET_API NetModel train(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
               const std::vector<std::string>& classes, const NetOptions& options, const EvalSet& test = {},
               const EpochCallback& progress = {}, const BatchCallback& batch_progress = {});

// The network's outputs (logits, m x c, host) for a raw batch, in batches of options.batch_size.
LWNET_API Matrix<float> outputs(Backend& backend, const NetModel& model, MatrixView<const float> X_raw);
// Class indices 0..c-1 (the first maximal output).
LWNET_API std::vector<int> predict(Backend& backend, const NetModel& model, MatrixView<const float> X_raw);

// Model files (safetensors, metadata format "lwnet.net"): atomic write; load validates every
// shape against the architecture and throws IoError naming the file.
LWNET_API void save_model(const NetModel& model, const std::string& path);
LWNET_API NetModel load_model(const std::string& path);

}  // namespace lwnet::net

namespace lwnet {
// The `format` metadata of a model file ("lwnet.kme" or "lwnet.net"), read from its header alone;
// IoError when the file is not an lwnet model.
LWNET_API std::string model_format(const std::string& path);
}  // namespace lwnet
