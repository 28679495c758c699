// One layer of the closed-form network (spec 1.1), shared by training and prediction.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/ops.hpp"

namespace lwnet::kme {

// The extra columns of the layer whose training input is Z_in (host, n x m_prev): for each class
// j ascending, the training rows of class j that argmax over ALL columns of Z_in (first maximum
// wins) misclassifies. None when disabled or when m_prev == d (the input width).
struct ExtraColumns {
  std::vector<int> classes;
  std::vector<std::vector<std::int64_t>> rows;
};
ExtraColumns plan_extra_columns(MatrixView<const float> Z_in, const Labels& labels, std::int64_t input_dim,
                                bool enabled);

// The layer's unnormalised weights [Y E] (n x (c + e), host): U = K(Z, Z_in) [Y E] holds each
// class's kernel sum sum_{i in S_j} k(z_i, z) in column j and each extra column's sum after.
// B(i, y_i) = 1; B(i, c + e) = 1 for the rows of extra column e.
Matrix<float> indicator_weights(const std::vector<int>& y, int num_classes,
                                const std::vector<std::vector<std::int64_t>>& extra_rows);

// U = K_sigma(Z, Z_in) W (m x (c + e), host, float64): one fused pass over the pairs, Z, Z_in and
// the indicator weights W on the backend. A layer's output is U with its class columns divided
// by rho (normalise_class_columns); training and prediction both compute it so, and so a training
// row predicts exactly as it trained.
Matrix<double> kernel_sums(Backend& backend, MatrixView<const float> Z, MatrixView<const float> Z_in,
                           MatrixView<const float> weights, double sigma);

// Z = U with column j < c divided by rho_j (float64, rounded once to float32).
Matrix<float> normalise_class_columns(const Matrix<double>& U, const std::vector<double>& rho);

// rho_j exact: sqrt(sum_{i,i' in S_j} k_sigma(z_i, z_i')) = sqrt(sum_{i in S_j} U(i, j)), from the
// training rows' kernel sums U (no further pass over the pairs).
std::vector<double> exact_rho(const Matrix<double>& U, const Labels& labels);

// rho_j estimated by the seeded RFF map: ||sum_{i in S_j} phi(z_i)|| (the same feature map at
// every call, as the reference's fixed random_state). Z_in lives on the backend.
std::vector<double> rff_rho(Backend& backend, MatrixView<const float> Z_in, const Labels& labels, double sigma,
                            const KmeOptions& options);

// Class indices (0..c-1) of `outputs` (m x width, host) by the predictor against the reference
// outputs (n x width, host) and their labels (spec 1.4: k-NN with the tie rules, nearest class
// mean, or argmax over the first num_classes columns).
std::vector<int> predict_outputs(Backend& backend, Predictor predictor, int knn_k, int num_classes,
                                 MatrixView<const float> outputs, MatrixView<const float> reference,
                                 const std::vector<int>& reference_labels);

// Throws NumericalError when a rho is not positive and finite.
void check_rho(const std::vector<double>& rho, double sigma, RhoMethod method);

}  // namespace lwnet::kme
