// One layer of the closed-form network (spec 1.1), shared by training and prediction.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/network.hpp"
#include "lwnet/ops.hpp"

namespace lwnet::kme {

// A dense host copy of X (host, non-empty, every value finite); InvalidArgument naming `op` and
// the first bad entry otherwise.
Matrix<float> checked_host_copy(MatrixView<const float> X, const char* op);

// The extra columns of the layer whose training input is Z_in (host, n x m_prev): for each class
// j ascending, the training rows of class j that argmax over ALL columns of Z_in (first maximum
// wins) misclassifies. None when disabled or when m_prev == d (the input width).
struct ExtraColumns {
  std::vector<int> classes;
  std::vector<std::vector<std::int64_t>> rows;
};
ExtraColumns plan_extra_columns(MatrixView<const float> Z_in, const Labels& labels, std::int64_t input_dim,
                                bool enabled);

// rho_j: exact sqrt(sum_{i,i' in S_j} k_sigma(z_i, z_i')), or the seeded RFF estimate
// ||sum_{i in S_j} phi(z_i)|| (the same feature map at every call, as the reference's fixed
// random_state). Z_in lives on the backend.
std::vector<double> layer_rho(Backend& backend, MatrixView<const float> Z_in, const Labels& labels, double sigma,
                              const KmeOptions& options);

// The layer's weights B (n x (c + e), host): B(i, y_i) = 1 / rho_{y_i}; B(i, c + e) = 1 for the
// rows of extra column e.
Matrix<float> layer_weights(const std::vector<int>& y, int num_classes, const std::vector<double>& rho,
                            const std::vector<std::vector<std::int64_t>>& extra_rows);

}  // namespace lwnet::kme
