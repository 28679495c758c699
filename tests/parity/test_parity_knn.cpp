// CPU-vs-CUDA parity of the k-nearest-neighbour primitive and of a saved model's predictions.
// Both backends accumulate fma(q_f - r_f, q_f - r_f, acc) in feature order and break equal
// distances by the lower index, so indices AND distances must agree bit for bit — including
// m = 1 (the GPU splits the reference over many blocks and merges the partial lists), many
// queries, d in {1, 10, 33} (one and several 16-feature GPU tiles), k in {1, 5, 64}, and reference
// sets full of duplicates. Spec 1.6: a saved model predicts identically on both backends.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "kme_models.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kme.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

struct Neighbours {
  Matrix<std::int64_t> indices;
  Matrix<float> distances;
};

Neighbours cpu_knn(Backend& cpu, MatrixView<const float> Q, MatrixView<const float> R, int k) {
  Neighbours out{Matrix<std::int64_t>::host(Q.rows(), k), Matrix<float>::host(Q.rows(), k)};
  cpu.knn(Q, R, k, out.indices.view(), out.distances.view());
  return out;
}

::testing::AssertionResult bitwise_same(const Neighbours& gpu, const Neighbours& cpu) {
  for (std::int64_t q = 0; q < cpu.indices.rows(); ++q)
    for (std::int64_t j = 0; j < cpu.indices.cols(); ++j)
      if (gpu.indices(q, j) != cpu.indices(q, j) ||
          std::memcmp(&gpu.distances(q, j), &cpu.distances(q, j), sizeof(float)) != 0)
        return ::testing::AssertionFailure()
               << "query " << q << ", neighbour " << j << ": cuda (index " << gpu.indices(q, j) << ", distance "
               << gpu.distances(q, j) << "), cpu (index " << cpu.indices(q, j) << ", distance " << cpu.distances(q, j)
               << ")";
  return ::testing::AssertionSuccess();
}

// Reference rows drawn from `distinct` points with small-integer coordinates (exact, tied
// distances everywhere) when distinct > 0, else uniform on [-1, 1].
Matrix<float> reference_rows(TestRandom& rng, std::int64_t n, std::int64_t d, std::int64_t distinct) {
  if (distinct == 0) return rng.uniform_matrix(n, d);
  Matrix<float> points = Matrix<float>::host(distinct, d);
  for (std::int64_t e = 0; e < points.size(); ++e) points.data()[e] = static_cast<float>(rng.below(5) - 2);
  Matrix<float> R = Matrix<float>::host(n, d);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t p = rng.below(distinct);
    for (std::int64_t f = 0; f < d; ++f) R(i, f) = points(p, f);
  }
  return R;
}

class CudaKnnParity : public CudaParityTest {};

TEST_P(CudaKnnParity, IndicesAndDistancesAreBitwiseIdentical) {
  LWNET_SEEDED_RANDOM(rng);
  // (m, n): one query over a reference the GPU splits (n / 1024 splits), a few queries, and many
  // queries (no split).
  const std::tuple<std::int64_t, std::int64_t> sizes[] = {{1, 100000}, {3, 5000}, {5000, 3000}};
  for (const auto& [m, n] : sizes)
    for (const std::int64_t d : {1, 10, 33})
      for (const int k : {1, 5, 64})
        for (const std::int64_t distinct : {std::int64_t{0}, std::int64_t{6}}) {
          SCOPED_TRACE(::testing::Message() << "m " << m << ", n " << n << ", d " << d << ", k " << k
                                            << (distinct ? ", duplicates" : ""));
          const Matrix<float> R = reference_rows(rng, n, d, distinct);
          // Queries: half copies of reference rows (exact zero distances, ties with every
          // duplicate), half random.
          Matrix<float> Q = rng.uniform_matrix(m, d, -2.0, 2.0);
          for (std::int64_t q = 0; q < m; q += 2) {
            const std::int64_t r = rng.below(n);
            for (std::int64_t f = 0; f < d; ++f) Q(q, f) = R(r, f);
          }
          const Neighbours expected = cpu_knn(cpu(), Q.cview(), R.cview(), k);
          const DeviceStrided Qg = strided_on(gpu(), Q.cview());
          const DeviceStrided Rg = strided_on(gpu(), R.cview());
          Matrix<std::int64_t> idx = gpu().allocate<std::int64_t>(m, k);
          Matrix<float> dist = gpu().allocate<float>(m, k);
          gpu().knn(Qg.view, Rg.view, k, idx.view(), dist.view());
          const Neighbours got{to_host(idx), to_host(dist)};
          EXPECT_TRUE(bitwise_same(got, expected));
        }
}

TEST_P(CudaKnnParity, IdenticalRowsAcrossSplitsGiveTheFirstKIndices) {
  // 50000 identical rows: every split holds equal distances; the merge must keep index order.
  const std::int64_t n = 50000;
  Matrix<float> R = Matrix<float>::host(n, 3);
  for (std::int64_t e = 0; e < R.size(); ++e) R.data()[e] = 0.25f;
  Matrix<float> Q = Matrix<float>::host(1, 3);
  const Matrix<float> Rg = to_gpu(R.cview());
  const Matrix<float> Qg = to_gpu(Q.cview());
  Matrix<std::int64_t> idx = gpu().allocate<std::int64_t>(1, 64);
  Matrix<float> dist = gpu().allocate<float>(1, 64);
  gpu().knn(Qg.cview(), Rg.cview(), 64, idx.view(), dist.view());
  const Matrix<std::int64_t> got = to_host(idx);
  for (int j = 0; j < 64; ++j) EXPECT_EQ(got(0, j), j);
}

TEST_P(CudaKnnParity, OverflowingDistancesStillNameRealRows) {
  // Finite inputs whose squared distances overflow to +inf: real rows in index order on both
  // backends, never a placeholder (also across the GPU's reference splits: n = 5000).
  LWNET_SEEDED_RANDOM(rng);
  const std::int64_t n = 5000;
  Matrix<float> R = rng.uniform_matrix(n, 2, 1e20, 3e20);  // (1e20)^2 > FLT_MAX: every distance from 0 is +inf
  R(4000, 0) = 0.5f;  // one row at a finite distance from the first query
  R(4000, 1) = 0.5f;
  Matrix<float> Q = Matrix<float>::host(2, 2);
  Q(1, 0) = 3e38f;
  for (const int k : {1, 5, 64}) {
    SCOPED_TRACE(::testing::Message() << "k " << k);
    const Neighbours expected = cpu_knn(cpu(), Q.cview(), R.cview(), k);
    const Matrix<float> Rg = to_gpu(R.cview());
    const Matrix<float> Qg = to_gpu(Q.cview());
    Matrix<std::int64_t> idx = gpu().allocate<std::int64_t>(2, k);
    Matrix<float> dist = gpu().allocate<float>(2, k);
    gpu().knn(Qg.cview(), Rg.cview(), k, idx.view(), dist.view());
    const Neighbours got{to_host(idx), to_host(dist)};
    EXPECT_TRUE(bitwise_same(got, expected));
    for (std::int64_t q = 0; q < 2; ++q)
      for (int j = 0; j < k; ++j) {
        EXPECT_GE(got.indices(q, j), 0);
        EXPECT_LT(got.indices(q, j), n);
      }
    EXPECT_EQ(got.indices(0, 0), 4000);
  }
}

TEST_P(CudaKnnParity, ASavedModelPredictsIdenticallyOnBothBackends) {
  // Wine fold 8 (several layers with extra columns) trained on the CPU, saved, loaded: the loaded
  // model's predictions on the test fold and on the training data agree between the backends.
  const Fold fold = read_fold(fold_stem("wine"), 8);
  const LabelEncoding enc = encode_labels(fold.train.labels);
  kme::TrainConfig config = reference_protocol();
  config.standardize = StandardizeMode::train;
  const kme::KmeModel trained = kme::train(cpu(), fold.train.X.cview(), enc.labels, enc.classes, config);
  ASSERT_GE(trained.layers.size(), 2u);
  const std::string path = ::testing::TempDir() + "lwnet_parity_knn_model.lwnet";
  kme::save_model(trained, path);
  const kme::KmeModel model = kme::load_model(path);
  std::remove(path.c_str());
  for (const Table* data : {&fold.test, &fold.train}) {
    EXPECT_EQ(kme::predict(gpu(), model, data->X.cview()), kme::predict(cpu(), model, data->X.cview()));
    // k-NN on the same outputs: identical on both backends whatever produced the outputs.
    const Matrix<float> outputs = kme::transform(cpu(), model, data->X.cview());
    EXPECT_EQ(kme::predict_from_outputs(gpu(), model, outputs.cview()), kme::predict_from_outputs(cpu(), model, outputs.cview()));
  }
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaKnnParity);

}  // namespace
}  // namespace lwnet::test
