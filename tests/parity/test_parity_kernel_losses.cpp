// CPU-vs-CUDA parity of the kernel-matrix losses' operations (spec sections 3-4): NnOps::convert,
// arc_cosine_step and arc_cosine_step_backward in float and double, and
// Backend::gaussian_gram_gradient, on sizes that are not multiples of a warp or a block, with
// device operands inside NaN-padded buffers (ld = cols + 5): a kernel that ignores ld reads NaN,
// one that writes outside its view leaves a non-NaN in the padding.
//
// Tolerances. Both backends evaluate the same float64 formulas (lwnet/detail/arc_cosine.hpp; the
// Gram gradient's sums in the same b order) and round once to T, so they differ by
//   - float64 effects, relative to the entry's scale (the sum of |terms|): the libraries' acos and
//     exp (a few ulp), contraction into FMA on the GPU, and float64 sums of m terms in another
//     order (2 gamma64(m) of the scale, Higham 3.1): 1e-12 of the scale bounds them all for
//     m <= 1000;
//   - the rounding to T on each side: one ulp of T (<= 2u relative) for float, plus a few ulp of
//     float64 for double.
// Conversions are correctly rounded on both sides: bitwise equal.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/nn_ops.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"
#include "tolerance.hpp"

namespace lwnet::test {
namespace {

// Float64 effects relative to an entry's scale (see the top of the file).
constexpr double kScaleRel = 1e-12;

template <class T>
constexpr double unit = std::is_same_v<T, float> ? kU32 : kU64;

template <class T>
OnDevice<T> nan_on_device(Backend& gpu, std::int64_t rows, std::int64_t cols) {
  Matrix<T> nan = Matrix<T>::host(rows, cols);
  std::fill(nan.data(), nan.data() + nan.size(), std::numeric_limits<T>::quiet_NaN());
  return on_device(gpu, nan.cview());
}

template <class T>
::testing::AssertionResult matches(const Padded<T>& gpu, MatrixView<const T> cpu, double abs_tol, double rel_tol) {
  const ::testing::AssertionResult padding = padding_untouched(gpu);
  if (!padding) return padding;
  return expect_close(gpu.cview(), cpu, abs_tol, rel_tol);
}

// Bit for bit (infinities included), padding untouched.
template <class T>
::testing::AssertionResult same_bits_as(const Padded<T>& gpu, MatrixView<const T> cpu) {
  const ::testing::AssertionResult padding = padding_untouched(gpu);
  if (!padding) return padding;
  for (std::int64_t i = 0; i < cpu.rows(); ++i)
    for (std::int64_t j = 0; j < cpu.cols(); ++j)
      if (std::memcmp(&gpu.view(i, j), &cpu(i, j), sizeof(T)) != 0)
        return ::testing::AssertionFailure() << "first difference at (" << i << ", " << j << "): " << gpu.view(i, j)
                                             << " vs " << cpu(i, j);
  return ::testing::AssertionSuccess();
}

template <class T>
double max_abs(MatrixView<const T> m) {
  double best = 0.0;
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) best = std::max(best, std::fabs(static_cast<double>(m(i, j))));
  return best;
}

// K = x x^T + 0.1 I for normal rows x (m x 6): a kernel matrix with generic angles; one zero row
// and column (a zero point) when m >= 4, so the s == 0 branches run on the GPU too.
template <class T>
Matrix<T> kernel_matrix(TestRandom& rng, std::int64_t m) {
  const std::int64_t d = 6;
  std::vector<double> x(static_cast<std::size_t>(m * d));
  for (double& v : x) v = rng.normal();
  if (m >= 4)
    for (std::int64_t f = 0; f < d; ++f) x[static_cast<std::size_t>(3 * d + f)] = 0.0;
  Matrix<T> K = Matrix<T>::host(m, m);
  for (std::int64_t a = 0; a < m; ++a)
    for (std::int64_t b = 0; b < m; ++b) {
      double s = 0.0;
      for (std::int64_t f = 0; f < d; ++f) s += x[static_cast<std::size_t>(a * d + f)] * x[static_cast<std::size_t>(b * d + f)];
      K(a, b) = static_cast<T>(s + (a == b && a != 3 ? 0.1 : 0.0));
    }
  return K;
}

template <class T>
Matrix<T> normal_matrix(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  Matrix<T> m = Matrix<T>::host(rows, cols);
  for (std::int64_t k = 0; k < rows * cols; ++k) m.data()[k] = static_cast<T>(rng.normal());
  return m;
}

template <class T>
Matrix<T> abs_of(MatrixView<const T> m) {
  Matrix<T> out = Matrix<T>::host(m.rows(), m.cols());
  for (std::int64_t i = 0; i < m.rows(); ++i)
    for (std::int64_t j = 0; j < m.cols(); ++j) out(i, j) = std::fabs(m(i, j));
  return out;
}

const std::int64_t kSizes[] = {1, 2, 7, 33, 130, 1000};

class CudaKernelLossParity : public CudaParityTest {
 protected:
  NnOps& gnn() { return gpu().nn(); }
  NnOps& cnn() { return cpu().nn(); }

  template <class T>
  void arc_cosine(TestRandom& rng);
};

TEST_P(CudaKernelLossParity, ConvertIsBitwiseEqual) {
  LWNET_SEEDED_RANDOM(rng);
  for (const auto& [rows, cols] : {std::make_pair(1, 1), std::make_pair(7, 33), std::make_pair(1000, 77)}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    Matrix<double> wide = rng.uniform_matrix_f64(rows, cols, -5.0, 5.0);
    wide(0, 0) = 1e39;  // beyond float32: +inf on both
    if (rows * cols > 1) wide.data()[1] = 1.0 + 0x1p-24;  // a tie: to even
    const OnDevice<double> wide_g = on_device(gpu(), wide.cview());
    OnDevice<float> narrow_g = nan_on_device<float>(gpu(), rows, cols);
    gnn().convert(wide_g.cview(), narrow_g.view);
    Matrix<float> narrow = Matrix<float>::host(rows, cols);
    cnn().convert(wide.cview(), narrow.view());
    EXPECT_TRUE(same_bits_as(on_host(gpu(), narrow_g), narrow.cview()));

    OnDevice<double> back_g = nan_on_device<double>(gpu(), rows, cols);
    gnn().convert(narrow_g.cview(), back_g.view);
    Matrix<double> back = Matrix<double>::host(rows, cols);
    cnn().convert(narrow.cview(), back.view());
    EXPECT_TRUE(same_bits_as(on_host(gpu(), back_g), back.cview()));
  }
}

template <class T>
void CudaKernelLossParity::arc_cosine(TestRandom& rng) {
  const double sw2 = 1.7, sb2 = 0.2;
  const double c = sw2 / (2.0 * 3.141592653589793);
  for (std::int64_t m : kSizes) {
    SCOPED_TRACE(::testing::Message() << (std::is_same_v<T, float> ? "float" : "double") << " m " << m);
    const Matrix<T> K = kernel_matrix<T>(rng, m);
    const Matrix<T> G = normal_matrix<T>(rng, m, m);
    const OnDevice<T> Kg = on_device(gpu(), K.cview());
    const OnDevice<T> Gg = on_device(gpu(), G.cview());

    Matrix<T> out = Matrix<T>::host(m, m);
    cnn().arc_cosine_step(K.cview(), sw2, sb2, out.view());
    OnDevice<T> out_g = nan_on_device<T>(gpu(), m, m);
    gnn().arc_cosine_step(Kg.cview(), sw2, sb2, out_g.view);
    // The entry's scale: sb2 + c pi s_ab <= sb2 + sw2 / 2 max K_aa.
    const double step_scale = sb2 + sw2 / 2.0 * max_abs(K.cview());
    EXPECT_TRUE(matches(on_host(gpu(), out_g), out.cview(), kScaleRel * step_scale, 2.0 * unit<T>));

    Matrix<T> dK = Matrix<T>::host(m, m);
    cnn().arc_cosine_step_backward(K.cview(), G.cview(), sw2, dK.view());
    OnDevice<T> dK_g = nan_on_device<T>(gpu(), m, m);
    gnn().arc_cosine_step_backward(Kg.cview(), Gg.cview(), sw2, dK_g.view);
    // Every term of the backward is >= 0 for |G|: its output is each entry's sum of |terms|.
    const Matrix<T> G_abs = abs_of(G.cview());
    Matrix<T> term_sums = Matrix<T>::host(m, m);
    cnn().arc_cosine_step_backward(K.cview(), G_abs.cview(), sw2, term_sums.view());
    const double backward_scale = std::max(max_abs(term_sums.cview()), c * 3.2 * max_abs(G.cview()));
    const Padded<T> dK_back = on_host(gpu(), dK_g);
    EXPECT_TRUE(matches(dK_back, dK.cview(), kScaleRel * backward_scale, 2.0 * unit<T>));

    // Run to run, the GPU's sums have one order: the same bits again.
    OnDevice<T> again_g = nan_on_device<T>(gpu(), m, m);
    gnn().arc_cosine_step_backward(Kg.cview(), Gg.cview(), sw2, again_g.view);
    EXPECT_TRUE(same_bits_as(on_host(gpu(), again_g), dK_back.cview()));
  }
}

TEST_P(CudaKernelLossParity, ArcCosineStepAndBackwardMatchCpu) {
  LWNET_SEEDED_RANDOM(rng);
  arc_cosine<float>(rng);
  arc_cosine<double>(rng);
}

// sum_b |G_ab + G_ba| k_ab |z_bf - z_af| / sigma^2 at its largest: the scale of the gradient's entries.
double gradient_scale(MatrixView<const float> Z, MatrixView<const float> G, double sigma) {
  const std::int64_t m = Z.rows(), d = Z.cols();
  double best = 0.0;
  std::vector<double> row(static_cast<std::size_t>(d));
  for (std::int64_t a = 0; a < m; ++a) {
    std::fill(row.begin(), row.end(), 0.0);
    for (std::int64_t b = 0; b < m; ++b) {
      double d2 = 0.0;
      for (std::int64_t f = 0; f < d; ++f) {
        const double diff = static_cast<double>(Z(a, f)) - Z(b, f);
        d2 += diff * diff;
      }
      const double w = std::fabs(static_cast<double>(G(a, b)) + G(b, a)) * std::exp(-d2 / (2.0 * sigma * sigma));
      for (std::int64_t f = 0; f < d; ++f) row[static_cast<std::size_t>(f)] += w * std::fabs(static_cast<double>(Z(b, f)) - Z(a, f));
    }
    for (double v : row) best = std::max(best, v / (sigma * sigma));
  }
  return best;
}

TEST_P(CudaKernelLossParity, GaussianGramGradientMatchesCpu) {
  LWNET_SEEDED_RANDOM(rng);
  struct Case {
    std::int64_t m, d;
    double centre;  // rows near (centre, ..., centre): 1000 tests that no norms identity cancels
  };
  for (const Case& s : {Case{1, 1, 0.0}, Case{3, 2, 0.0}, Case{33, 17, 0.0}, Case{257, 40, 0.0}, Case{1000, 3, 0.0},
                        Case{100, 784, 0.0}, Case{70, 3, 1000.0}}) {
    SCOPED_TRACE(::testing::Message() << "m " << s.m << " d " << s.d << " centre " << s.centre);
    Matrix<float> Z = rng.uniform_matrix(s.m, s.d, s.centre - 0.5, s.centre + 0.5);
    if (s.m >= 3)  // a duplicate row: its pair adds nothing
      for (std::int64_t f = 0; f < s.d; ++f) Z(2, f) = Z(0, f);
    const Matrix<float> G = normal_matrix<float>(rng, s.m, s.m);
    const double sigma = 0.3 * std::sqrt(static_cast<double>(s.d));
    Matrix<float> out = Matrix<float>::host(s.m, s.d);
    cpu().gaussian_gram_gradient(Z.cview(), G.cview(), sigma, out.view());
    const OnDevice<float> Zg = on_device(gpu(), Z.cview());
    const OnDevice<float> Gg = on_device(gpu(), G.cview());
    OnDevice<float> out_g = nan_on_device<float>(gpu(), s.m, s.d);
    gpu().gaussian_gram_gradient(Zg.cview(), Gg.cview(), sigma, out_g.view);
    const Padded<float> got = on_host(gpu(), out_g);
    EXPECT_TRUE(matches(got, out.cview(), kScaleRel * gradient_scale(Z.cview(), G.cview(), sigma), 2.0 * kU32));

    OnDevice<float> again_g = nan_on_device<float>(gpu(), s.m, s.d);
    gpu().gaussian_gram_gradient(Zg.cview(), Gg.cview(), sigma, again_g.view);
    EXPECT_TRUE(same_bits_as(on_host(gpu(), again_g), got.cview()));
  }
}

// The GPU front end refuses host memory (the shapes and parameters are the CPU tests' business:
// one front end for both backends).
TEST_P(CudaKernelLossParity, HostMemoryIsRefused) {
  const Matrix<float> K = Matrix<float>::host(3, 3);
  Matrix<float> out = gpu().allocate<float>(3, 3);
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { gnn().arc_cosine_step(K.cview(), 1.0, 0.0, out.view()); },
                                           {"arc_cosine_step", "K is in host memory"}));
  const Matrix<float> Kg = gpu().allocate<float>(3, 3);
  Matrix<float> host_out = Matrix<float>::host(3, 2);
  const Matrix<float> Zg = gpu().allocate<float>(3, 2);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { gpu().gaussian_gram_gradient(Zg.cview(), Kg.cview(), 1.0, host_out.view()); },
      {"gaussian_gram_gradient", "out is in host memory"}));
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaKernelLossParity);

}  // namespace
}  // namespace lwnet::test
