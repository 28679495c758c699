// The kernel functions: Gram matrices, HSIC (against labels, between two kernels), class mean
// embeddings and the median heuristic, each one call of lwnet's ops without the GIL, on inputs
// from any device the backend can reach.
#include <optional>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include "lwnet/kernels.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/preprocess.hpp"
#include "lwnet/random.hpp"
#include "py_arrays.hpp"
#include "py_backend.hpp"
#include "py_bindings.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

GramParams make_params(const std::string& kind, double sigma, double gamma, double coef0, int degree) {
  GramParams p;
  p.kind = parse_kernel_kind(kind);
  p.sigma = sigma;
  p.gamma = gamma;
  p.coef0 = coef0;
  p.degree = degree;
  validate(p, "kernel");
  return p;
}

// Same input object twice (gram(X), kme at X): one placed copy, so self-pairs stay exact.
bool same_array(const InputArray& a, const InputArray& b) {
  return a.data() == b.data() && a.shape(0) == b.shape(0) && a.shape(1) == b.shape(1) && a.stride(0) == b.stride(0);
}

// An n x cols result of `compute(z, x, out)` on Z and X placed on the backend (X given as Z when it
// is the same array: one placed copy, so self-pairs stay exact). Host inputs give a host (numpy)
// result, CUDA inputs a CUDA one.
template <class Compute>
nb::object pairwise_result(PyBackend& pb, const InputArray& Z, const InputArray& X, std::int64_t cols,
                           const Compute& compute) {
  Backend& b = pb.backend();
  const MatrixView<const float> z = view_of(Z, "Z", b);
  const MatrixView<const float> x = view_of(X, "X", b);
  const bool shared = same_array(Z, X);
  const bool on_device = z.space() == MemorySpace::cuda;
  Matrix<float> out;
  {
    const BackendCall call(pb);
    const PlacedInput z_in = PlacedInput::on_backend(b, z);
    std::optional<PlacedInput> x_in;
    if (!shared) x_in = PlacedInput::on_backend(b, x);
    Matrix<float> result = b.allocate<float>(z.rows(), cols < 0 ? x.rows() : cols);
    compute(z_in.view(), shared ? z_in.view() : x_in->view(), result.view());
    if (on_device || result.space() == MemorySpace::host) {
      b.synchronize();
      out = std::move(result);
    } else {
      out = b.download(result.cview());
    }
  }
  return to_python(std::move(out));
}

nb::object gram(PyBackend& pb, const InputArray& Z, const InputArray& X, const GramParams& params) {
  return pairwise_result(pb, Z, X, -1, [&](MatrixView<const float> z, MatrixView<const float> x, MatrixView<float> out) {
    pb.backend().gram(z, x, params, out);
  });
}

HsicResult hsic_labels(PyBackend& pb, const InputArray& X, const LabelArray& labels, int num_classes,
                       const GramParams& params, const std::string& normalization) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  const Labels y = labels_of(labels, num_classes, x.rows(), "y");
  const HsicNormalization norm = parse_hsic_normalization(normalization);
  const BackendCall call(pb);
  const PlacedInput x_in = PlacedInput::on_backend(b, x);
  return lwnet::hsic_labels(b, x_in.view(), y, params, norm);
}

HsicResult hsic_features(PyBackend& pb, const InputArray& X, const GramParams& x_params, const InputArray& Y,
                         const GramParams& y_params, const std::string& normalization) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  const MatrixView<const float> y = view_of(Y, "Y", b);
  const HsicNormalization norm = parse_hsic_normalization(normalization);
  const BackendCall call(pb);
  const PlacedInput x_in = PlacedInput::on_backend(b, x);
  const PlacedInput y_in = PlacedInput::on_backend(b, y);
  return lwnet::hsic(b, x_in.view(), x_params, y_in.view(), y_params, norm);
}

nb::object class_mean_embeddings(PyBackend& pb, const InputArray& Z, const InputArray& X, const LabelArray& labels,
                                 int num_classes, const GramParams& params) {
  const Labels y = labels_of(labels, num_classes, view_of(X, "X", pb.backend()).rows(), "y");
  return pairwise_result(pb, Z, X, num_classes,
                         [&](MatrixView<const float> z, MatrixView<const float> x, MatrixView<float> out) {
                           lwnet::class_mean_embeddings(pb.backend(), z, x, y, params, out);
                         });
}

double median_sigma(PyBackend& pb, const InputArray& X, std::uint64_t seed, std::int64_t sample_size) {
  Backend& b = pb.backend();
  const MatrixView<const float> x = view_of(X, "X", b);
  if (sample_size < 2) throw InvalidArgument("sample_size must be >= 2, got " + std::to_string(sample_size));
  const BackendCall call(pb);
  const PlacedInput x_in = PlacedInput::on_backend(b, x);
  Rng rng(seed);
  return median_heuristic_sigma(b, x_in.view(), rng, sample_size);
}

// Standardised copy with lwnet's own statistics (float64, population std): what the CLI's
// `hsic --standardize on` and the models' `standardize="train"` apply.
nb::object standardize(const InputArray& X) {
  if (X.device_type() != nb::device::cpu::value) throw InvalidArgument("standardize: X must be a host array");
  const MatrixView<const float> x(X.data(), static_cast<std::int64_t>(X.shape(0)),
                                  static_cast<std::int64_t>(X.shape(1)),
                                  X.shape(0) > 1 ? X.stride(0) : static_cast<std::int64_t>(X.shape(1)));
  if (X.shape(1) > 1 && X.stride(1) != 1) throw InvalidArgument("standardize: X must have column stride 1");
  Matrix<float> out = Matrix<float>::host(x.rows(), x.cols());
  {
    const nb::gil_scoped_release release;
    for (std::int64_t i = 0; i < x.rows(); ++i)
      for (std::int64_t j = 0; j < x.cols(); ++j) out(i, j) = x(i, j);
    Standardizer::fit(out.cview()).apply(out.view());
  }
  return to_python(std::move(out));
}

}  // namespace

void bind_kernels(nb::module_& m) {
  nb::class_<GramParams>(m, "Kernel", "A kernel and its parameters (lwnet/kernels.hpp).")
      .def(nb::new_(&make_params), nb::arg("kind") = "gaussian", nb::arg("sigma") = 1.0, nb::arg("gamma") = 1.0,
           nb::arg("coef0") = 1.0, nb::arg("degree") = 2)
      .def_prop_ro("kind", [](const GramParams& p) { return std::string(to_string(p.kind)); })
      .def_ro("sigma", &GramParams::sigma)
      .def_ro("gamma", &GramParams::gamma)
      .def_ro("coef0", &GramParams::coef0)
      .def_ro("degree", &GramParams::degree)
      .def("__repr__", [](const GramParams& p) { return "lwnet.Kernel(" + to_string(p) + ")"; });

  nb::class_<HsicResult>(m, "HsicResult", "HSIC and its normalisation (lwnet/ops.hpp).")
      .def_ro("hsic", &HsicResult::hsic)
      .def_ro("normalized", &HsicResult::normalized)
      .def_ro("norm_k", &HsicResult::norm_k)
      .def_ro("norm_l", &HsicResult::norm_l)
      .def_ro("constant_kernel", &HsicResult::constant_kernel)
      .def_prop_ro("normalization", [](const HsicResult& r) { return std::string(to_string(r.normalization)); });

  m.def("gram", &gram, nb::arg("backend"), nb::arg("Z").noconvert(), nb::arg("X").noconvert(), nb::arg("kernel"));
  m.def("hsic_labels", &hsic_labels, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("y").noconvert(),
        nb::arg("num_classes"), nb::arg("kernel"), nb::arg("normalization"));
  m.def("hsic", &hsic_features, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("kx"),
        nb::arg("Y").noconvert(), nb::arg("ky"), nb::arg("normalization"));
  m.def("class_mean_embeddings", &class_mean_embeddings, nb::arg("backend"), nb::arg("Z").noconvert(),
        nb::arg("X").noconvert(), nb::arg("y").noconvert(), nb::arg("num_classes"), nb::arg("kernel"));
  m.def("median_sigma", &median_sigma, nb::arg("backend"), nb::arg("X").noconvert(), nb::arg("seed"),
        nb::arg("sample_size"));
  m.def("standardize", &standardize, nb::arg("X").noconvert());
}

}  // namespace lwnet::py
