// The streamed K.B product: chunk sizes from a memory budget, then chunk pairs in order.
#include "lwnet/stream.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/validate.hpp"
#include "lwnet/error.hpp"
#include "lwnet/transfer.hpp"

namespace lwnet {

namespace {

// Backend memory of one buffer set: the Z chunk (rows and their norms) with its float64 result,
// the X chunk (unless it is the Z chunk itself), the B chunk. Streaming holds two sets (double
// buffering) and one product's scratch, `workspace` bytes (Backend::workspace_bytes).
std::size_t chunk_bytes(std::int64_t z_rows, std::int64_t x_rows, std::int64_t d, std::int64_t c, bool shared,
                        int buffer_sets, std::size_t workspace) {
  const auto z = static_cast<std::size_t>(z_rows);
  const auto x = static_cast<std::size_t>(x_rows);
  const auto row = static_cast<std::size_t>(d) * sizeof(float) + sizeof(float);  // the row and its norm
  const auto cs = static_cast<std::size_t>(c);
  const std::size_t set = z * (row + cs * sizeof(double)) + (shared ? 0 : x * row) + x * cs * sizeof(float);
  return static_cast<std::size_t>(buffer_sets) * set + workspace;
}

using WorkspaceFor = std::function<std::size_t(std::int64_t z_rows, std::int64_t x_rows)>;

StreamPlan plan_chunks(std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c, std::size_t budget,
                       bool same_rows, const WorkspaceFor& workspace);

}  // namespace

StreamPlan plan_streamed_kernel_matmul(const Backend& device, std::int64_t m, std::int64_t n, std::int64_t d,
                                       std::int64_t c, std::size_t budget, bool same_rows) {
  return plan_chunks(m, n, d, c, budget, same_rows, [&](std::int64_t z_rows, std::int64_t x_rows) {
    return device.workspace_bytes(WorkspaceOp::kernel_matmul, WorkspaceShape{z_rows, x_rows, d, c});
  });
}

StreamPlan plan_streamed_kernel_matmul(std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c,
                                       std::size_t budget, bool same_rows) {
  return plan_chunks(m, n, d, c, budget, same_rows, [&](std::int64_t z_rows, std::int64_t x_rows) {
    return Backend::default_workspace_bytes(WorkspaceOp::kernel_matmul, WorkspaceShape{z_rows, x_rows, d, c});
  });
}

namespace {

StreamPlan plan_chunks(std::int64_t m, std::int64_t n, std::int64_t d, std::int64_t c, std::size_t budget,
                       bool same_rows, const WorkspaceFor& workspace) {
  if (m < 1 || n < 1 || d < 1 || c < 1)
    throw InvalidArgument("plan_streamed_kernel_matmul: shapes must be positive, got m = " + std::to_string(m) +
                          ", n = " + std::to_string(n) + ", d = " + std::to_string(d) + ", c = " + std::to_string(c));
  if (same_rows && m != n)
    throw InvalidArgument("plan_streamed_kernel_matmul: same_rows needs m == n");
  // Equal chunk lengths r for both operands (capped by each one's rows); bytes grow with r.
  const auto bytes_for = [&](std::int64_t r) {
    const std::int64_t z_rows = std::min(m, r);
    const std::int64_t x_rows = std::min(n, r);
    // One chunk pair holds everything once (Z and X the same matrix: held once); streamed chunk
    // pairs hold two buffer sets, so the next pair's copies overlap this pair's compute.
    const bool single = z_rows == m && x_rows == n;
    return chunk_bytes(z_rows, x_rows, d, c, same_rows && single, single ? 1 : 2, workspace(z_rows, x_rows));
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

}  // namespace

namespace {

void check_streamed_operands(MatrixView<const float> Z, MatrixView<const float> X, MatrixView<const float> B,
                             MatrixView<double> out) {
  const std::string op = "kernel_matmul_streamed";
  for (const auto* view : {&Z, &X, &B})
    if (view->space() != MemorySpace::host) throw InvalidArgument(op + ": Z, X and B must be host matrices");
  if (out.space() != MemorySpace::host) throw InvalidArgument(op + ": out must be a host matrix");
  // Layout: extents, leading dimensions, one matrix each (the pipeline copies rows itself).
  detail::check_layout(op.c_str(), "Z", Z);
  detail::check_layout(op.c_str(), "X", X);
  detail::check_layout(op.c_str(), "B", B);
  detail::check_layout(op.c_str(), "out", out);
  if (Z.cols() != X.cols() || B.rows() != X.rows() || out.rows() != Z.rows() || out.cols() != B.cols())
    throw InvalidArgument(op + ": shapes do not match: Z " + std::to_string(Z.rows()) + "x" + std::to_string(Z.cols()) +
                          ", X " + std::to_string(X.rows()) + "x" + std::to_string(X.cols()) + ", B " +
                          std::to_string(B.rows()) + "x" + std::to_string(B.cols()) + ", out " +
                          std::to_string(out.rows()) + "x" + std::to_string(out.cols()));
}

bool same_rows(MatrixView<const float> Z, MatrixView<const float> X) {
  return Z.data() == X.data() && Z.rows() == X.rows() && Z.ld() == X.ld();
}

// One (Z chunk, X chunk) pair of the product, in the order they run: Z chunks outer.
struct ChunkPair {
  std::int64_t z_index, z0, zr, x0, xr;
  bool first_of_z, last_of_z;
  bool diagonal;  // Z and X the same matrix and the same rows: the Z chunk serves as X
};

std::vector<ChunkPair> chunk_pairs(const StreamPlan& plan, std::int64_t m, std::int64_t n, bool same) {
  std::vector<ChunkPair> pairs;
  for (std::int64_t zi = 0; zi < plan.z_chunks; ++zi) {
    const std::int64_t z0 = zi * plan.z_rows;
    const std::int64_t zr = std::min(plan.z_rows, m - z0);
    for (std::int64_t xi = 0; xi < plan.x_chunks; ++xi) {
      const std::int64_t x0 = xi * plan.x_rows;
      const std::int64_t xr = std::min(plan.x_rows, n - x0);
      pairs.push_back({zi, z0, zr, x0, xr, xi == 0, xi + 1 == plan.x_chunks, same && x0 == z0 && xr == zr});
    }
  }
  return pairs;
}

// Adds each pair's float64 sums into its Z chunk's running total, writes finished chunks to out
// and reports progress.
class ChunkAccumulator {
 public:
  ChunkAccumulator(MatrixView<double> out, std::int64_t chunk_rows, std::int64_t total_pairs,
                   const StreamProgressCallback& progress)
      : out_(out), total_(Matrix<double>::host(chunk_rows, out.cols())), progress_(progress) {
    report_.total = total_pairs;
  }

  void add(const ChunkPair& pair, MatrixView<const double> sums) {
    const std::int64_t c = out_.cols();
    for (std::int64_t i = 0; i < pair.zr; ++i)
      for (std::int64_t j = 0; j < c; ++j) total_(i, j) += sums(i, j);
    if (pair.last_of_z) {
      for (std::int64_t i = 0; i < pair.zr; ++i)
        for (std::int64_t j = 0; j < c; ++j) {
          out_(pair.z0 + i, j) = total_(i, j);
          total_(i, j) = 0.0;
        }
    }
    ++report_.done;
    report_.entries += static_cast<double>(pair.zr) * static_cast<double>(pair.xr);
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (progress_) progress_(report_);
  }

 private:
  MatrixView<double> out_;
  Matrix<double> total_;  // zero-filled
  const StreamProgressCallback& progress_;
  StreamProgress report_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The CPU backend computes on host memory directly: each chunk pair is a pair of views.
void stream_host_views(Backend& backend, const std::vector<ChunkPair>& pairs, MatrixView<const float> Z,
                       MatrixView<const float> X, MatrixView<const float> B, const GramParams& params,
                       ChunkAccumulator& sums, std::int64_t chunk_rows) {
  Matrix<double> part = Matrix<double>::host(chunk_rows, B.cols());
  for (const ChunkPair& pair : pairs) {
    const MatrixView<const float> zc = Z.row_range(pair.z0, pair.zr);
    // The diagonal pair passes the Z chunk itself, so self-pairs stay exact.
    const MatrixView<const float> xc = pair.diagonal ? zc : X.row_range(pair.x0, pair.xr);
    const MatrixView<double> pc = part.view().row_range(0, pair.zr);
    backend.kernel_matmul(zc, xc, B.row_range(pair.x0, pair.xr), params, pc);
    sums.add(pair, pc);
  }
}

// Two buffer sets in backend memory (and in host staging memory) alternate between pairs: while
// pair p computes in one set, pair p + 1's chunks are copied into the other, and pair p - 1's
// sums come back and are added on the host.
class DoubleBufferedStream {
 public:
  DoubleBufferedStream(Backend& backend, TransferQueue& queue, const StreamPlan& plan, std::int64_t d,
                       std::int64_t c, bool two_sets)
      : backend_(backend), queue_(queue) {
    const int sets = two_sets ? 2 : 1;
    for (int s = 0; s < sets; ++s) {
      Slot& slot = slots_[static_cast<std::size_t>(s)];
      slot.z = backend.allocate<float>(plan.z_rows, d);
      slot.x = backend.allocate<float>(plan.x_rows, d);
      slot.b = backend.allocate<float>(plan.x_rows, c);
      slot.part = backend.allocate<double>(plan.z_rows, c);
      slot.z_staging = queue.allocate_staging_float(plan.z_rows, d);
      slot.x_staging = queue.allocate_staging_float(plan.x_rows, d);
      slot.b_staging = queue.allocate_staging_float(plan.x_rows, c);
      slot.part_staging = queue.allocate_staging_double(plan.z_rows, c);
    }
    sets_ = sets;
    queue.copies_wait_for_compute();  // the buffers exist (allocated in the compute queue's order)
  }
  DoubleBufferedStream(const DoubleBufferedStream&) = delete;
  DoubleBufferedStream& operator=(const DoubleBufferedStream&) = delete;
  // Copies may still be running when an error unwinds: they finish before the buffers go.
  ~DoubleBufferedStream() { queue_.wait_all(); }

  void run(const std::vector<ChunkPair>& pairs, MatrixView<const float> Z, MatrixView<const float> X,
           MatrixView<const float> B, const GramParams& params, ChunkAccumulator& sums) {
    const auto count = static_cast<std::int64_t>(pairs.size());
    upload(pairs[0], 0, Z, X, B);
    for (std::int64_t p = 0; p < count; ++p) {
      const ChunkPair& pair = pairs[static_cast<std::size_t>(p)];
      if (p + 1 < count) {
        // The other set was last read by pair p - 1's compute, queued already.
        queue_.copies_wait_for_compute();
        upload(pairs[static_cast<std::size_t>(p + 1)], p + 1, Z, X, B);
      }
      Slot& slot = slot_of(p);
      const Slot& z_slot = z_slot_of(pair);
      queue_.compute_waits_for(slot.uploaded);
      const MatrixView<const float> zc = z_slot.z.cview().row_range(0, pair.zr);
      const MatrixView<const float> xc = pair.diagonal ? zc : slot.x.cview().row_range(0, pair.xr);
      const MatrixView<double> part = slot.part.view().row_range(0, pair.zr);
      backend_.kernel_matmul(zc, xc, slot.b.cview().row_range(0, pair.xr), params, part);
      queue_.copies_wait_for_compute();
      slot.downloaded = queue_.copy(MatrixView<const double>(part), slot.part_staging.view().row_range(0, pair.zr));
      if (p > 0) collect(pairs[static_cast<std::size_t>(p - 1)], p - 1, sums);
    }
    collect(pairs.back(), count - 1, sums);
  }

 private:
  struct Slot {
    Matrix<float> z, x, b;
    Matrix<double> part;
    Matrix<float> z_staging, x_staging, b_staging;
    Matrix<double> part_staging;
    CopyFence z_uploaded;  // the Z chunk held in this slot
    CopyFence uploaded;    // everything pair p needs (copies run in order)
    CopyFence downloaded;
  };

  Slot& slot_of(std::int64_t p) { return slots_[static_cast<std::size_t>(p % sets_)]; }
  // Z chunks alternate between the sets' Z buffers by chunk index.
  Slot& z_slot_of(const ChunkPair& pair) { return slots_[static_cast<std::size_t>(pair.z_index % sets_)]; }

  // Copies host rows into staging memory, then queues the copy to the backend.
  CopyFence stage(MatrixView<const float> rows, Matrix<float>& staging, Matrix<float>& device, CopyFence last_read) {
    queue_.host_waits_for(last_read);  // the staging buffer's previous copy has finished
    const MatrixView<float> host = staging.view().row_range(0, rows.rows());
    for (std::int64_t i = 0; i < rows.rows(); ++i)
      std::copy(rows.data() + i * rows.ld(), rows.data() + i * rows.ld() + rows.cols(), host.data() + i * host.ld());
    return queue_.copy(MatrixView<const float>(host), device.view().row_range(0, rows.rows()));
  }

  void upload(const ChunkPair& pair, std::int64_t p, MatrixView<const float> Z, MatrixView<const float> X,
              MatrixView<const float> B) {
    Slot& slot = slot_of(p);
    const CopyFence previous = slot.uploaded;  // the last copy out of this slot's staging buffers
    if (pair.first_of_z) {
      Slot& z_slot = z_slot_of(pair);
      z_slot.z_uploaded = stage(Z.row_range(pair.z0, pair.zr), z_slot.z_staging, z_slot.z, z_slot.z_uploaded);
    }
    if (!pair.diagonal) stage(X.row_range(pair.x0, pair.xr), slot.x_staging, slot.x, previous);
    slot.uploaded = stage(B.row_range(pair.x0, pair.xr), slot.b_staging, slot.b, previous);
  }

  void collect(const ChunkPair& pair, std::int64_t p, ChunkAccumulator& sums) {
    Slot& slot = slot_of(p);
    queue_.host_waits_for(slot.downloaded);
    sums.add(pair, slot.part_staging.cview().row_range(0, pair.zr));
  }

  Backend& backend_;
  TransferQueue& queue_;
  std::array<Slot, 2> slots_;
  int sets_ = 1;
};

}  // namespace

void kernel_matmul_streamed(Backend& backend, TransferQueue& queue, MatrixView<const float> Z,
                            MatrixView<const float> X, MatrixView<const float> B, const GramParams& params,
                            MatrixView<double> out, std::size_t budget, const StreamProgressCallback& progress) {
  check_streamed_operands(Z, X, B, out);
  const bool same = same_rows(Z, X);
  const StreamPlan plan = plan_streamed_kernel_matmul(backend, Z.rows(), X.rows(), X.cols(), B.cols(), budget, same);
  const std::vector<ChunkPair> pairs = chunk_pairs(plan, Z.rows(), X.rows(), same);
  ChunkAccumulator sums(out, plan.z_rows, static_cast<std::int64_t>(pairs.size()), progress);
  DoubleBufferedStream stream(backend, queue, plan, X.cols(), B.cols(), pairs.size() > 1);
  stream.run(pairs, Z, X, B, params, sums);
}

void kernel_matmul_streamed(Backend& backend, MatrixView<const float> Z, MatrixView<const float> X,
                            MatrixView<const float> B, const GramParams& params, MatrixView<double> out,
                            std::size_t budget, const StreamProgressCallback& progress) {
  if (backend.memory_space() != MemorySpace::host) {
    const std::unique_ptr<TransferQueue> queue = backend.make_transfer_queue();
    kernel_matmul_streamed(backend, *queue, Z, X, B, params, out, budget, progress);
    return;
  }
  check_streamed_operands(Z, X, B, out);
  const bool same = same_rows(Z, X);
  const StreamPlan plan = plan_streamed_kernel_matmul(backend, Z.rows(), X.rows(), X.cols(), B.cols(), budget, same);
  const std::vector<ChunkPair> pairs = chunk_pairs(plan, Z.rows(), X.rows(), same);
  ChunkAccumulator sums(out, plan.z_rows, static_cast<std::int64_t>(pairs.size()), progress);
  stream_host_views(backend, pairs, Z, X, B, params, sums, plan.z_rows);
}

std::size_t resident_fit_bytes(std::int64_t n, std::int64_t d, std::int64_t c) {
  const auto rows = static_cast<std::size_t>(n);
  const auto width = static_cast<std::size_t>(std::max(d, 2 * c));  // a layer's input: the data or 2c columns
  const auto columns = static_cast<std::size_t>(2 * c);             // c classes + at most c extra columns
  return rows * (width + 1) * sizeof(float)                         // layer input and its norms
         + rows * 2 * columns * sizeof(float)                        // candidate output and weights
         + rows * (2 * static_cast<std::size_t>(c) + 1) * sizeof(double)  // HSIC: K [Y 1] and Y
         + Backend::default_workspace_bytes(WorkspaceOp::kernel_matmul,   // the product's partial sums
                                            WorkspaceShape{n, n, d, 2 * c});
}

std::string format_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : value < 10.0 ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

std::size_t default_memory_budget(const Backend& backend) {
  return backend.free_memory_bytes() / 5 * 4;
}

}  // namespace lwnet
