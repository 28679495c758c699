#include "cpu/cpu_backend.hpp"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu/cpu_tiles.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}

namespace cpu {

CpuBackend::CpuBackend(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}

std::string CpuBackend::description() const {
  return std::string("cpu (") + LWNET_BLAS_VENDOR + " BLAS, " + std::to_string(threads_) +
         (threads_ == 1 ? " thread)" : " threads)");
}

std::size_t CpuBackend::free_memory_bytes() const {
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size) : 0;
}

Backend::Allocation CpuBackend::allocate_bytes(std::size_t bytes) {
  // 64-byte alignment: whole cache lines and aligned vector loads.
  constexpr std::size_t kAlignment = 64;
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr)
    throw Error("allocate: out of host memory asking for " + std::to_string(bytes) + " bytes");
  return {p, [](void* q) { std::free(q); }};
}

void CpuBackend::copy_rows(void* dst, std::size_t dst_pitch, MemorySpace, const void* src,
                           std::size_t src_pitch, MemorySpace, std::size_t row_bytes, std::size_t rows) {
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  for (std::size_t r = 0; r < rows; ++r) std::memcpy(d + r * dst_pitch, s + r * src_pitch, row_bytes);
}

void CpuBackend::gather_rows_impl(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                                  MatrixView<float> out) {
  const auto row_bytes = static_cast<std::size_t>(X.cols()) * sizeof(float);
#pragma omp parallel for num_threads(threads_) schedule(static) if (worth_parallel(out.rows() * out.cols()))
  for (std::int64_t k = 0; k < out.rows(); ++k)
    std::memcpy(out.data() + k * out.ld(), X.data() + indices[static_cast<std::size_t>(k)] * X.ld(), row_bytes);
}

}  // namespace cpu
}  // namespace lwnet
