// The CPU backend's x86-64 levels (host/cpu/cpu_isa.hpp) compute the same bits: every level this
// CPU runs gives exactly the baseline's results for the kernel primitives, GEMM in both precisions
// (whole vectors, the columns past them, transposes, beta), the nn ops of a conv and a dense
// training run (the trained parameters), and a closed-form network's fit. A level the CPU cannot
// run, or that the build left out (LWNET_CPU_LEVELS=OFF), is skipped with the reason.
//
// The same machine runs every level here, so OpenBLAS (LAPACK) and the C library's math choose
// the same code for all of them: what differs is lwnet's own code, compiled per level.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/cpu_isa.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/blas.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/net.hpp"
#include "lwnet/ops.hpp"
#include "expect_close.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

using test::same_bits;  // beside the scalar overload below

using cpu::CpuLevel;

constexpr int kThreads = 2;

::testing::AssertionResult same_bits(double a, double b) {
  if (std::memcmp(&a, &b, sizeof a) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " vs " << b;
}

// Each level above the baseline, against the baseline.
class CpuLevels : public ::testing::TestWithParam<CpuLevel> {
 protected:
  void SetUp() override {
    const CpuLevel level = GetParam();
    bool built = false;
    for (CpuLevel l : cpu::compiled_levels()) built = built || l == level;
    if (!built) GTEST_SKIP() << cpu::to_string(level) << " is not built in (LWNET_CPU_LEVELS=OFF or not x86-64)";
    if (!cpu::cpu_supports(level)) GTEST_SKIP() << "this CPU cannot run " << cpu::to_string(level) << " code";
    baseline_ = cpu::make_cpu_backend_at(CpuLevel::baseline, kThreads);
    level_ = cpu::make_cpu_backend_at(level, kThreads);
  }
  std::unique_ptr<Backend> baseline_, level_;
};

TEST_P(CpuLevels, KernelPrimitivesMatchTheBaseline) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 301, n = 517, d = 37, c = 5;
  const Matrix<float> Z = rng.uniform_matrix(m, d), X = rng.uniform_matrix(n, d), B = rng.uniform_matrix(n, c);
  const Labels labels = rng.labels(n, 4);
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::linear, KernelKind::polynomial, KernelKind::laplacian}) {
    SCOPED_TRACE(to_string(kind));
    GramParams p = GramParams::gaussian(2.5);
    p.kind = kind;
    Matrix<float> g0 = Matrix<float>::host(m, n), g1 = Matrix<float>::host(m, n);
    baseline_->gram(Z.cview(), X.cview(), p, g0.view());
    level_->gram(Z.cview(), X.cview(), p, g1.view());
    EXPECT_TRUE(same_bits(g0, g1)) << "gram";
    Matrix<double> s0 = Matrix<double>::host(m, c), s1 = Matrix<double>::host(m, c);
    Matrix<double> q0 = Matrix<double>::host(m, 1), q1 = Matrix<double>::host(m, 1);
    baseline_->kernel_matmul_with_squares(Z.cview(), X.cview(), B.cview(), p, s0.view(), q0.view());
    level_->kernel_matmul_with_squares(Z.cview(), X.cview(), B.cview(), p, s1.view(), q1.view());
    EXPECT_TRUE(same_bits(s0, s1)) << "kernel_matmul";
    EXPECT_TRUE(same_bits(q0, q1)) << "kernel_matmul squares";
    EXPECT_TRUE(same_bits(baseline_->kernel_pair_sum(X.cview(), p, X.cview(), p),
                          level_->kernel_pair_sum(X.cview(), p, X.cview(), p)))
        << "kernel_pair_sum";
    EXPECT_TRUE(same_bits(hsic_labels(*baseline_, X.cview(), labels, p, HsicNormalization::textbook).normalized,
                          hsic_labels(*level_, X.cview(), labels, p, HsicNormalization::textbook).normalized))
        << "hsic_labels";
  }
  Matrix<float> d0 = Matrix<float>::host(m, n), d1 = Matrix<float>::host(m, n);
  baseline_->squared_distances(Z.cview(), X.cview(), d0.view());
  level_->squared_distances(Z.cview(), X.cview(), d1.view());
  EXPECT_TRUE(same_bits(d0, d1)) << "squared_distances";
  const int k = 7;
  Matrix<std::int64_t> i0 = Matrix<std::int64_t>::host(m, k), i1 = Matrix<std::int64_t>::host(m, k);
  Matrix<float> k0 = Matrix<float>::host(m, k), k1 = Matrix<float>::host(m, k);
  baseline_->knn(Z.cview(), X.cview(), k, i0.view(), k0.view());
  level_->knn(Z.cview(), X.cview(), k, i1.view(), k1.view());
  EXPECT_TRUE(same_bits(i0, i1)) << "knn indices";
  EXPECT_TRUE(same_bits(k0, k1)) << "knn distances";
  const Matrix<float> omega = rng.uniform_matrix(d, 19), phase = rng.uniform_matrix(1, 19, 0.0, 6.28);
  Matrix<float> r0 = Matrix<float>::host(n, 19), r1 = Matrix<float>::host(n, 19);
  baseline_->random_fourier_features(X.cview(), omega.cview(), phase.cview(), 1.7, r0.view());
  level_->random_fourier_features(X.cview(), omega.cview(), phase.cview(), 1.7, r1.view());
  EXPECT_TRUE(same_bits(r0, r1)) << "random_fourier_features";
  EXPECT_TRUE(same_bits(baseline_->median_pairwise_distance(X.cview()), level_->median_pairwise_distance(X.cview())));
}

template <class T>
Matrix<T> random_matrix(TestRandom& rng, std::int64_t rows, std::int64_t cols) {
  if constexpr (std::is_same_v<T, float>)
    return rng.uniform_matrix(rows, cols);
  else
    return rng.uniform_matrix_f64(rows, cols);
}

// n = 1, 3, 10, 17, 64, 70, 257: below one vector, whole vectors (of every width), and columns past
// them; k = 300 spans two k blocks; beta 0 (C's content ignored) and 0.5.
template <class T>
void expect_gemm_matches(Backend& baseline, Backend& level) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t m = 45, k = 300;
  for (std::int64_t n : {1, 3, 10, 17, 64, 70, 257})
    for (Transpose ta : {Transpose::no, Transpose::yes})
      for (Transpose tb : {Transpose::no, Transpose::yes})
        for (T beta : {T(0), T(0.5)}) {
          SCOPED_TRACE("n " + std::to_string(n) + (ta == Transpose::yes ? " A^T" : "") +
                       (tb == Transpose::yes ? " B^T" : "") + " beta " + std::to_string(beta));
          const Matrix<T> A = ta == Transpose::yes ? random_matrix<T>(rng, k, m) : random_matrix<T>(rng, m, k);
          const Matrix<T> B = tb == Transpose::yes ? random_matrix<T>(rng, n, k) : random_matrix<T>(rng, k, n);
          const Matrix<T> C = random_matrix<T>(rng, m, n);
          Matrix<T> c0 = baseline.download(C.cview()), c1 = level.download(C.cview());
          baseline.blas().gemm(ta, tb, T(1.25), A.cview(), B.cview(), beta, c0.view());
          level.blas().gemm(ta, tb, T(1.25), A.cview(), B.cview(), beta, c1.view());
          ASSERT_TRUE(same_bits(c0, c1));
        }
}

TEST_P(CpuLevels, GemmMatchesTheBaselineInBothPrecisions) {
  expect_gemm_matches<float>(*baseline_, *level_);
  expect_gemm_matches<double>(*baseline_, *level_);
}

// 8x8 one-channel images of noise with a class-dependent bright row; a conv net with batch norm and
// a dense net, two epochs each, Adam and SGD: every parameter the same bits.
TEST_P(CpuLevels, TrainedNetworksMatchTheBaseline) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 240;
  Matrix<float> X = rng.uniform_matrix(n, 64);
  const Labels labels = rng.labels(n, 3);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t c = 0; c < 8; ++c) X(i, labels.y[static_cast<std::size_t>(i)] * 2 * 8 + c) += 2.0f;
  const std::vector<std::string> names{"a", "b", "c"};
  struct Case {
    const char* arch;
    net::OptimizerKind optimizer;
  };
  for (const Case& run : {Case{"conv:8:1,2:bn", net::OptimizerKind::adam}, Case{"dense:33x2", net::OptimizerKind::sgd}}) {
    SCOPED_TRACE(run.arch);
    net::NetOptions options;
    options.arch = net::Architecture::parse(run.arch);
    options.image = net::ImageShape{8, 8, 1};
    options.optimizer = run.optimizer;
    options.epochs = 2;
    options.batch_size = 50;
    const net::NetModel a = net::train(*baseline_, X.cview(), labels, names, options);
    const net::NetModel b = net::train(*level_, X.cview(), labels, names, options);
    ASSERT_EQ(a.parameters.size(), b.parameters.size());
    for (std::size_t t = 0; t < a.parameters.size(); ++t)
      EXPECT_TRUE(same_bits(a.parameters[t].value, b.parameters[t].value)) << a.parameters[t].name;
  }
}

TEST_P(CpuLevels, ClosedFormNetworkMatchesTheBaseline) {
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 150;
  const Labels labels = rng.labels(n, 3);
  const Matrix<float> X = rng.clustered(labels, 6, 0.5);
  kme::TrainConfig config;
  const std::vector<std::string> names{"a", "b", "c"};
  const kme::KmeModel a = kme::train(*baseline_, X.cview(), labels, names, config);
  const kme::KmeModel b = kme::train(*level_, X.cview(), labels, names, config);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  EXPECT_TRUE(same_bits(a.train_outputs, b.train_outputs));
  EXPECT_EQ(kme::predict(*baseline_, a, X.cview()), kme::predict(*level_, b, X.cview()));
}

INSTANTIATE_TEST_SUITE_P(Levels, CpuLevels, ::testing::Values(CpuLevel::x86_64_v3, CpuLevel::x86_64_v4),
                         [](const ::testing::TestParamInfo<CpuLevel>& level) {
                           return level.param == CpuLevel::x86_64_v3 ? std::string("x86_64_v3") : std::string("x86_64_v4");
                         });

// make_cpu_backend takes the highest level this CPU runs, or the one LWNET_CPU_ISA names; a
// level the CPU cannot run, or an unknown name, is refused with the reason.
TEST(CpuLevelChoice, TheEnvironmentChoosesOrIsRefused) {
  const char* saved = std::getenv("LWNET_CPU_ISA");
  const std::string restore = saved != nullptr ? saved : "";
  ::unsetenv("LWNET_CPU_ISA");
  const CpuLevel best = cpu::chosen_level();
  EXPECT_TRUE(cpu::cpu_supports(best));
  for (CpuLevel level : cpu::compiled_levels()) {
    if (cpu::cpu_supports(level)) {
      EXPECT_GE(static_cast<int>(best), static_cast<int>(level));
    }
  }
  EXPECT_NE(make_cpu_backend(1)->description().find(std::string(cpu::to_string(best)) + " kernels"), std::string::npos)
      << make_cpu_backend(1)->description();

  ::setenv("LWNET_CPU_ISA", "x86-64", 1);
  EXPECT_EQ(cpu::chosen_level(), CpuLevel::baseline);
  EXPECT_NE(make_cpu_backend(1)->description().find("x86-64 kernels"), std::string::npos);
  ::setenv("LWNET_CPU_ISA", "avx9000", 1);
  try {
    make_cpu_backend(1);
    ADD_FAILURE() << "an unknown level was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("LWNET_CPU_ISA=avx9000: not a CPU level"), std::string::npos) << e.what();
  }
  for (CpuLevel level : {CpuLevel::x86_64_v3, CpuLevel::x86_64_v4}) {
    ::setenv("LWNET_CPU_ISA", cpu::to_string(level), 1);
    bool built = false;
    for (CpuLevel l : cpu::compiled_levels()) built = built || l == level;
    if (built && cpu::cpu_supports(level)) {
      EXPECT_NE(make_cpu_backend(1)->description().find(std::string(cpu::to_string(level)) + " kernels"),
                std::string::npos);
    } else {
      EXPECT_THROW(make_cpu_backend(1), Unavailable) << cpu::to_string(level);
    }
  }
  if (saved != nullptr)
    ::setenv("LWNET_CPU_ISA", restore.c_str(), 1);
  else
    ::unsetenv("LWNET_CPU_ISA");
}

}  // namespace
}  // namespace lwnet::test
