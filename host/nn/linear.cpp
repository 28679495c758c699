#include "nn/linear.hpp"

#include <algorithm>
#include <cmath>

#include "lwnet/error.hpp"

namespace lwnet::nn {

namespace {
// The key torch-initialised biases are drawn with (seed ^ key): a stream of their own.
constexpr std::uint64_t kBiasKey = 0x42494153494e4954ULL;

template <class T>
Parameter<T> make_parameter(Backend& backend, std::string name, std::int64_t rows, std::int64_t cols) {
  Parameter<T> p;
  p.name = std::move(name);
  p.value = backend.allocate<T>(rows, cols);
  p.grad = backend.allocate<T>(rows, cols);
  backend.nn().fill(p.value.view(), T(0));
  backend.nn().fill(p.grad.view(), T(0));
  return p;
}
}  // namespace

Parameterisation parameterisation_of(net::Init init) {
  switch (init) {
    case net::Init::ntk: return Parameterisation::ntk;
    case net::Init::standard: return Parameterisation::standard;
    case net::Init::torch: return Parameterisation::torch;
  }
  return Parameterisation::ntk;
}

template <class T>
LinearMap<T>::LinearMap(Backend& backend, const std::string& name, std::int64_t fan_in, std::int64_t fan_out,
                        Parameterisation parameterisation)
    : Module<T>(backend),
      parameterisation_(parameterisation),
      scale_(parameterisation == Parameterisation::ntk ? T(1.0 / std::sqrt(static_cast<double>(fan_in))) : T(1)),
      weight_(make_parameter<T>(backend, name + ".weight", fan_in, fan_out)),
      bias_(make_parameter<T>(backend, name + ".bias", 1, fan_out)) {}

template <class T>
void LinearMap<T>::initialise(std::uint64_t seed, std::uint64_t offset) {
  RandomDraw draw;
  draw.distribution = Distribution::normal;
  draw.seed = seed;
  draw.offset = offset;
  const double inv_sqrt_fan_in = 1.0 / std::sqrt(static_cast<double>(fan_in()));
  if (parameterisation_ == Parameterisation::torch) {
    draw.distribution = Distribution::uniform;
    draw.a = -inv_sqrt_fan_in;
    draw.b = inv_sqrt_fan_in;
    this->backend().nn().fill_random(weight_.value.view(), draw);
    draw.seed = seed ^ kBiasKey;
    this->backend().nn().fill_random(bias_.value.view(), draw);
    return;
  }
  draw.a = 0.0;
  draw.b = parameterisation_ == Parameterisation::ntk ? 1.0 : inv_sqrt_fan_in;
  this->backend().nn().fill_random(weight_.value.view(), draw);
  this->backend().nn().fill(bias_.value.view(), T(0));
}

template <class T>
MatrixView<const T> LinearMap<T>::backward(MatrixView<const T> dY, bool want_input_grad) {
  backward_parameters(dY);
  if (!want_input_grad) return {};
  return backward_input(dY, weight_.value.cview());
}

// ---- Dense ----------------------------------------------------------------------------------

template <class T>
Dense<T>::Dense(Backend& backend, const std::string& name, std::int64_t in, std::int64_t out, Parameterisation p)
    : LinearMap<T>(backend, name, in, out, p), output_(backend, out), input_grad_(backend, in) {}

template <class T>
MatrixView<const T> Dense<T>::forward(MatrixView<const T> X) {
  input_ = X;
  MatrixView<T> Y = output_.rows(X.rows());
  Backend& b = this->backend();
  b.blas().gemm(Transpose::no, Transpose::no, this->scale(), X, this->weight().value.cview(), T(0), Y);
  b.nn().add_row_vector(Y, this->bias().value.cview());
  return Y;
}

template <class T>
void Dense<T>::backward_parameters(MatrixView<const T> dY) {
  Backend& b = this->backend();
  b.blas().gemm(Transpose::yes, Transpose::no, this->scale(), input_, dY, T(0), this->weight().grad.view());
  b.nn().column_sums(dY, T(1), T(0), this->bias().grad.view());
}

template <class T>
MatrixView<const T> Dense<T>::backward_input(MatrixView<const T> dY, MatrixView<const T> feedback) {
  MatrixView<T> dX = input_grad_.rows(dY.rows());
  this->backend().blas().gemm(Transpose::no, Transpose::yes, this->scale(), dY, feedback, T(0), dX);
  return dX;
}

// ---- Conv2d ---------------------------------------------------------------------------------

template <class T>
Conv2d<T>::Conv2d(Backend& backend, const std::string& name, const Conv3x3Shape& shape, std::int64_t out_channels,
                  Parameterisation p, std::int64_t column_chunk_bytes)
    : LinearMap<T>(backend, name, shape.patch_features(), out_channels, p),
      shape_(shape),
      column_chunk_bytes_(column_chunk_bytes),
      columns_(backend, shape.patch_features()),
      output_(backend, out_channels),
      column_grad_(backend, shape.patch_features()),
      input_grad_(backend, shape.input_features()) {}

template <class T>
MatrixView<const T> Conv2d<T>::as_pixels(MatrixView<const T> batch) const {
  if (batch.rows() != batch_rows_ || batch.cols() != output_features())
    throw InvalidArgument("conv2d backward: dY is " + describe(batch) + " but the last forward gave " +
                          std::to_string(batch_rows_) + "x" + std::to_string(output_features()));
  if (!batch.contiguous())
    throw InvalidArgument("conv2d: a batch of images must be contiguous (ld == cols)");
  const std::int64_t pixels = batch.cols() / out_channels();
  return MatrixView<const T>(batch.data(), batch.rows() * pixels, out_channels(), out_channels(), batch.space(),
                             batch.device());
}

template <class T>
std::int64_t Conv2d<T>::images_per_chunk(std::int64_t images) const {
  if (this->backend().memory_space() != MemorySpace::host) return images;
  const std::int64_t image_bytes =
      shape_.out_height() * shape_.out_width() * shape_.patch_features() * static_cast<std::int64_t>(sizeof(T));
  return std::max<std::int64_t>(1, std::min(images, column_chunk_bytes_ / image_bytes));
}

template <class T>
MatrixView<const T> Conv2d<T>::lower(MatrixView<const T> X, std::int64_t first, std::int64_t count) {
  MatrixView<T> cols = columns_.rows(count * patches());
  this->backend().nn().im2col_3x3(X.row_range(first, count), shape_, cols);
  return cols;
}

template <class T>
MatrixView<const T> Conv2d<T>::forward(MatrixView<const T> X) {
  Backend& b = this->backend();
  input_ = X;
  batch_rows_ = X.rows();
  MatrixView<T> Y = output_.rows(X.rows() * patches());
  const std::int64_t chunk = images_per_chunk(X.rows());
  for (std::int64_t n = 0; n < X.rows(); n += chunk) {
    const std::int64_t count = std::min(chunk, X.rows() - n);
    const MatrixView<const T> cols = lower(X, n, count);
    const MatrixView<T> y = Y.row_range(n * patches(), count * patches());
    b.blas().gemm(Transpose::no, Transpose::no, this->scale(), cols, this->weight().value.cview(), T(0), y);
    b.nn().add_row_vector(y, this->bias().value.cview());
  }
  return MatrixView<const T>(Y.data(), batch_rows_, output_features(), output_features(), Y.space(), Y.device());
}

// The weight gradient sums cols^T dY over the chunks in order, lowering each chunk again unless
// the whole batch was one chunk (its columns are still those of the forward pass).
template <class T>
void Conv2d<T>::backward_parameters(MatrixView<const T> dY) {
  Backend& b = this->backend();
  const MatrixView<const T> dpixels = as_pixels(dY);
  const std::int64_t chunk = images_per_chunk(batch_rows_);
  for (std::int64_t n = 0; n < batch_rows_; n += chunk) {
    const std::int64_t count = std::min(chunk, batch_rows_ - n);
    const MatrixView<const T> cols =
        chunk == batch_rows_ ? MatrixView<const T>(columns_.rows(count * patches())) : lower(input_, n, count);
    b.blas().gemm(Transpose::yes, Transpose::no, this->scale(), cols,
                  dpixels.row_range(n * patches(), count * patches()), n == 0 ? T(0) : T(1),
                  this->weight().grad.view());
  }
  b.nn().column_sums(dpixels, T(1), T(0), this->bias().grad.view());
}

template <class T>
MatrixView<const T> Conv2d<T>::backward_input(MatrixView<const T> dY, MatrixView<const T> feedback) {
  Backend& b = this->backend();
  const MatrixView<const T> dpixels = as_pixels(dY);
  MatrixView<T> dX = input_grad_.rows(dY.rows());
  const std::int64_t chunk = images_per_chunk(batch_rows_);
  for (std::int64_t n = 0; n < batch_rows_; n += chunk) {
    const std::int64_t count = std::min(chunk, batch_rows_ - n);
    MatrixView<T> dcols = column_grad_.rows(count * patches());
    b.blas().gemm(Transpose::no, Transpose::yes, this->scale(), dpixels.row_range(n * patches(), count * patches()),
                  feedback, T(0), dcols);
    b.nn().col2im_3x3(MatrixView<const T>(dcols), shape_, dX.row_range(n, count));
  }
  return dX;
}

template class LinearMap<float>;
template class LinearMap<double>;
template class Dense<float>;
template class Dense<double>;
template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace lwnet::nn
