#include "train/kme/growth.hpp"

#include "train/kme/layer.hpp"
#include "train/kme/sigma_search.hpp"

namespace lwnet::kme {

namespace {

// From this many input features on, the distances are worth sharing between the widths even
// for a self-product (below, a width's exponentials and sums cost more than the distances).
constexpr std::int64_t kSharedDistanceFeatures = 32;

}  // namespace

Representation Representation::of(Backend& backend, Matrix<float> host) {
  Representation r;
  r.device = backend.upload(host.cview());
  r.host = std::move(host);
  return r;
}

BuiltLayer build_layer(Backend& backend, const Representation& input, const Labels& labels,
                       MatrixView<const float> weights, double sigma, const KmeOptions& options, Rng& rng) {
  BuiltLayer built;
  built.sigma = sigma;
  // One pass over the pairs gives the layer's kernel sums U, and from them the exact rho.
  const Matrix<double> U = kernel_sums(backend, input.device.cview(), input.device.cview(), weights, sigma);
  built.rho = options.rho == RhoMethod::exact ? exact_rho(U, labels)
                                              : rff_rho(backend, input.device.cview(), labels, sigma, options);
  check_rho(built.rho, sigma, options.rho);
  built.output = Representation::of(backend, normalise_class_columns(U, built.rho));
  built.sigma_beta = opt_sigma(backend, built.output.device.cview(), labels, options.layer_sigma_floor, rng,
                               options.sigma_sample);
  built.hsic = hsic_labels(backend, built.output.device.cview(), labels, GramParams::gaussian(built.sigma_beta),
                           HsicNormalization::code)
                   .normalized;
  return built;
}

std::vector<Matrix<double>> kernel_sums_for_widths(Backend& backend, MatrixView<const float> Z,
                                                   MatrixView<const float> Z_in, MatrixView<const float> weights,
                                                   const std::vector<double>& sigmas) {
  std::vector<Matrix<double>> sums;
  if (Z.data() == Z_in.data() && Z_in.cols() < kSharedDistanceFeatures) {
    for (double sigma : sigmas) sums.push_back(kernel_sums(backend, Z, Z_in, weights, sigma));
    return sums;
  }
  std::vector<Matrix<double>> outs;
  std::vector<MatrixView<double>> views;
  for (std::size_t w = 0; w < sigmas.size(); ++w) outs.push_back(backend.allocate<double>(Z.rows(), weights.cols()));
  for (Matrix<double>& out : outs) views.push_back(out.view());
  backend.gaussian_matmul_widths(Z, Z_in, weights, sigmas, views);
  for (const Matrix<double>& out : outs) sums.push_back(backend.download(out.cview()));
  return sums;
}

void report_width_tried(const ProgressCallback& progress, int layer, std::size_t width, std::size_t widths, double sigma,
                        double hsic, double held_out_accuracy, double layer_seconds) {
  if (!progress) return;
  LayerProgress tried;
  tried.event = LayerProgress::Event::width_tried;
  tried.layer = layer;
  tried.width = static_cast<int>(width) + 1;
  tried.widths = static_cast<int>(widths);
  tried.sigma = sigma;
  tried.hsic = hsic;
  tried.held_out_accuracy = held_out_accuracy;
  tried.layer_seconds = layer_seconds;
  progress(tried);
}

}  // namespace lwnet::kme
