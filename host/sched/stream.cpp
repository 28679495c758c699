// The streamed K.B product: chunk sizes from a memory budget, then chunk pairs in order.
#include "lwnet/stream.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet {

namespace {

// What kernel_matmul itself holds per call: row norms of both operands and, with few Z rows, up
// to this many bytes of per-split partial sums (kMaxPartialBytes on both backends), one split per
// 4096 rows of X.
constexpr std::size_t kMaxPartialBytes = std::size_t{1} << 28;
constexpr std::int64_t kRowsPerSplit = 4096;

std::size_t chunk_bytes(std::int64_t z_rows, std::int64_t x_rows, std::int64_t d, std::int64_t c, bool shared) {
  const auto z = static_cast<std::size_t>(z_rows);
  const auto x = static_cast<std::size_t>(x_rows);
  const auto row = static_cast<std::size_t>(d) * sizeof(float) + sizeof(float);  // the row and its norm
  const auto cs = static_cast<std::size_t>(c);
  const std::size_t splits = static_cast<std::size_t>((x_rows + kRowsPerSplit - 1) / kRowsPerSplit);
  const std::size_t partial = std::min(kMaxPartialBytes, splits * z * cs * sizeof(double));
  return z * (row + cs * sizeof(double))   // Z chunk, its float64 result
         + (shared ? 0 : x * row)          // X chunk (the Z chunk itself on the diagonal)
         + x * cs * sizeof(float)          // B chunk
         + partial;
}

}  // namespace

StreamPlan plan_streamed_kernel_matmul(std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c,
                                       std::size_t budget, bool same_rows) {
  if (m < 1 || n < 1 || d < 1 || c < 1)
    throw InvalidArgument("plan_streamed_kernel_matmul: shapes must be positive, got m = " + std::to_string(m) +
                          ", n = " + std::to_string(n) + ", d = " + std::to_string(d) + ", c = " + std::to_string(c));
  if (same_rows && m != n)
    throw InvalidArgument("plan_streamed_kernel_matmul: same_rows needs m == n");
  // Equal chunk lengths r for both operands (capped by each one's rows); bytes grow with r.
  const auto bytes_for = [&](std::int64_t r) {
    const std::int64_t z_rows = std::min(m, r);
    const std::int64_t x_rows = std::min(n, r);
    // Streamed chunks of X are separate copies, except when one chunk holds everything.
    const bool shared = same_rows && z_rows == m;
    return chunk_bytes(z_rows, x_rows, d, c, shared);
  };
  // Everything in one chunk (with Z and X the same matrix, held once) when it fits; otherwise
  // the longest chunks, found by bisection (bytes grow with r while X chunks are copies).
  const std::int64_t most = std::max(m, n);
  std::int64_t lo = most;
  if (bytes_for(most) > budget) {
    if (bytes_for(1) > budget)
      throw InvalidArgument("kernel_matmul_streamed: a memory budget of " + std::to_string(budget) +
                            " bytes cannot hold one row of each operand (" + std::to_string(bytes_for(1)) +
                            " bytes); raise --memory-budget");
    lo = 1;  // fits
    std::int64_t hi = most - 1;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo + 1) / 2;
      if (bytes_for(mid) <= budget)
        lo = mid;
      else
        hi = mid - 1;
    }
  }
  StreamPlan plan;
  plan.z_rows = std::min(m, lo);
  plan.x_rows = std::min(n, lo);
  plan.bytes = bytes_for(lo);
  plan.z_chunks = (m + plan.z_rows - 1) / plan.z_rows;
  plan.x_chunks = (n + plan.x_rows - 1) / plan.x_rows;
  return plan;
}

void kernel_matmul_streamed(Backend& backend, MatrixView<const float> Z, MatrixView<const float> X,
                            MatrixView<const float> B, const GramParams& params, MatrixView<double> out,
                            std::size_t budget, const StreamProgressCallback& progress) {
  const char* op = "kernel_matmul_streamed";
  for (const auto* view : {&Z, &X, &B})
    if (view->space() != MemorySpace::host) throw InvalidArgument(std::string(op) + ": Z, X and B must be host matrices");
  if (out.space() != MemorySpace::host) throw InvalidArgument(std::string(op) + ": out must be a host matrix");
  if (Z.cols() != X.cols() || B.rows() != X.rows() || out.rows() != Z.rows() || out.cols() != B.cols())
    throw InvalidArgument(std::string(op) + ": shapes do not match: Z " + std::to_string(Z.rows()) + "x" +
                          std::to_string(Z.cols()) + ", X " + std::to_string(X.rows()) + "x" + std::to_string(X.cols()) +
                          ", B " + std::to_string(B.rows()) + "x" + std::to_string(B.cols()) + ", out " +
                          std::to_string(out.rows()) + "x" + std::to_string(out.cols()));
  const bool same_rows = Z.data() == X.data() && Z.rows() == X.rows() && Z.ld() == X.ld();
  const StreamPlan plan = plan_streamed_kernel_matmul(Z.rows(), X.rows(), X.cols(), B.cols(), budget, same_rows);
  const bool host_backend = backend.memory_space() == MemorySpace::host;
  // On the CPU backend a chunk is a view of the host data; elsewhere, a copy.
  const auto on_backend = [&](MatrixView<const float> host, Matrix<float>& holder) {
    if (host_backend) return host;
    holder = backend.upload(host);
    return holder.cview();
  };

  const auto start = std::chrono::steady_clock::now();
  StreamProgress report;
  report.total = plan.z_chunks * plan.x_chunks;
  const std::int64_t c = B.cols();
  for (std::int64_t z0 = 0; z0 < Z.rows(); z0 += plan.z_rows) {
    const std::int64_t zr = std::min(plan.z_rows, Z.rows() - z0);
    Matrix<float> z_holder;
    const MatrixView<const float> zc = on_backend(Z.row_range(z0, zr), z_holder);
    Matrix<double> total = Matrix<double>::host(zr, c);  // zero-filled
    for (std::int64_t x0 = 0; x0 < X.rows(); x0 += plan.x_rows) {
      const std::int64_t xr = std::min(plan.x_rows, X.rows() - x0);
      Matrix<float> x_holder;
      Matrix<float> b_holder;
      // The diagonal pair passes the Z chunk itself, so self-pairs stay exact.
      const MatrixView<const float> xc =
          same_rows && x0 == z0 && xr == zr ? zc : on_backend(X.row_range(x0, xr), x_holder);
      const MatrixView<const float> bc = on_backend(B.row_range(x0, xr), b_holder);
      Matrix<double> part = backend.allocate<double>(zr, c);
      backend.kernel_matmul(zc, xc, bc, params, part.view());
      const Matrix<double> host_part = host_backend ? Matrix<double>() : backend.download(part.cview());
      const Matrix<double>& sums = host_backend ? part : host_part;
      for (std::int64_t i = 0; i < zr; ++i)
        for (std::int64_t j = 0; j < c; ++j) total(i, j) += sums(i, j);
      ++report.done;
      report.entries += static_cast<double>(zr) * static_cast<double>(xr);
      report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (progress) progress(report);
    }
    for (std::int64_t i = 0; i < zr; ++i)
      for (std::int64_t j = 0; j < c; ++j) out(z0 + i, j) = total(i, j);
  }
}

std::size_t default_memory_budget(const Backend& backend) {
  return backend.free_memory_bytes() / 5 * 4;
}

}  // namespace lwnet
