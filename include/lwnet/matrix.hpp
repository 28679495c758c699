// Matrices: non-owning views and an owning Matrix, both row-major with a leading dimension.
//
// A view records WHERE its memory lives (host or a CUDA device) so that every backend can refuse
// memory it cannot address instead of crashing on it. Element (i, j) is data[i * ld + j].
//
// A view may also be a batch of equally shaped matrices (conv and RNN layers, one GEMM per image
// or time step): batch_count() matrices, entry b starting batch_stride() elements after entry
// b - 1, so its element (i, j) is data[b * batch_stride + i * ld + j]. rows/cols/ld/size describe
// one entry. A plain view is a batch of one (stride 0); view.batched(count, stride) makes a batch,
// batch(b) takes one entry out as a plain view. Stride 0 repeats one matrix for every entry, which
// only an input may do. Only the operations that say so (Blas::gemm_strided_batched) take
// batches; every other operation refuses a view with batch_count() != 1 (InvalidArgument naming
// the argument) rather than read only its first entry. batched() and batch() check nothing: the
// operations validate (count >= 1, stride >= 0, outputs' entries apart).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace lwnet {

enum class MemorySpace { host, cuda };

inline const char* to_string(MemorySpace space) {
  return space == MemorySpace::host ? "host" : "cuda";
}

template <class T>
class MatrixView {
 public:
  using value_type = T;

  MatrixView() = default;
  MatrixView(T* data, std::int64_t rows, std::int64_t cols, std::int64_t ld,
             MemorySpace space = MemorySpace::host, int device = 0)
      : data_(data), rows_(rows), cols_(cols), ld_(ld), space_(space), device_(device) {}

  // A dense host view (ld == cols).
  static MatrixView host(T* data, std::int64_t rows, std::int64_t cols) {
    return MatrixView(data, rows, cols, cols, MemorySpace::host, 0);
  }

  // Views of non-const data convert to views of const data.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T>>>
  MatrixView(const MatrixView<U>& other)  // NOLINT(google-explicit-constructor)
      : data_(other.data()), rows_(other.rows()), cols_(other.cols()), ld_(other.ld()),
        space_(other.space()), device_(other.device()), batch_count_(other.batch_count()),
        batch_stride_(other.batch_stride()) {}

  T* data() const { return data_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t ld() const { return ld_; }
  MemorySpace space() const { return space_; }
  int device() const { return device_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  bool contiguous() const { return ld_ == cols_ || rows_ <= 1; }
  std::int64_t size() const { return rows_ * cols_; }  // of one batch entry

  // The batch (see the file comment): 1 and 0 for a plain view.
  std::int64_t batch_count() const { return batch_count_; }
  std::int64_t batch_stride() const { return batch_stride_; }  // elements from one entry to the next

  // This view as a batch of `count` matrices `stride` elements apart (a copy; shares memory).
  MatrixView batched(std::int64_t count, std::int64_t stride) const {
    MatrixView b = *this;
    b.batch_count_ = count;
    b.batch_stride_ = stride;
    return b;
  }
  // Entry b (0 <= b < batch_count(), unchecked) as a plain view.
  MatrixView batch(std::int64_t b) const {
    return MatrixView(data_ + b * batch_stride_, rows_, cols_, ld_, space_, device_);
  }

  // Host-only element access; the caller guarantees space() == host.
  T& operator()(std::int64_t i, std::int64_t j) const { return data_[i * ld_ + j]; }

  // The sub-block starting at (row, col) with the given extent; shares memory. Of a batch, the
  // same block of every entry (same count and stride): entry b's block is batch(b).block(...).
  MatrixView block(std::int64_t row, std::int64_t col, std::int64_t rows, std::int64_t cols) const {
    return MatrixView(data_ + row * ld_ + col, rows, cols, ld_, space_, device_)
        .batched(batch_count_, batch_stride_);
  }
  MatrixView row_range(std::int64_t row, std::int64_t rows) const {
    return block(row, 0, rows, cols_);
  }
  MatrixView col_range(std::int64_t col, std::int64_t cols) const {
    return block(0, col, rows_, cols);
  }

 private:
  T* data_ = nullptr;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::int64_t ld_ = 0;
  MemorySpace space_ = MemorySpace::host;
  int device_ = 0;
  std::int64_t batch_count_ = 1;
  std::int64_t batch_stride_ = 0;
};

// "3x4 cuda:0", "3x4 batch 5 stride 20" — for error messages.
template <class T>
std::string describe(const MatrixView<T>& m) {
  std::string s = std::to_string(m.rows()) + "x" + std::to_string(m.cols());
  if (m.batch_count() != 1)
    s += " batch " + std::to_string(m.batch_count()) + " stride " + std::to_string(m.batch_stride());
  if (m.space() == MemorySpace::cuda) s += " cuda:" + std::to_string(m.device());
  return s;
}

// Releases the memory a Matrix owns. Captures whatever keeps the allocator alive.
using MemoryDeleter = std::function<void(void*)>;

// An owning, move-only, dense (ld == cols) row-major matrix in some memory space.
// Host matrices are made with Matrix<T>::host; backend matrices with Backend::allocate.
template <class T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(T* data, std::int64_t rows, std::int64_t cols, MemorySpace space, int device,
         MemoryDeleter deleter)
      : data_(data), rows_(rows), cols_(cols), space_(space), device_(device),
        deleter_(std::move(deleter)) {}

  // Zero-initialised host storage.
  static Matrix host(std::int64_t rows, std::int64_t cols) {
    const std::int64_t count = rows * cols;
    T* data = count > 0 ? new T[static_cast<std::size_t>(count)]() : nullptr;
    return Matrix(data, rows, cols, MemorySpace::host, 0, [](void* p) { delete[] static_cast<T*>(p); });
  }

  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  Matrix(Matrix&& other) noexcept { swap(other); }
  Matrix& operator=(Matrix&& other) noexcept {
    Matrix tmp(std::move(other));
    swap(tmp);
    return *this;
  }
  ~Matrix() {
    if (data_ != nullptr && deleter_) deleter_(data_);
  }

  // A plain (unbatched) view of the whole matrix.
  MatrixView<T> view() { return MatrixView<T>(data_, rows_, cols_, cols_, space_, device_); }
  MatrixView<const T> view() const {
    return MatrixView<const T>(data_, rows_, cols_, cols_, space_, device_);
  }
  MatrixView<const T> cview() const { return view(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t size() const { return rows_ * cols_; }
  MemorySpace space() const { return space_; }
  int device() const { return device_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }

  // Host-only element access.
  T& operator()(std::int64_t i, std::int64_t j) { return data_[i * cols_ + j]; }
  const T& operator()(std::int64_t i, std::int64_t j) const { return data_[i * cols_ + j]; }

 private:
  void swap(Matrix& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(rows_, other.rows_);
    std::swap(cols_, other.cols_);
    std::swap(space_, other.space_);
    std::swap(device_, other.device_);
    std::swap(deleter_, other.deleter_);
  }

  T* data_ = nullptr;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  MemorySpace space_ = MemorySpace::host;
  int device_ = 0;
  MemoryDeleter deleter_;
};

}  // namespace lwnet
