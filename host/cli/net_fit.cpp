#include "cli/net_fit.hpp"

#include <algorithm>

#include "cli/checks.hpp"
#include "cli/interrupt.hpp"

namespace lwnet::cli {

namespace {

// The test rows the library can score after each epoch: those whose label is a class of the
// training data (its Labels hold no other). The other rows count as misclassified, so each
// epoch's figure on the known rows is scaled by their share: the same fraction of all rows.
struct EpochTestSet {
  Matrix<float> known_rows;  // a copy, only when some labels are unknown
  Labels labels;
  net::EvalSet eval;
  double share = 1.0;
};

void fill_epoch_test_set(EpochTestSet& s, const LabeledData& test, const Truth& truth, int num_classes) {
  s.labels.num_classes = num_classes;
  if (truth.unknown == 0) {
    s.labels.y = truth.y;
    s.eval = {test.X.cview(), &s.labels};
    return;
  }
  const std::int64_t d = test.X.cols();
  const std::int64_t known = test.X.rows() - truth.unknown;
  s.known_rows = Matrix<float>::host(known, d);
  std::int64_t k = 0;
  for (std::int64_t i = 0; i < test.X.rows(); ++i) {
    const int y = truth.y[static_cast<std::size_t>(i)];
    if (y < 0) continue;
    std::copy(test.X.data() + i * d, test.X.data() + (i + 1) * d, s.known_rows.data() + k++ * d);
    s.labels.y.push_back(y);
  }
  s.eval = {s.known_rows.cview(), &s.labels};
  s.share = static_cast<double>(known) / static_cast<double>(test.X.rows());
}

}  // namespace

NetRun fit_network(Backend& backend, const LabeledData& train, const LabelEncoding& encoding, const LabeledData* test,
                   const Truth* truth, const net::NetOptions& options, const net::EpochCallback& progress) {
  return fit_network_with(backend, train, encoding, test, truth, options, progress,
                          [&](const net::EvalSet& eval, const net::EpochCallback& each_epoch,
                              const net::BatchCallback& each_batch) {
                            return net::train(backend, train.X.cview(), encoding.labels, encoding.classes, options,
                                              eval, each_epoch, each_batch);
                          });
}

NetRun fit_network_with(Backend& backend, const LabeledData& train, const LabelEncoding& encoding,
                        const LabeledData* test, const Truth* truth, const net::NetOptions& options,
                        const net::EpochCallback& progress, const NetTrainer& trainer) {
  EpochTestSet epoch_test;
  if (test) fill_epoch_test_set(epoch_test, *test, *truth, encoding.labels.num_classes);
  std::vector<net::EpochRecord> epochs;
  const double share = epoch_test.share;
  const net::EpochCallback record = [&epochs, &progress, share](const net::EpochRecord& r) {
    net::EpochRecord scaled = r;
    scaled.test_accuracy *= share;  // NaN (no test set) stays NaN
    epochs.push_back(scaled);
    if (progress) progress(scaled);
  };
  NetRun run{trainer(test ? epoch_test.eval : net::EvalSet{}, stop_on_interrupt(record, net::reported_epochs(options)),
                     stop_between_batches(net::reported_epochs(options))),
             {}, 0.0, std::nullopt};
  run.epochs = std::move(epochs);
  run.train_accuracy = accuracy(net::predict(backend, run.model, train.X.cview()), encoding.labels.y);
  if (test) {
    check_batch(run.model, "", test->X.cview(), test->name);
    run.test_accuracy = accuracy(net::predict(backend, run.model, test->X.cview()), truth->y);
  }
  return run;
}

}  // namespace lwnet::cli
