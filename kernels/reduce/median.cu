// Median of pairwise distances: the m x m squared distances (tile kernel), a CUB radix sort,
// and the middle one or two values. Sorting squared distances orders the distances.
#include <cub/device/device_radix_sort.cuh>

#include <cmath>

#include "common/check.cuh"
#include "common/resources.cuh"
#include "gram/gram.cuh"
#include "reduce/reduce.cuh"

namespace lwnet::cuda {

double median_pairwise_distance(const CudaContext& ctx, const MatrixView<const float>& X) {
  cudaStream_t stream = ctx.stream();
  const std::int64_t m = X.rows();
  const auto count = static_cast<std::size_t>(m * m);
  DeviceBuffer<float> d2(count, stream);
  DeviceBuffer<float> sorted(count, stream);
  launch_gram(ctx, detail::squared_distance_constants(), X, X,
              MatrixView<float>(d2.data(), m, m, m, MemorySpace::cuda, ctx.device()));

  std::size_t temp_bytes = 0;
  LWNET_CUDA_CHECK(cub::DeviceRadixSort::SortKeys(nullptr, temp_bytes, d2.data(), sorted.data(),
                                                  static_cast<int>(count), 0, 32, stream));
  DeviceBuffer<unsigned char> temp(temp_bytes, stream);
  LWNET_CUDA_CHECK(cub::DeviceRadixSort::SortKeys(temp.data(), temp_bytes, d2.data(), sorted.data(),
                                                  static_cast<int>(count), 0, 32, stream));

  float middle[2] = {0.0f, 0.0f};  // sorted[count/2 - 1], sorted[count/2]
  const std::size_t upper = count / 2;
  const std::size_t first = count % 2 == 1 ? upper : upper - 1;
  LWNET_CUDA_CHECK(cudaMemcpyAsync(middle, sorted.data() + first, 2 * sizeof(float) - (count % 2 == 1 ? sizeof(float) : 0),
                                   cudaMemcpyDeviceToHost, stream));
  LWNET_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (count % 2 == 1) return std::sqrt(static_cast<double>(middle[0]));
  return 0.5 * (std::sqrt(static_cast<double>(middle[0])) + std::sqrt(static_cast<double>(middle[1])));
}

}  // namespace lwnet::cuda
