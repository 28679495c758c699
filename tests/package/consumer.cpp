// Uses the installed lwnet: picks a device, computes normalised HSIC of labels with themselves
// through a linear kernel on one-hot features (exactly the NIK: textbook value 1), and says whether
// CUDA is usable or why not.
#include <lwnet/lwnet.hpp>

#include <cmath>
#include <cstdio>

int main() {
  const std::int64_t n = 12;
  const int c = 3;
  lwnet::Labels labels;
  labels.num_classes = c;
  auto Y = lwnet::Matrix<float>::host(n, c);
  for (std::int64_t i = 0; i < n; ++i) {
    labels.y.push_back(static_cast<int>(i % c));
    Y(i, i % c) = 1.0f;
  }
  lwnet::BackendChoice choice = lwnet::select_backend(lwnet::Device::automatic());
  const auto X = choice.backend->upload(Y.cview());
  const auto r = lwnet::hsic_labels(*choice.backend, X.cview(), labels, lwnet::GramParams::linear(),
                                    lwnet::HsicNormalization::textbook);
  std::printf("%s: normalised HSIC %.6f\n", choice.backend->description().c_str(), r.normalized);
  const lwnet::CudaProbe probe = lwnet::probe_cuda();  // RunPackageTest.cmake reads this line
  std::printf("cuda: %s\n", probe.usable() ? "usable" : probe.reason.c_str());
  return std::fabs(r.normalized - 1.0) < 1e-6 ? 0 : 1;
}
