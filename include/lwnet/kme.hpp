// The closed-form layer-wise network of Wu, Masoomi, Gretton and Dy (AISTATS 2022), spec section 1:
// each layer's weights are the class kernel mean embeddings normalised to unit RKHS norm, layers
// are added while the normalised HSIC between the layer's output kernel and the labels improves,
// and prediction is k-nearest neighbours (or the nearest class mean, or argmax) on the last
// layer's outputs. Everything here is in lwnet::kme; the trained networks are lwnet::net (net.hpp).
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

namespace lwnet::kme {

// rho_j, the RKHS norm of class j's embedding: exact, or the reference implementation's estimate
// from 200 random Fourier features drawn exactly as scikit-learn's RBFSampler(random_state=1)
// draws them (numpy's legacy MT19937 stream), the same map at every call.
enum class RhoMethod { exact, rff };
enum class Predictor { knn, mean, argmax };
// How each layer's width, and whether to add the layer at all, are chosen.
enum class Selection {
  // The paper's rule (spec 1.3): the first width of the grid whose training normalised HSIC
  // beats the last layer's. It fits the training set; on image-like data it can accept a
  // memorising width.
  hsic,
  // Generalisation-aware: a stratified, seeded part of the training set (validation_fraction)
  // is held out; every width of each layer's grid is fitted on the rest and scored by the
  // model's predictor (k-NN by default) on the held-out part, ties broken by the held-out
  // normalised HSIC; the best width is kept if it beats the network without the layer, else
  // growing stops (the network may keep zero layers). Then the chosen widths are refitted on
  // the whole training set.
  validation,
};

LWNET_API const char* to_string(RhoMethod method);
LWNET_API const char* to_string(Predictor predictor);
LWNET_API const char* to_string(Selection selection);
LWNET_API RhoMethod parse_rho_method(const std::string& text);
LWNET_API Predictor parse_predictor(const std::string& text);
LWNET_API Selection parse_selection(const std::string& text);

struct LWNET_API KmeOptions {
  // Bounds validate() enforces: generous for any real fit (the paper's protocol uses at most 29
  // layers and 40 widths), and what keeps a typo from allocating or running without end.
  static constexpr int kMaxLayersLimit = 1000;
  static constexpr int kSigmaCountLimit = 1000;
  static constexpr int kRffFeaturesLimit = 100000;
  // A kernel width is usable in [1e-18, 1e18] (validate(GramParams)); every candidate grid runs
  // between an HSIC-optimal width and sigma_smallest, so sigma_smallest must lie there too.
  static constexpr double kSigmaSmallestMin = 1e-18;
  static constexpr double kSigmaSmallestMax = 1e18;
  // The held-out part of Selection::validation: enough to score a width, enough left to fit.
  static constexpr double kValidationFractionMin = 0.05;
  static constexpr double kValidationFractionMax = 0.5;

  int max_layers = 29;
  double sigma_smallest = 0.05;  // last width of every candidate grid
  int sigma_count = 20;          // widths per candidate grid (both ends included)
  double hsic_threshold = 0.95;  // stop once the accepted layer's normalised HSIC exceeds it; in (0, 1]
  double initial_hsic = 0.1;     // the first layer must beat this (the reference's start)
  RhoMethod rho = RhoMethod::exact;
  int rff_features = 200;        // --rho rff: features of the estimate
  bool extra_columns = true;     // the reference code's misclassified-class columns (spec 1.1)
  Predictor predictor = Predictor::knn;
  int knn_k = 5;
  std::int64_t sigma_sample = 200;  // rows of the median-heuristic / HSIC-width subsample
  double input_sigma_floor = 0.1;   // opt_sigma floor on the raw input
  double layer_sigma_floor = 0.01;  // opt_sigma floor on layer outputs
  std::uint64_t seed = 0;
  Selection selection = Selection::hsic;
  double validation_fraction = 0.2;  // Selection::validation: the held-out part, in [0.05, 0.5]

  // Throws InvalidArgument naming the option when a value is out of range.
  void validate() const;
};

// One accepted layer. Its output for a point z is
//   column j < c:   (1 / rho_j) sum_{i in S_j} k_sigma(z_i, z)
//   extra column e: sum_{i in extra_rows[e]} k_sigma(z_i, z)
// with z_i the stored training rows of the layer's input.
struct LWNET_API KmeLayer {
  double sigma = 0.0;        // s_l: the layer's kernel width
  double sigma_beta = 0.0;   // s_beta: the width of the HSIC kernel on its output
  double hsic = 0.0;         // normalised HSIC (code variant) of the layer's training output
  double seconds = 0.0;      // time spent on this layer (its sigma scan included)
  int candidates_tried = 0;  // widths evaluated before this one was accepted (inclusive)
  std::vector<double> rho;   // c within-class norms
  std::vector<int> extra_classes;                  // class j of each extra column, ascending
  std::vector<std::vector<std::int64_t>> extra_rows;  // the misclassified training rows of class j
  Matrix<float> input;       // (n, m_{l-1}) host: the layer's training input Z^{l-1}

  std::int64_t input_width() const { return input.cols(); }
  std::int64_t output_width(int num_classes) const {
    return num_classes + static_cast<std::int64_t>(extra_rows.size());
  }
};

struct LWNET_API KmeModel {
  static constexpr int kFormatVersion = 1;

  KmeOptions options;
  StandardizeMode standardize = StandardizeMode::train;
  double noise = 0.0;                // std of the noise added to the raw training data
  Standardizer statistics;           // training statistics (empty when standardize == none)
  std::int64_t input_dim = 0;        // d
  std::vector<std::string> classes;  // original label text of class j
  std::vector<int> train_labels;     // y_i in [0, c)
  std::vector<KmeLayer> layers;      // may be empty: then prediction uses the preprocessed input
  Matrix<float> train_outputs;       // (n, m_L) host: Z^L, the k-NN reference
  double fit_seconds = 0.0;
  // Selection::validation, from the fit (not saved in model files): the held-out accuracy of the
  // network cut after 0, 1, ..., L layers; empty otherwise.
  std::vector<double> held_out_accuracy;

  int num_classes() const { return static_cast<int>(classes.size()); }
  std::int64_t num_train() const { return static_cast<std::int64_t>(train_labels.size()); }
  // Normalised HSIC of the last layer (0 without layers).
  double final_hsic() const { return layers.empty() ? 0.0 : layers.back().hsic; }
};

// Reported after each width tried, after each accepted layer, and once when growing stops.
struct LWNET_API LayerProgress {
  enum class Event { width_tried, layer_accepted, stopped };
  Event event = Event::layer_accepted;
  int layer = 0;                       // 1-based: the layer being grown (or, when stopped, the count)
  const KmeLayer* accepted = nullptr;  // layer_accepted only
  std::string stop_reason;             // stopped only
  // width_tried: the candidate (1-based) of `widths` in this layer's grid, its width and
  // normalised HSIC, and the seconds since the layer began.
  int width = 0;
  int widths = 0;
  double sigma = 0.0;
  double hsic = 0.0;
  double layer_seconds = 0.0;
  // Selection::validation: the held-out score (the predictor's accuracy) of the width tried, and
  // `hsic` is its held-out normalised HSIC; NaN with Selection::hsic.
  double held_out_accuracy = std::numeric_limits<double>::quiet_NaN();
};
using ProgressCallback = std::function<void(const LayerProgress&)>;

// Fits the network on already-preprocessed training data X (n x d, host) with labels 0..c-1.
// `classes` names the classes (size c). The returned model holds everything prediction needs;
// its preprocessing fields are left for the caller (see train()).
LWNET_API KmeModel fit_kme(Backend& backend, MatrixView<const float> X, const Labels& labels,
                 const std::vector<std::string>& classes, const KmeOptions& options,
                 const ProgressCallback& progress = {});

// Preprocessing of the raw training data (spec 1.5): noise (std `noise`, seeded by
// options.seed) added to the raw X, then standardisation with the training statistics.
struct LWNET_API TrainConfig {
  KmeOptions options;
  StandardizeMode standardize = StandardizeMode::train;
  double noise = 0.0;
};

// Preprocesses raw training data as `config` says and fits the network.
LWNET_API KmeModel train(Backend& backend, MatrixView<const float> X_raw, const Labels& labels,
               const std::vector<std::string>& classes, const TrainConfig& config,
               const ProgressCallback& progress = {});

// The model's preprocessing applied to a raw batch (host copy).
LWNET_API Matrix<float> preprocess(const KmeModel& model, MatrixView<const float> X_raw);

// Last-layer outputs Z^L (m x m_L, host) of a raw batch (host).
LWNET_API Matrix<float> transform(Backend& backend, const KmeModel& model, MatrixView<const float> X_raw);

// Class indices (0..c-1) of a raw batch with the model's predictor.
LWNET_API std::vector<int> predict(Backend& backend, const KmeModel& model, MatrixView<const float> X_raw);

// Class indices from last-layer outputs (m x m_L, host) with the model's predictor.
LWNET_API std::vector<int> predict_from_outputs(Backend& backend, const KmeModel& model, MatrixView<const float> outputs);

// Model files: the safetensors layout (8-byte little-endian header length, JSON header with
// dtype/shape/data_offsets and a string-to-string __metadata__, then little-endian tensors).
// save_model writes a temporary file and renames it over `path`; load_model validates everything
// and throws IoError naming the file.
LWNET_API void save_model(const KmeModel& model, const std::string& path);
LWNET_API KmeModel load_model(const std::string& path);

}  // namespace lwnet::kme
