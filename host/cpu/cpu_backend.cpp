#include "cpu/cpu_backend.hpp"

#include <omp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu/cpu_tiles.hpp"
#include "lwnet/error.hpp"

#define LWNET_CPU_CONCAT_(a, b) a##b
#define LWNET_CPU_CONCAT(a, b) LWNET_CPU_CONCAT_(a, b)

namespace lwnet::cpu {

// This level's entry (cpu_isa.hpp): make_backend_isa_baseline, make_backend_isa_x86_64_v3, ...
std::unique_ptr<Backend> LWNET_CPU_CONCAT(make_backend_, LWNET_CPU_ISA_NS)(int threads) {
  return std::make_unique<CpuBackend>(threads);
}

LWNET_CPU_ISA_NAMESPACE_BEGIN

// threads <= 0: OpenMP's default, so OMP_NUM_THREADS (and the CPU affinity mask) bound lwnet's
// threads as they bound the BLAS library's.
CpuBackend::CpuBackend(int threads)
    : threads_(threads > 0 ? threads : omp_get_max_threads()),
      pool_(std::make_unique<ThreadPool>(threads_)),
      blas_(make_cpu_blas(*pool_)),
      solver_(make_cpu_solver()),
      nn_(make_cpu_nn_ops(*pool_)) {}

std::string CpuBackend::description() const {
  return std::string("cpu (") + std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads") +
         ", " + LWNET_CPU_ISA_NAME + " kernels, LAPACK: " + LWNET_BLAS_VENDOR + ")";
}

// What the kernel says can be allocated without swapping (MemAvailable: free pages plus the cache
// it can drop), or the free pages alone where /proc/meminfo does not say.
std::size_t CpuBackend::free_memory_bytes() const {
  if (std::FILE* meminfo = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, meminfo) != nullptr)
      found = std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    std::fclose(meminfo);
    if (found) return static_cast<std::size_t>(kib) * 1024;
  }
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
    throw OutOfMemory("allocate: out of host memory asking for " + std::to_string(bytes) + " bytes");
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
  parallel_for(pool(), out.rows(), kTileCols, out.cols(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k)
      std::memcpy(out.data() + k * out.ld(), X.data() + indices[static_cast<std::size_t>(k)] * X.ld(), row_bytes);
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
