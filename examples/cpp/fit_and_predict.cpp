// lwnet from C++: read a labelled CSV data set (by default the UCI Wine data committed in
// data/wine), print the normalised HSIC between its features and its labels, then fit the
// closed-form network (kme) and a small trained network (backprop) on three quarters of it, print
// their accuracy on the remaining quarter, save both models and check that the loaded files
// predict the same.
//
//   fit_and_predict FEATURES.csv LABELS.csv
//
// FEATURES.csv: one sample per line, comma-separated numbers. LABELS.csv: one label per line.
// The `result` lines are for machines: examples/c and examples/python print the same figures for
// the same data and seeds (cmake/RunExamplesTest.cmake compares them, and the lwnet tool's).
// Build: examples/cpp/CMakeLists.txt (find_package(lwnet), link lwnet::lwnet).
#include <lwnet/lwnet.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

// The rows of X whose index i satisfies i % 4 == 3 (held out) or not (training), as host copies.
struct Split {
  lwnet::Matrix<float> X;
  lwnet::Labels labels;
};

Split take_rows(const lwnet::Matrix<float>& X, const lwnet::Labels& labels, bool held_out) {
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < X.rows(); ++i)
    if ((i % 4 == 3) == held_out) rows.push_back(i);
  Split s{lwnet::Matrix<float>::host(static_cast<std::int64_t>(rows.size()), X.cols()), {}};
  s.labels.num_classes = labels.num_classes;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    for (std::int64_t j = 0; j < X.cols(); ++j) s.X(static_cast<std::int64_t>(k), j) = X(rows[k], j);
    s.labels.y.push_back(labels.y[static_cast<std::size_t>(rows[k])]);
  }
  return s;
}

// "1,3,2,...": the predicted classes by their names in the labels file.
std::string names_of(const std::vector<int>& predicted, const std::vector<std::string>& classes) {
  std::string text;
  for (const int p : predicted) text += (text.empty() ? "" : ",") + classes[static_cast<std::size_t>(p)];
  return text;
}

void report(const char* method, const std::vector<int>& predicted, const Split& test,
            const std::vector<std::string>& classes) {
  const double accuracy = lwnet::accuracy(predicted, test.labels.y);
  std::printf("%-9s test accuracy %.4f on %lld samples\n", method, accuracy, static_cast<long long>(test.X.rows()));
  std::printf("result %s accuracy=%.17g predictions=%s\n", method, accuracy, names_of(predicted, classes).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fit_and_predict FEATURES.csv LABELS.csv\n");
    return 2;
  }
  try {
    const lwnet::CsvTable table = lwnet::read_csv(argv[1]);
    // Labels re-indexed 0..c-1 in sorted order; classes[j] is class j's text ("1", "2", "3").
    const lwnet::LabelEncoding encoding = lwnet::encode_labels(lwnet::read_labels(argv[2]));
    const lwnet::Matrix<float>& X = table.values;
    if (static_cast<std::int64_t>(encoding.labels.y.size()) != X.rows())
      throw lwnet::InvalidArgument(std::string(argv[2]) + ": expected one label for each of the " +
                                   std::to_string(X.rows()) + " rows of " + argv[1]);

    // "auto": GPU 0 when one is usable, else the CPU; `reason` says why.
    const lwnet::BackendChoice choice = lwnet::select_backend(lwnet::Device::parse("auto"));
    lwnet::Backend& backend = *choice.backend;
    std::printf("lwnet %s on %s (%s)\n", lwnet::version().c_str(), backend.description().c_str(),
                choice.reason.c_str());

    // Kernel functions read matrices in the backend's memory: upload() copies the host data there
    // (a copy on the GPU; on the CPU, a host copy).
    const lwnet::Matrix<float> X_backend = backend.upload(X.cview());
    lwnet::Rng rng(0);  // the median heuristic's subsample of 200 rows, as lwnet_median_sigma(seed 0)
    const double sigma = lwnet::median_heuristic_sigma(backend, X_backend.cview(), rng, 200);
    const lwnet::HsicResult hsic = lwnet::hsic_labels(backend, X_backend.cview(), encoding.labels,
                                                      lwnet::GramParams::gaussian(sigma),
                                                      lwnet::HsicNormalization::code);
    std::printf("data    %lld samples x %lld features, %d classes\n", static_cast<long long>(X.rows()),
                static_cast<long long>(X.cols()), encoding.labels.num_classes);
    std::printf("HSIC    normalised %.4f (Gaussian kernel, median width %.4g, raw features)\n", hsic.normalized, sigma);
    std::printf("result hsic=%.17g sigma=%.17g\n", hsic.normalized, sigma);

    // Every fourth sample is held out. The trainers and the models read host data.
    const Split train = take_rows(X, encoding.labels, false);
    const Split test = take_rows(X, encoding.labels, true);

    lwnet::kme::TrainConfig kme_config;  // the defaults of `lwnet train --method kme`
    kme_config.options.seed = 1;
    const lwnet::kme::KmeModel kme_model =
        lwnet::kme::train(backend, train.X.cview(), train.labels, encoding.classes, kme_config);
    const std::vector<int> kme_predicted = lwnet::kme::predict(backend, kme_model, test.X.cview());
    report("kme", kme_predicted, test, encoding.classes);

    lwnet::net::NetOptions net_options;  // the defaults of `lwnet train --method backprop`
    net_options.arch = lwnet::net::Architecture::parse("dense:64x1");
    net_options.epochs = 30;
    net_options.batch_size = 16;
    net_options.seed = 1;
    const lwnet::net::NetModel net_model =
        lwnet::net::train(backend, train.X.cview(), train.labels, encoding.classes, net_options);
    const std::vector<int> net_predicted = lwnet::net::predict(backend, net_model, test.X.cview());
    report("backprop", net_predicted, test, encoding.classes);

    // Model files (written atomically) that `lwnet predict` and lwnet.load read too.
    lwnet::kme::save_model(kme_model, "fit_and_predict_kme.safetensors");
    lwnet::net::save_model(net_model, "fit_and_predict_backprop.safetensors");
    const bool same =
        lwnet::kme::predict(backend, lwnet::kme::load_model("fit_and_predict_kme.safetensors"), test.X.cview()) ==
            kme_predicted &&
        lwnet::net::predict(backend, lwnet::net::load_model("fit_and_predict_backprop.safetensors"),
                            test.X.cview()) == net_predicted;
    std::printf("saved   fit_and_predict_{kme,backprop}.safetensors: the loaded models predict %s\n",
                same ? "the same" : "DIFFERENTLY");
    return same ? 0 : 1;
  } catch (const lwnet::Error& e) {
    // Every lwnet failure is a subclass of lwnet::Error (lwnet/error.hpp): IoError names the file
    // and line, InvalidArgument the argument, Unavailable says why a device cannot be used, ...
    std::fprintf(stderr, "fit_and_predict: %s\n", e.what());
    return 1;
  }
}
