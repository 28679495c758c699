// 3x3 convolution lowering with TensorFlow's SAME padding (Conv3x3Shape) and the seeded random
// fill. im2col: one thread per entry of cols, row (n, oy, ox), column (ky, kx, c), zeros in the
// padding. col2im is a gather, not a scatter: each dX entry adds its <= 9 patch entries itself, in
// increasing (oy, ox) order (the order a serial scatter over the rows of dcols adds them), so it
// needs no atomics and is deterministic. fill_random evaluates the counter-based generator of
// lwnet/detail/counter_random.hpp, the same code the CPU runs, per element.
#include "common/host_device.cuh"
#include "lwnet/detail/counter_random.hpp"

#include "nn/nn_kernels.cuh"

namespace lwnet::cuda::nn {

namespace {

// The geometry both directions share, as plain integers for the device.
struct ConvGeometry {
  std::int64_t height, width, channels;
  std::int64_t out_height, out_width;
  std::int64_t pad_top, pad_left;
  std::int64_t stride;
};

ConvGeometry geometry_of(const Conv3x3Shape& s) {
  return {s.height, s.width, s.channels, s.out_height(), s.out_width(), s.pad_top(), s.pad_left(), s.stride};
}

template <class T>
struct Im2colOp {
  const T* x;
  std::int64_t ldx;
  ConvGeometry g;
  T* cols;
  std::int64_t ldc;
  // (r, q): r = (n * Ho + oy) * Wo + ox, q = (ky * 3 + kx) * C + c.
  __device__ void operator()(std::int64_t r, std::int64_t q) const {
    const std::int64_t ox = r % g.out_width;
    const std::int64_t oy = (r / g.out_width) % g.out_height;
    const std::int64_t n = r / (g.out_width * g.out_height);
    const std::int64_t c = q % g.channels;
    const std::int64_t k = q / g.channels;
    const std::int64_t iy = oy * g.stride - g.pad_top + k / 3;
    const std::int64_t ix = ox * g.stride - g.pad_left + k % 3;
    const bool inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
    cols[r * ldc + q] = inside ? x[n * ldx + (iy * g.width + ix) * g.channels + c] : T(0);
  }
};

template <class T>
struct Col2imOp {
  const T* dcols;
  std::int64_t ldc;
  ConvGeometry g;
  T* dx;
  std::int64_t lddx;
  // (n, p): p = (y * W + x) * C + c.
  __device__ void operator()(std::int64_t n, std::int64_t p) const {
    const std::int64_t c = p % g.channels;
    const std::int64_t x = (p / g.channels) % g.width;
    const std::int64_t y = p / (g.channels * g.width);
    T sum = T(0);
    // oy = (y + pad_top - ky) / stride rises as ky falls; likewise ox with kx.
    for (int ky = 2; ky >= 0; --ky) {
      const std::int64_t ty = y + g.pad_top - ky;
      if (ty < 0 || ty % g.stride != 0 || ty / g.stride >= g.out_height) continue;
      const std::int64_t oy = ty / g.stride;
      for (int kx = 2; kx >= 0; --kx) {
        const std::int64_t tx = x + g.pad_left - kx;
        if (tx < 0 || tx % g.stride != 0 || tx / g.stride >= g.out_width) continue;
        const std::int64_t ox = tx / g.stride;
        const std::int64_t r = (n * g.out_height + oy) * g.out_width + ox;
        sum += dcols[r * ldc + (ky * 3 + kx) * g.channels + c];
      }
    }
    dx[n * lddx + p] = sum;
  }
};

template <class T>
struct FillRandomOp {
  T* a;
  std::int64_t lda;
  std::uint64_t cols;
  std::uint64_t offset;
  std::uint64_t key;
  Distribution distribution;
  double pa, pb;
  __device__ void operator()(std::int64_t i, std::int64_t j) const {
    const std::uint64_t counter = offset + static_cast<std::uint64_t>(i) * cols + static_cast<std::uint64_t>(j);
    a[i * lda + j] = static_cast<T>(detail::counter_draw(distribution, pa, pb, key, counter));
  }
};

}  // namespace

template <class T>
void launch_im2col_3x3(const CudaContext& ctx, MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) {
  launch_for_each_element(ctx, "im2col_3x3_kernel", cols.rows(), cols.cols(),
                          Im2colOp<T>{X.data(), X.ld(), geometry_of(shape), cols.data(), cols.ld()});
}

template <class T>
void launch_col2im_3x3(const CudaContext& ctx, MatrixView<const T> dcols, const Conv3x3Shape& shape,
                       MatrixView<T> dX) {
  launch_for_each_element(ctx, "col2im_3x3_kernel", dX.rows(), dX.cols(),
                          Col2imOp<T>{dcols.data(), dcols.ld(), geometry_of(shape), dX.data(), dX.ld()});
}

template <class T>
void launch_fill_random(const CudaContext& ctx, MatrixView<T> A, const RandomDraw& draw) {
  const FillRandomOp<T> op{A.data(),   A.ld(), static_cast<std::uint64_t>(A.cols()), draw.offset,
                           detail::mix64(draw.seed), draw.distribution, draw.a, draw.b};
  launch_for_each_element(ctx, "fill_random_kernel", A.rows(), A.cols(), op);
}

#define LWNET_INSTANTIATE_NN_CONV_RANDOM(T)                                                                        \
  template void launch_im2col_3x3<T>(const CudaContext&, MatrixView<const T>, const Conv3x3Shape&, MatrixView<T>); \
  template void launch_col2im_3x3<T>(const CudaContext&, MatrixView<const T>, const Conv3x3Shape&, MatrixView<T>); \
  template void launch_fill_random<T>(const CudaContext&, MatrixView<T>, const RandomDraw&);
LWNET_INSTANTIATE_NN_CONV_RANDOM(float)
LWNET_INSTANTIATE_NN_CONV_RANDOM(double)
#undef LWNET_INSTANTIATE_NN_CONV_RANDOM

}  // namespace lwnet::cuda::nn
