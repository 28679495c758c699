// The 3x3 convolution lowering on the CPU: im2col copies each patch as three runs of 3C contiguous
// values (a patch row spans three neighbouring pixels, channels fastest), col2im adds them back.
// Both work one image per task: an image's pixels receive only from its own patches, so col2im has
// no races and sums each pixel's contributions in the same (oy, ox, ky, kx) order on any thread count.
#include <algorithm>
#include <cstdint>

#include "cpu/cpu_nn_ops.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

namespace {

// The geometry both directions share.
struct ConvGeometry {
  std::int64_t H, W, C, Ho, Wo, stride, pad_top, pad_left;

  explicit ConvGeometry(const Conv3x3Shape& s)
      : H(s.height), W(s.width), C(s.channels), Ho(s.out_height()), Wo(s.out_width()), stride(s.stride),
        pad_top(s.pad_top()), pad_left(s.pad_left()) {}

  std::int64_t patches() const { return Ho * Wo; }
};

// Calls visit(patch_row, ky, first_kx, kx_count, pixel) for every run of in-range pixels of image
// row iy = oy * stride - pad_top + ky: the run covers kx in [first_kx, first_kx + kx_count) and starts
// at pixel (iy, ix) = `pixel` (a pixel index iy * W + ix). Runs are visited in (oy, ox, ky) order;
// `skipped(patch_row, ky, kx)` is called for each out-of-range position (padding).
template <class Visit, class Skip>
void for_each_patch_run(const ConvGeometry& g, Visit&& visit, Skip&& skipped) {
  for (std::int64_t oy = 0; oy < g.Ho; ++oy) {
    for (std::int64_t ox = 0; ox < g.Wo; ++ox) {
      const std::int64_t patch = oy * g.Wo + ox;
      const std::int64_t ix0 = ox * g.stride - g.pad_left;
      // Columns kx with 0 <= ix0 + kx < W.
      const std::int64_t kx_begin = std::max<std::int64_t>(0, -ix0);
      const std::int64_t kx_end = std::min<std::int64_t>(3, g.W - ix0);
      for (std::int64_t ky = 0; ky < 3; ++ky) {
        const std::int64_t iy = oy * g.stride - g.pad_top + ky;
        if (iy < 0 || iy >= g.H || kx_begin >= kx_end) {
          for (std::int64_t kx = 0; kx < 3; ++kx) skipped(patch, ky, kx);
          continue;
        }
        for (std::int64_t kx = 0; kx < kx_begin; ++kx) skipped(patch, ky, kx);
        visit(patch, ky, kx_begin, kx_end - kx_begin, iy * g.W + ix0 + kx_begin);
        for (std::int64_t kx = kx_end; kx < 3; ++kx) skipped(patch, ky, kx);
      }
    }
  }
}

// im2col of one single-channel image: its runs are one to three values, where a copy call per
// run would cost more than the copy (a conv net's first layer on grey images), so each patch
// entry is written directly.
template <class T>
void im2col_one_channel(const ConvGeometry& g, const T* image, T* first_row, std::int64_t ld) {
  for (std::int64_t oy = 0; oy < g.Ho; ++oy) {
    for (std::int64_t ox = 0; ox < g.Wo; ++ox) {
      T* row = first_row + (oy * g.Wo + ox) * ld;
      for (std::int64_t ky = 0; ky < 3; ++ky) {
        const std::int64_t iy = oy * g.stride - g.pad_top + ky;
        for (std::int64_t kx = 0; kx < 3; ++kx) {
          const std::int64_t ix = ox * g.stride - g.pad_left + kx;
          const bool inside = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W;
          row[ky * 3 + kx] = inside ? image[iy * g.W + ix] : T(0);
        }
      }
    }
  }
}

}  // namespace

template <class T>
void im2col_3x3_host(ThreadPool& pool, MatrixView<const T> X, const Conv3x3Shape& shape, MatrixView<T> cols) {
  const ConvGeometry g(shape);
  const std::int64_t C = g.C;
  parallel_for(pool, X.rows(), 1, g.patches() * 9 * C, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      const T* image = X.data() + n * X.ld();
      T* first_row = cols.data() + n * g.patches() * cols.ld();
      if (C == 1) {
        im2col_one_channel(g, image, first_row, cols.ld());
        continue;
      }
      for_each_patch_run(
          g,
          [&](std::int64_t patch, std::int64_t ky, std::int64_t kx, std::int64_t count, std::int64_t pixel) {
            std::copy_n(image + pixel * C, count * C, first_row + patch * cols.ld() + (ky * 3 + kx) * C);
          },
          [&](std::int64_t patch, std::int64_t ky, std::int64_t kx) {
            std::fill_n(first_row + patch * cols.ld() + (ky * 3 + kx) * C, C, T(0));
          });
    }
  });
}

template <class T>
void col2im_3x3_host(ThreadPool& pool, MatrixView<const T> dcols, const Conv3x3Shape& shape, MatrixView<T> dX) {
  const ConvGeometry g(shape);
  const std::int64_t C = g.C;
  parallel_for(pool, dX.rows(), 1, g.patches() * 9 * C, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      T* image = dX.data() + n * dX.ld();
      std::fill_n(image, g.H * g.W * C, T(0));
      const T* first_row = dcols.data() + n * g.patches() * dcols.ld();
      for_each_patch_run(
          g,
          [&](std::int64_t patch, std::int64_t ky, std::int64_t kx, std::int64_t count, std::int64_t pixel) {
            const T* src = first_row + patch * dcols.ld() + (ky * 3 + kx) * C;
            T* dst = image + pixel * C;
            const std::int64_t run = count * C;
            for (std::int64_t k = 0; k < run; ++k) dst[k] += src[k];
          },
          [](std::int64_t, std::int64_t, std::int64_t) {});
    }
  });
}

template void im2col_3x3_host(ThreadPool&, MatrixView<const float>, const Conv3x3Shape&, MatrixView<float>);
template void im2col_3x3_host(ThreadPool&, MatrixView<const double>, const Conv3x3Shape&, MatrixView<double>);
template void col2im_3x3_host(ThreadPool&, MatrixView<const float>, const Conv3x3Shape&, MatrixView<float>);
template void col2im_3x3_host(ThreadPool&, MatrixView<const double>, const Conv3x3Shape&, MatrixView<double>);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
