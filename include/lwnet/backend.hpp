// The Backend interface: what every lwnet algorithm is written against — memory, copies, one
// queue with events, and the kernel primitives (Gram, fused K.B, pair sums, k-NN, reductions) —
// with its operation families (dense algebra: blas.hpp, solver.hpp; network operations:
// nn_ops.hpp) behind supports()/blas()/solver()/nn(). A CPU implementation (the reference) and
// a CUDA one.
//
// Every public method validates its arguments (memory space, shapes, emptiness, kernel
// parameters, overlap) from host metadata alone and throws InvalidArgument naming the argument and
// the shapes; then it calls the protected *_impl that a backend implements. Checks that read the
// data (non-finite values, overflowing outputs, device pointer queries) would wait for the device
// on every call: they run only at Validation::full (debug builds, the tests, or
// LWNET_VALIDATION=full); the public entry points of the algorithms (ops.hpp, kme.hpp, net.hpp)
// check their inputs' values once instead. Matrix arguments must live in the backend's
// memory space (host for the CPU backend, the backend's own device for CUDA); copy with
// upload()/download() first. Outputs must not overlap inputs.
//
// Precision (spec section 1.6): data are float32; kernel sums accumulate in float32 inside a tile
// and in float64 across tiles; every scalar and every reduction is returned in float64.
#pragma once

#include "lwnet/export.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/blas.hpp"
#include "lwnet/device.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/nn_ops.hpp"
#include "lwnet/solver.hpp"

namespace lwnet {

class TransferQueue;

// An operation whose scratch memory a planner asks about (Backend::workspace_bytes), and its shape:
// kernel_matmul: Z (m x d), X (n x d), B (n x c).
enum class WorkspaceOp { kernel_matmul };
struct LWNET_API WorkspaceShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t d = 0;
  std::int64_t c = 0;
};

// How much a Backend call checks before it runs (see the top of this file).
enum class Validation {
  metadata,  // shapes, memory spaces, overlap: host metadata only (release builds' default)
  full,      // also non-finite inputs and outputs and device pointer queries (debug builds' default)
};
// The default level of new backends: LWNET_VALIDATION=full|metadata when set, else full in a debug
// build of lwnet and metadata in a release build.
LWNET_API Validation default_validation();

// The operation families beside the kernel primitives below. A backend that lacks one says so
// through supports(); asking it for that family throws Unavailable (never a silent fallback).
enum class OpFamily { kernel, blas, solver, nn };
LWNET_API const char* to_string(OpFamily family);

// ---- queue and events ------------------------------------------------------------------------
// Each backend queues its work in order on one queue: the CPU backend's queue is the calling
// thread itself (its work is complete when a call returns); a CUDA backend's is one CUDA stream
// (lwnet's stream of the device, or the caller's: lwnet/cuda.hpp). An Event marks a point in a
// queue; Backend::wait makes another queue wait for it.
//
// Threads (what the implementation guarantees; the caller serialises everything else):
//   - A Backend is used by one host thread at a time. Backends that share a queue count as one:
//     the CUDA backends make_backend gives for one device share its stream and its cuBLAS and
//     cuSOLVER handles. Backends with queues of their own (CPU backends; CUDA backends on distinct
//     caller streams) may be used from different threads at the same time.
//   - Backends may be created and destroyed from any thread.
//   - A Matrix may be destroyed from any thread, also after its backend is gone (the backend's
//     device resources live until its last matrix does). Its memory is freed in the order of the
//     queue that allocated it: work queued there needs no waiting, but work on another queue that
//     uses the matrix must have finished first, or be waited for there (record_event on the
//     other backend, wait on the allocating one).
//   - An Event is an immutable value. Copies may be waited on from any thread, by any backend:
//     backends on the same device (the usual case), CUDA backends on other devices, the CPU
//     backend; and they stay valid after the backend that recorded them is destroyed.
class LWNET_API Event {
 public:
  // An event whose work is already complete: waiting on it does nothing.
  Event() = default;
  // For backend implementations: `handle` owns the backend's native event (for a CUDA device,
  // handle.get() is the cudaEvent_t: lwnet/cuda.hpp's native_event); host_wait(handle.get())
  // blocks the calling thread until that event has completed.
  Event(Device device, std::shared_ptr<void> handle, void (*host_wait)(void* handle));

  // True when the work was complete when the event was recorded (e.g. every CPU backend event).
  bool empty() const { return handle_ == nullptr; }
  // The device whose queue the event marks; Device::cpu() for an empty event.
  Device device() const { return device_; }
  // The backend's native event (see the constructor); nullptr when empty.
  void* native_handle() const { return handle_.get(); }
  // Blocks the calling thread until the marked work has finished; returns at once when empty.
  void synchronize() const;

 private:
  Device device_ = Device::cpu();
  std::shared_ptr<void> handle_;
  void (*host_wait_)(void* handle) = nullptr;
};

class LWNET_API Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  virtual Device device() const = 0;
  // One line: "cpu (OpenBLAS 0.3.21, 16 threads)" or "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)".
  virtual std::string description() const = 0;
  // Where the backend's matrices live: the device's memory, except for a backend that keeps its
  // data on the host and streams them through a device (make_streaming_backend).
  virtual MemorySpace memory_space() const { return device().memory_space(); }
  // Why this backend cannot address `data` (e.g. host memory given to the CUDA backend), or an
  // empty string when it can. Called on every matrix argument, after its declared memory space
  // has been checked.
  virtual std::string memory_error(const void* data) const {
    (void)data;
    return {};
  }

  // ---- memory -------------------------------------------------------------------------------
  // Bytes this backend could allocate now (the GPU's free memory; the CPU's available physical
  // memory), or 0 when it cannot tell.
  virtual std::size_t free_memory_bytes() const { return 0; }
  // Uninitialised storage in this backend's memory space.
  template <class T>
  Matrix<T> allocate(std::int64_t rows, std::int64_t cols);
  // A copy of a host matrix in this backend's memory space.
  template <class T>
  Matrix<T> upload(MatrixView<const T> host);
  // A host copy of a matrix in this backend's memory space.
  template <class T>
  Matrix<T> download(MatrixView<const T> src);
  // Copies between views of equal shape, each on the host or in this backend's space.
  template <class T>
  void copy(MatrixView<const T> src, MatrixView<T> dst);
  // Waits until all queued work has finished.
  virtual void synchronize() = 0;
  // Scratch memory `op` allocates in this backend's memory beyond its operands, their row norms
  // and its output, an upper bound for the shape: what a memory planner (stream.hpp) adds to the
  // chunks' bytes. The default is the bound of lwnet's K.B tiles (float64 per-split partial sums,
  // one split per 4096 rows of X, at most 256 MiB); a backend whose kernels differ overrides it.
  virtual std::size_t workspace_bytes(WorkspaceOp op, const WorkspaceShape& shape) const {
    return default_workspace_bytes(op, shape);
  }
  static std::size_t default_workspace_bytes(WorkspaceOp op, const WorkspaceShape& shape);
  // A queue of host <-> backend copies that overlap this backend's compute (transfer.hpp). The
  // default runs each copy in the compute queue itself, which is correct for any backend.
  virtual std::unique_ptr<TransferQueue> make_transfer_queue();

  // ---- queue and events (see Event above) ------------------------------------------------------
  // An event marking all work queued on this backend so far. Does not wait; empty when that work
  // is already complete (the CPU backend).
  Event record_event();
  // Work queued on this backend after this call starts only once `event`'s work has finished.
  // A CUDA backend's stream waits on the device (the host does not block); the CPU backend, whose
  // queue is the calling thread, blocks it until the event completes. Does nothing for an empty
  // event.
  void wait(const Event& event);

  Validation validation() const { return validation_; }
  void set_validation(Validation level) { validation_ = level; }
  // Throws InvalidArgument ("<op>: <name> has k non-finite values") when A holds NaN or Inf, at
  // any validation level: the value check of an algorithm's public entry point (waits for the
  // device).
  void require_finite(const char* op, const char* name, MatrixView<const float> A);
  void require_finite(const char* op, const char* name, MatrixView<const double> A);

  // ---- operation families ----------------------------------------------------------------------
  bool supports(OpFamily family) const;
  // The family's front end, owned by this backend. Throws Unavailable when !supports(family).
  Blas& blas();
  Solver& solver();
  NnOps& nn();

  // ---- kernel primitives (n x n work; K is never stored unless asked for) ---------------------
  // out (m x n) = squared Euclidean distances ||z_a - x_b||^2, clamped at 0; self-pairs exactly 0.
  void squared_distances(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<float> out);
  // out (m x n) = K(Z, X). Materialised: for small n and for tests.
  void gram(MatrixView<const float> Z, MatrixView<const float> X, const GramParams& params,
            MatrixView<float> out);
  // out (m x c) = K(Z, X) B with Z (m x d), X (n x d), B (n x c), K never stored. The fused
  // primitive behind HSIC, kernel mean embeddings, layer forward passes and prediction.
  // When Z and X view the same rows (same memory), self-pairs give exactly k = 1.
  void kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                     const GramParams& params, MatrixView<float> out);
  void kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                     const GramParams& params, MatrixView<double> out);
  // As kernel_matmul into float64, and also sq_sums (m x 1) = sum_b K(z_a, x_b)^2 from the same
  // kernel values (float32 within a tile, float64 across): the numerator and the norm of
  // normalised HSIC in one pass over the pairs.
  void kernel_matmul_with_squares(MatrixView<const float> Z, MatrixView<const float> X,
                                  MatrixView<const float> B, const GramParams& params,
                                  MatrixView<double> out, MatrixView<double> sq_sums);
  // outs[w] (m x c, float64) = K_{sigma_w}(Z, X) B for Gaussian kernels of several widths, the
  // pair distances shared between the widths where the backend can (one pass over the pairs for
  // all of them: the width search's candidates). Each output is what kernel_matmul gives for its
  // width, up to the order of the float64 sums.
  void gaussian_matmul_widths(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                              const std::vector<double>& sigmas, const std::vector<MatrixView<double>>& outs);
  // out (m x d) = the gradient with respect to Z of sum_ab G_ab k(z_a, z_b), k the Gaussian kernel of
  // width sigma on the rows of Z (m x d), G (m x m):
  //   out_a = sum_b (G_ab + G_ba) k(z_a, z_b) (z_b - z_a) / sigma^2.
  // The gradient of a kernel-matrix loss (G = dL/dK) back to the points; K is never stored beyond
  // one m x m scratch of weights where the backend needs it. Distances are computed directly,
  // sum_f (z_af - z_bf)^2 (never through the norms: no cancellation for data far from the origin,
  // and self-pairs give k = 1 exactly), and the whole sum is accumulated in float64.
  void gaussian_gram_gradient(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                              MatrixView<float> out);
  // sum_ij kx(x_i, x_j) ky(y_i, y_j) over all pairs of rows of X (n x dx) and Y (n x dy), streamed.
  // The cross term of general HSIC.
  double kernel_pair_sum(MatrixView<const float> X, const GramParams& x_params,
                         MatrixView<const float> Y, const GramParams& y_params);

  // ---- nearest neighbours -----------------------------------------------------------------------
  static constexpr int kMaxKnn = 64;
  // The k rows of `reference` (n x d) nearest to each row of `queries` (m x d), in increasing
  // squared Euclidean distance sum_f (q_f - r_f)^2, accumulated with fma in feature order so every
  // backend computes the same bits; equal distances: the lower reference index first.
  // indices (m x k) and sq_distances (m x k); 1 <= k <= min(n, kMaxKnn). No m x n buffer.
  void knn(MatrixView<const float> queries, MatrixView<const float> reference, int k,
           MatrixView<std::int64_t> indices, MatrixView<float> sq_distances);

  // ---- reductions (float64 results) -----------------------------------------------------------
  std::vector<double> column_sums(MatrixView<const float> A);
  std::vector<double> column_sums(MatrixView<const double> A);
  // result[j] = sum_i A_ij B_ij
  std::vector<double> column_dots(MatrixView<const float> A, MatrixView<const float> B);
  std::vector<double> column_dots(MatrixView<const double> A, MatrixView<const double> B);
  // Number of NaN or infinite entries.
  std::int64_t count_nonfinite(MatrixView<const float> A);
  std::int64_t count_nonfinite(MatrixView<const double> A);
  // Median of all m^2 pairwise Euclidean distances between the rows of X (m x d), the zero
  // diagonal included; the mean of the two middle values when m^2 is even (numpy's median).
  double median_pairwise_distance(MatrixView<const float> X);

  // ---- data movement --------------------------------------------------------------------------
  // out.row(k) = X.row(indices[k]). Indices are host values in [0, X.rows).
  void gather_rows(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                   MatrixView<float> out);

  // ---- random features ------------------------------------------------------------------------
  // out (n x D) = sqrt(2 / D) cos(X omega / sigma + phase): omega (d x D), phase (1 x D).
  void random_fourier_features(MatrixView<const float> X, MatrixView<const float> omega,
                               MatrixView<const float> phase, double sigma, MatrixView<float> out);

 protected:
  struct Allocation {
    void* data = nullptr;
    MemoryDeleter deleter;
  };
  // The families this backend implements, or nullptr where it has none (the default).
  virtual Blas* blas_family() { return nullptr; }
  virtual Solver* solver_family() { return nullptr; }
  virtual NnOps* nn_family() { return nullptr; }
  // Default, right for any backend: synchronize(), then an empty event.
  virtual Event record_event_impl();
  // `event` is not empty. Default, right for any backend: event.synchronize() (blocks the host).
  virtual void wait_impl(const Event& event);
  // Storage for `bytes` bytes (bytes > 0) in this backend's memory space.
  virtual Allocation allocate_bytes(std::size_t bytes) = 0;
  // Copies `rows` rows of `row_bytes` bytes; each side is on the host or in this backend's space.
  virtual void copy_rows(void* dst, std::size_t dst_pitch, MemorySpace dst_space, const void* src,
                         std::size_t src_pitch, MemorySpace src_space, std::size_t row_bytes,
                         std::size_t rows) = 0;

  virtual void squared_distances_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                      MatrixView<float> out) = 0;
  virtual void gram_impl(MatrixView<const float> Z, MatrixView<const float> X,
                         const GramParams& params, MatrixView<float> out) = 0;
  virtual void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                  MatrixView<const float> B, const GramParams& params,
                                  MatrixView<float> out) = 0;
  virtual void kernel_matmul_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                  MatrixView<const float> B, const GramParams& params,
                                  MatrixView<double> out) = 0;
  // Default: one kernel_matmul per width.
  virtual void gaussian_matmul_widths_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                           MatrixView<const float> B, const std::vector<double>& sigmas,
                                           const std::vector<MatrixView<double>>& outs);
  // Default: two passes, K B and then K_sq 1 with the squared kernel's parameters.
  virtual void kernel_matmul_with_squares_impl(MatrixView<const float> Z, MatrixView<const float> X,
                                               MatrixView<const float> B, const GramParams& params,
                                               MatrixView<double> out, MatrixView<double> sq_sums);
  virtual double kernel_pair_sum_impl(MatrixView<const float> X, const GramParams& x_params,
                                      MatrixView<const float> Y, const GramParams& y_params) = 0;
  virtual void gaussian_gram_gradient_impl(MatrixView<const float> Z, MatrixView<const float> G, double sigma,
                                           MatrixView<float> out) = 0;
  virtual void knn_impl(MatrixView<const float> queries, MatrixView<const float> reference, int k,
                        MatrixView<std::int64_t> indices, MatrixView<float> sq_distances) = 0;
  virtual std::vector<double> column_sums_impl(MatrixView<const float> A) = 0;
  virtual std::vector<double> column_sums_impl(MatrixView<const double> A) = 0;
  virtual std::vector<double> column_dots_impl(MatrixView<const float> A,
                                               MatrixView<const float> B) = 0;
  virtual std::vector<double> column_dots_impl(MatrixView<const double> A,
                                               MatrixView<const double> B) = 0;
  virtual std::int64_t count_nonfinite_impl(MatrixView<const float> A) = 0;
  virtual std::int64_t count_nonfinite_impl(MatrixView<const double> A) = 0;
  virtual double median_pairwise_distance_impl(MatrixView<const float> X) = 0;
  virtual void gather_rows_impl(MatrixView<const float> X, const std::vector<std::int64_t>& indices,
                                MatrixView<float> out) = 0;
  virtual void random_fourier_features_impl(MatrixView<const float> X,
                                            MatrixView<const float> omega,
                                            MatrixView<const float> phase, double sigma,
                                            MatrixView<float> out) = 0;

 private:
  // The shared front end of the kernel_matmul family.
  template <class Out>
  void checked_kernel_matmul(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                             const GramParams& params, MatrixView<Out> out);
  template <class Out>
  void check_kernel_matmul_arguments(const char* op, MatrixView<const float> Z, MatrixView<const float> X,
                                     MatrixView<const float> B, const GramParams& params, MatrixView<Out> out);
  template <class Out>
  void check_kernel_matmul_output(const char* op, const GramParams& params, MatrixView<Out> out);
  struct CopyRegion {
    const void* data;
    std::int64_t ld, rows, cols;
    MemorySpace space;
    int device;
    std::int64_t batch_count, batch_stride;  // copy_bytes refuses a batch (count != 1)
  };
  // Validates both regions (reachable, same shape) and copies.
  void copy_bytes(const CopyRegion& src, const CopyRegion& dst, std::size_t elem_size);
  Allocation allocate_checked(std::int64_t rows, std::int64_t cols, std::size_t elem_size);

  Validation validation_ = default_validation();
};

template <class T>
inline Matrix<T> Backend::allocate(std::int64_t rows, std::int64_t cols) {
  Allocation a = allocate_checked(rows, cols, sizeof(T));
  const Device d = device();
  const MemorySpace space = memory_space();
  return Matrix<T>(static_cast<T*>(a.data), rows, cols, space, space == MemorySpace::cuda ? d.index : 0,
                   std::move(a.deleter));
}

template <class T>
inline Matrix<T> Backend::upload(MatrixView<const T> host) {
  Matrix<T> out = allocate<T>(host.rows(), host.cols());
  copy(host, out.view());
  return out;
}

template <class T>
inline Matrix<T> Backend::download(MatrixView<const T> src) {
  Matrix<T> out = Matrix<T>::host(src.rows(), src.cols());
  copy(src, out.view());
  return out;
}

template <class T>
inline void Backend::copy(MatrixView<const T> src, MatrixView<T> dst) {
  copy_bytes(CopyRegion{src.data(), src.ld(), src.rows(), src.cols(), src.space(), src.device(), src.batch_count(),
                        src.batch_stride()},
             CopyRegion{dst.data(), dst.ld(), dst.rows(), dst.cols(), dst.space(), dst.device(), dst.batch_count(),
                        dst.batch_stride()},
             sizeof(T));
}

// ---- choosing a backend ---------------------------------------------------------------------

// The CPU reference backend. threads <= 0: OpenMP's default (all cores).
LWNET_API std::unique_ptr<Backend> make_cpu_backend(int threads = 0);

// The backend for `device`. Device::automatic picks CUDA device 0 when usable, else the CPU.
// Throws Unavailable when a CUDA device is asked for and cannot be used (with the reason).
// Provided by lwnet::lwnet.
LWNET_API std::unique_ptr<Backend> make_backend(Device device);

struct LWNET_API BackendChoice {
  std::unique_ptr<Backend> backend;
  std::string reason;  // why this backend was chosen, e.g. "no CUDA device: cudaErrorNoDevice ..."
};
// Like make_backend, and says why the device was chosen (for `auto`: why CUDA was or was not used).
LWNET_API BackendChoice select_backend(Device device);

}  // namespace lwnet
