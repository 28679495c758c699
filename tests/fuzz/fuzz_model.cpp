// Fuzz target: the model loader. A model that loads is then used: it predicts a batch of its input
// width. Either step may refuse with a clean lwnet::Error (a batch can overflow a model's
// statistics); a crash, a sanitizer report or any other exception is a finding.
#include <cstdlib>
#include <memory>

#include "fuzz_input.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet/kme.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::unique_ptr<lwnet::Backend> cpu = lwnet::make_cpu_backend(1);
  const std::string& path = lwnet::fuzz::write_scratch(data, size);
  lwnet::kme::KmeModel model;
  try {
    model = lwnet::kme::load_model(path);
  } catch (const lwnet::Error&) {
    return 0;
  }
  lwnet::Matrix<float> batch = lwnet::Matrix<float>::host(2, model.input_dim);
  batch(1, 0) = 1.0f;
  try {
    const auto predicted = lwnet::kme::predict(*cpu, model, batch.cview());
    for (int y : predicted)
      if (y < 0 || y >= model.num_classes()) std::abort();
  } catch (const lwnet::Error&) {
  }
  return 0;
}
