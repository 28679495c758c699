// Kernel-method building blocks composed from Backend primitives (spec section 0): HSIC against
// labels and between two kernels, normalised HSIC, class-wise kernel mean embeddings and norms,
// random Fourier features and the median heuristic. Written once; they run on any backend.
//
// Matrix arguments live in the backend's memory space; labels and small outputs are host values.
// Nothing here stores an n x n matrix except hsic_from_grams, which is given two.
#pragma once

#include "lwnet/export.h"

#include <cstdint>
#include <vector>

#include "lwnet/backend.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/random.hpp"

namespace lwnet {

// Class labels re-indexed to 0..c-1.
struct LWNET_API Labels {
  std::vector<int> y;  // one per sample, in [0, num_classes)
  int num_classes = 0;

  // Throws InvalidArgument if a label is outside [0, num_classes) or num_classes < 1.
  void validate(std::int64_t expected_size, const char* context) const;
  // n_j for j = 0..c-1.
  std::vector<std::int64_t> class_counts() const;
  // S_j for j = 0..c-1: the indices of class j's samples, ascending.
  std::vector<std::vector<std::int64_t>> class_members() const;
};

// Fraction of predictions equal to the labels; InvalidArgument when the sizes differ or there are
// none.
LWNET_API double accuracy(const std::vector<int>& predicted, const std::vector<int>& truth);

struct LWNET_API HsicResult {
  double hsic = 0.0;        // tr(K H L H), biased, without the 1/(n-1)^2 constant
  double normalized = 0.0;  // hsic / (norm_k norm_l) for the chosen normalisation; hsic if none
  double norm_k = 0.0;      // ||HK||_F (code) or ||HKH||_F (textbook); 0 for none
  double norm_l = 0.0;      // the same for L
  bool constant_kernel = false;  // a kernel is constant on the data at float32 precision:
                                 // normalized is then reported as 0
  HsicNormalization normalization = HsicNormalization::code;
};

// HSIC between K_params(X) and the linear kernel on one-hot labels, L = Y Y^T:
// hsic = sum_j b_j^T K b_j with b_j = y_j - (n_j / n) 1, from one fused pass K [Y] and (when
// normalised) one pass K_sq 1 for sum_ij K_ij^2. O(n^2 d) work, O(n c) memory.
// A kernel that is constant on the data (e.g. sigma far above every distance) carries no
// information: its normalised HSIC is reported as 0. A single class makes the labels' centred
// norm 0: normalised HSIC is then undefined and InvalidArgument is thrown.
LWNET_API HsicResult hsic_labels(Backend& backend, MatrixView<const float> X, const Labels& labels,
                       const GramParams& params,
                       HsicNormalization normalization = HsicNormalization::code);

// General HSIC between kx on X (n x dx) and ky on Y (n x dy), streamed:
// tr(KHLH) = sum K o L - 2/n (K1).(L1) + (1'K1)(1'L1)/n^2. No n x n buffer.
LWNET_API HsicResult hsic(Backend& backend, MatrixView<const float> X, const GramParams& x_params,
                MatrixView<const float> Y, const GramParams& y_params,
                HsicNormalization normalization = HsicNormalization::code);

// HSIC between two given symmetric Gram matrices K, L (n x n).
LWNET_API HsicResult hsic_from_grams(Backend& backend, MatrixView<const float> K, MatrixView<const float> L,
                           HsicNormalization normalization = HsicNormalization::code);

// Class-wise kernel mean embeddings evaluated at Z (m x d):
// out(a, j) = mu_j(z_a) = (1/n_j) sum_{i in S_j} k(x_i, z_a). out is m x c. Every class needs a
// sample.
LWNET_API void class_mean_embeddings(Backend& backend, MatrixView<const float> Z, MatrixView<const float> X,
                           const Labels& labels, const GramParams& params, MatrixView<float> out);

// Within-class RKHS norms of the UNNORMALISED class sums mu_j = sum_{i in S_j} phi(x_i):
// rho_j = ||mu_j|| = sqrt(sum_{i,i' in S_j} k(x_i, x_i')). Work sum_j n_j^2 d.
LWNET_API std::vector<double> class_norms(Backend& backend, MatrixView<const float> X, const Labels& labels,
                                const GramParams& params);

// Random Fourier feature map for the Gaussian kernel: phi(x) = sqrt(2/D) cos(x omega / sigma + b),
// omega ~ N(0, I) (d x D), b ~ U[0, 2 pi) (1 x D). phi(x).phi(z) approximates k_sigma(x, z).
struct LWNET_API RffMap {
  Matrix<float> omega;  // (d, D) host
  Matrix<float> phase;  // (1, D) host
};
LWNET_API RffMap make_rff_map(std::int64_t d, std::int64_t features, Rng& rng);
// out (n x D) = phi(X). The map's host matrices are uploaded to the backend.
LWNET_API void random_fourier_features(Backend& backend, MatrixView<const float> X, const RffMap& map,
                             double sigma, MatrixView<float> out);

// The median heuristic (spec 1.2 step 2): the median of all pairwise Euclidean distances of a
// fresh random subsample of min(n, sample_size) rows (zero diagonal included). Advances rng.
LWNET_API double median_heuristic_sigma(Backend& backend, MatrixView<const float> X, Rng& rng,
                              std::int64_t sample_size = 200);

}  // namespace lwnet
