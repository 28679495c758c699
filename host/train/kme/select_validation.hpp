// Selection::validation (kme.hpp): each layer's width, and whether to add the layer, chosen
// by the held-out score of a stratified split of the training set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/kme.hpp"

namespace lwnet::kme {

// Training rows split by class: of each class's n_j rows, round(fraction n_j) (at most n_j - 1)
// drawn at random are held out. Both lists ascending.
struct HeldOutSplit {
  std::vector<std::int64_t> fit;
  std::vector<std::int64_t> held_out;
};
HeldOutSplit stratified_split(const Labels& labels, double fraction, std::uint64_t seed);

struct ValidationChoice {
  std::vector<double> sigmas;             // the chosen width of each layer
  std::vector<int> widths_tried;          // widths scored for each layer
  std::vector<double> held_out_accuracy;  // the network cut after 0, 1, ..., L layers
  std::string stop_reason;
};

// Grows the network on the fit part of X (preprocessed, host) and scores every width of each
// layer's grid on the held-out part with the options' predictor; keeps the best width while it
// beats the shallower network (accuracy, then held-out normalised HSIC, both strictly). The
// grid is the paper's: from opt_sigma of the input for layer 1, from the last layer's s_beta after.
// Reports each width tried (held_out_accuracy and hsic of LayerProgress).
ValidationChoice select_by_validation(Backend& backend, MatrixView<const float> X, const Labels& labels,
                                      const KmeOptions& options, const ProgressCallback& progress);

}  // namespace lwnet::kme
