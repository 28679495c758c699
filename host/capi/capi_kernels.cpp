// The kernel primitives of the C API: Gram, HSIC (against labels and between two kernels), class
// mean embeddings and the median heuristic, each one call of lwnet's ops (lwnet/ops.hpp) on
// checked views that are copied to the backend's memory when they are on the host.
#include <optional>
#include <string>

#include "capi/capi_errors.hpp"
#include "capi/capi_handles.hpp"
#include "capi/capi_matrix.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/random.hpp"

namespace lwnet::capi {

namespace {

// The C kernel as lwnet's parameters; the library validates the values (validate(GramParams)).
GramParams gram_params(const lwnet_kernel* kernel, const char* name) {
  const lwnet_kernel& k = require(kernel, name);
  GramParams p;
  switch (k.kind) {
    case LWNET_KERNEL_GAUSSIAN: p.kind = KernelKind::gaussian; break;
    case LWNET_KERNEL_LINEAR: p.kind = KernelKind::linear; break;
    case LWNET_KERNEL_POLYNOMIAL: p.kind = KernelKind::polynomial; break;
    case LWNET_KERNEL_LAPLACIAN: p.kind = KernelKind::laplacian; break;
    default:
      throw InvalidArgument(std::string(name) + ": unknown kernel kind " + std::to_string(static_cast<int>(k.kind)));
  }
  p.sigma = k.sigma;
  p.gamma = k.gamma;
  p.coef0 = k.coef0;
  p.degree = k.degree;
  validate(p, name);
  return p;
}

HsicNormalization normalization_of(lwnet_hsic_normalization normalization) {
  switch (normalization) {
    case LWNET_HSIC_NONE: return HsicNormalization::none;
    case LWNET_HSIC_CODE: return HsicNormalization::code;
    case LWNET_HSIC_TEXTBOOK: return HsicNormalization::textbook;
  }
  throw InvalidArgument("normalization: unknown value " + std::to_string(static_cast<int>(normalization)));
}

Labels labels_of(const std::int32_t* labels, std::int64_t count, std::int32_t num_classes, std::int64_t rows) {
  Labels out;
  out.y = copy_labels(labels, count, rows);
  out.num_classes = num_classes;
  out.validate(rows, "labels");
  return out;
}

void write_result(const HsicResult& r, lwnet_hsic_result* out) {
  out->hsic = r.hsic;
  out->normalized = r.normalized;
  out->norm_k = r.norm_k;
  out->norm_l = r.norm_l;
  out->constant_kernel = r.constant_kernel ? 1 : 0;
}

// X beside an input Z already in the backend's memory: Z's copy itself when the caller passed the
// same view twice (so that self-pairs stay exact on a device), else X's own.
class InputPair {
 public:
  InputPair(Backend& backend, const BackendInput& z_in, const lwnet_matrix* Z, const lwnet_matrix* X,
            MatrixView<const float> x) : x_(z_in.view()) {
    if (!same_view(Z, X)) {
      x_copy_.emplace(backend, x);
      x_ = x_copy_->view();
    }
  }
  MatrixView<const float> x() const { return x_; }

 private:
  std::optional<BackendInput> x_copy_;
  MatrixView<const float> x_;
};

Backend& backend_of(lwnet_backend* backend) { return *require(backend, "backend").backend; }

}  // namespace

}  // namespace lwnet::capi

using namespace lwnet::capi;  // NOLINT(google-build-using-namespace): this file's own helpers

extern "C" {

lwnet_status lwnet_gram(lwnet_backend* backend, const lwnet_matrix* Z, const lwnet_matrix* X,
                        const lwnet_kernel* kernel, const lwnet_matrix* out) {
  return guarded("lwnet_gram", [&] {
    lwnet::Backend& b = backend_of(backend);
    const auto z = float_view(Z, "Z", b);
    const auto x = float_view(X, "X", b);
    const auto o = float_view(out, "out", b);
    const lwnet::GramParams params = gram_params(kernel, "kernel");
    require_shape(o, "out", z.rows(), x.rows(), "rows of Z x rows of X");
    const BackendInput z_in(b, z);
    const InputPair inputs(b, z_in, Z, X, x);
    BackendOutput result(b, o);
    b.gram(z_in.view(), inputs.x(), params, result.view());
    result.finish();
  });
}

lwnet_status lwnet_hsic_labels(lwnet_backend* backend, const lwnet_matrix* X, const int32_t* labels, int64_t count,
                               int32_t num_classes, const lwnet_kernel* kernel,
                               lwnet_hsic_normalization normalization, lwnet_hsic_result* out) {
  return guarded("lwnet_hsic_labels", [&] {
    lwnet::Backend& b = backend_of(backend);
    const auto x = float_view(X, "X", b);
    const lwnet::Labels y = labels_of(labels, count, num_classes, x.rows());
    const lwnet::GramParams params = gram_params(kernel, "kernel");
    const lwnet::HsicNormalization norm = normalization_of(normalization);
    require(out, "out");
    const BackendInput x_in(b, x);
    write_result(lwnet::hsic_labels(b, x_in.view(), y, params, norm), out);
  });
}

lwnet_status lwnet_hsic(lwnet_backend* backend, const lwnet_matrix* X, const lwnet_kernel* kx, const lwnet_matrix* Y,
                        const lwnet_kernel* ky, lwnet_hsic_normalization normalization, lwnet_hsic_result* out) {
  return guarded("lwnet_hsic", [&] {
    lwnet::Backend& b = backend_of(backend);
    const auto x = float_view(X, "X", b);
    const auto y = float_view(Y, "Y", b);
    const lwnet::GramParams x_params = gram_params(kx, "kx");
    const lwnet::GramParams y_params = gram_params(ky, "ky");
    const lwnet::HsicNormalization norm = normalization_of(normalization);
    require(out, "out");
    const BackendInput x_in(b, x);
    const BackendInput y_in(b, y);
    write_result(lwnet::hsic(b, x_in.view(), x_params, y_in.view(), y_params, norm), out);
  });
}

lwnet_status lwnet_class_mean_embeddings(lwnet_backend* backend, const lwnet_matrix* Z, const lwnet_matrix* X,
                                         const int32_t* labels, int64_t count, int32_t num_classes,
                                         const lwnet_kernel* kernel, const lwnet_matrix* out) {
  return guarded("lwnet_class_mean_embeddings", [&] {
    lwnet::Backend& b = backend_of(backend);
    const auto z = float_view(Z, "Z", b);
    const auto x = float_view(X, "X", b);
    const auto o = float_view(out, "out", b);
    const lwnet::Labels y = labels_of(labels, count, num_classes, x.rows());
    const lwnet::GramParams params = gram_params(kernel, "kernel");
    require_shape(o, "out", z.rows(), num_classes, "rows of Z x num_classes");
    const BackendInput z_in(b, z);
    const InputPair inputs(b, z_in, Z, X, x);
    BackendOutput result(b, o);
    lwnet::class_mean_embeddings(b, z_in.view(), inputs.x(), y, params, result.view());
    result.finish();
  });
}

lwnet_status lwnet_median_sigma(lwnet_backend* backend, const lwnet_matrix* X, uint64_t seed, int64_t sample_size,
                                double* out) {
  return guarded("lwnet_median_sigma", [&] {
    lwnet::Backend& b = backend_of(backend);
    const auto x = float_view(X, "X", b);
    require(out, "out");
    if (sample_size < 2) throw lwnet::InvalidArgument("sample_size must be >= 2, got " + std::to_string(sample_size));
    const BackendInput x_in(b, x);
    lwnet::Rng rng(seed);
    *out = lwnet::median_heuristic_sigma(b, x_in.view(), rng, sample_size);
  });
}

}  // extern "C"
