// Building one layer of the closed-form network (spec 1.1-1.3) on the training rows: the step both
// width-selection rules take for every width they try.
#pragma once

#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/random.hpp"

namespace lwnet::kme {

// A representation of the training rows (Z^{l-1}, or a layer's output) on the host and on the backend.
struct Representation {
  Matrix<float> host;
  Matrix<float> device;

  static Representation of(Backend& backend, Matrix<float> host);
};

// A layer of width sigma built on the training rows: its class norms, its output Z^l, and the
// HSIC width s_beta = opt_sigma(Z^l) with the normalised HSIC (code variant) of K_{s_beta}(Z^l)
// against the labels: what the paper's rule decides on and the model reports.
struct BuiltLayer {
  double sigma = 0.0;
  double sigma_beta = 0.0;
  double hsic = 0.0;
  std::vector<double> rho;
  Representation output;
};

// Builds the layer on `input` with the indicator weights of its extra columns (on the backend).
// Advances rng (the s_beta subsample).
BuiltLayer build_layer(Backend& backend, const Representation& input, const Labels& labels,
                       MatrixView<const float> weights, double sigma, const KmeOptions& options, Rng& rng);

// Kernel sums U_w = K_{sigma_w}(Z, Z_in) W for every width of a grid (host, float64). When Z is
// Z_in and the features are few, one width at a time (the backend may then evaluate each pair of
// rows once); otherwise one pass over the pairs shares their distances between the widths.
std::vector<Matrix<double>> kernel_sums_for_widths(Backend& backend, MatrixView<const float> Z,
                                                   MatrixView<const float> Z_in, MatrixView<const float> weights,
                                                   const std::vector<double>& sigmas);

// Reports a width tried (LayerProgress::Event::width_tried) when there is a callback.
// held_out_accuracy: NaN with the paper's rule.
void report_width_tried(const ProgressCallback& progress, int layer, std::size_t width, std::size_t widths, double sigma,
                        double hsic, double held_out_accuracy, double layer_seconds);

}  // namespace lwnet::kme
