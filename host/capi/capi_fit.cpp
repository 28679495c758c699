// lwnet_fit: one call of the method's trainer (kme::train or net::train) on checked host data,
// with the C progress callback adapted to the trainer's callbacks: a nonzero return becomes
// lwnet::Cancelled thrown from the callback, which stops the trainer and leaves no model.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_config.hpp"
#include "capi/capi_errors.hpp"
#include "capi/capi_handles.hpp"
#include "capi/capi_matrix.hpp"
#include "lwnet/error.hpp"

namespace lwnet::capi {

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// The caller's callback and data; report() throws Cancelled when it asks to stop.
struct Progress {
  lwnet_progress_fn fn = nullptr;
  void* user_data = nullptr;

  void report(const lwnet_progress& p, const std::string& where) const {
    if (fn(&p, user_data) != 0)
      throw Cancelled("stopped by the progress callback " + where + ": no model was returned");
  }
};

lwnet_progress blank(lwnet_progress_event event, int step, int steps) {
  lwnet_progress p{};
  p.event = event;
  p.step = step;
  p.steps = steps;
  p.hsic = p.sigma = p.loss = p.accuracy = kNone;
  return p;
}

kme::ProgressCallback kme_progress(const Progress& progress, int max_layers) {
  if (progress.fn == nullptr) return {};
  return [progress, max_layers](const kme::LayerProgress& lp) {
    const std::string where = "during layer " + std::to_string(lp.layer);
    if (lp.event == kme::LayerProgress::Event::width_tried) {
      lwnet_progress p = blank(LWNET_PROGRESS_WIDTH, lp.layer, max_layers);
      p.hsic = lp.hsic;
      p.sigma = lp.sigma;
      p.seconds = lp.layer_seconds;
      progress.report(p, where);
    } else if (lp.event == kme::LayerProgress::Event::layer_accepted && lp.accepted != nullptr) {
      lwnet_progress p = blank(LWNET_PROGRESS_LAYER, lp.layer, max_layers);
      p.hsic = lp.accepted->hsic;
      p.sigma = lp.accepted->sigma;
      p.seconds = lp.accepted->seconds;
      progress.report(p, "after layer " + std::to_string(lp.layer));
    }
  };
}

net::EpochCallback epoch_progress(const Progress& progress, int epochs) {
  if (progress.fn == nullptr) return {};
  return [progress, epochs](const net::EpochRecord& r) {
    lwnet_progress p = blank(LWNET_PROGRESS_EPOCH, r.epoch, epochs);
    p.loss = r.loss;
    p.accuracy = r.train_accuracy;
    p.seconds = r.seconds;
    progress.report(p, "after epoch " + std::to_string(r.epoch));
  };
}

net::BatchCallback batch_progress(const Progress& progress, int epochs) {
  if (progress.fn == nullptr) return {};
  return [progress, epochs](const net::BatchProgress& b) {
    lwnet_progress p = blank(LWNET_PROGRESS_BATCH, b.epoch, epochs);
    p.batch = b.batch;
    p.batches = b.batches;
    progress.report(p, "in epoch " + std::to_string(b.epoch) + " before batch " + std::to_string(b.batch));
  };
}

std::vector<std::string> class_names_of(const char* const* names, std::int32_t num_classes) {
  if (num_classes < 1) throw InvalidArgument("num_classes must be >= 1, got " + std::to_string(num_classes));
  std::vector<std::string> classes;
  classes.reserve(static_cast<std::size_t>(num_classes));
  for (std::int32_t j = 0; j < num_classes; ++j) {
    if (names == nullptr) {
      classes.push_back(std::to_string(j));
    } else if (names[j] == nullptr) {
      throw InvalidArgument("class_names[" + std::to_string(j) + "] is NULL");
    } else {
      classes.emplace_back(names[j]);
    }
  }
  return classes;
}

}  // namespace

}  // namespace lwnet::capi

extern "C" lwnet_status lwnet_fit(lwnet_backend* backend, const lwnet_config* config, const lwnet_matrix* X,
                                  const int32_t* labels, int64_t count, int32_t num_classes,
                                  const char* const* class_names, lwnet_progress_fn progress, void* user_data,
                                  lwnet_model** out) {
  using namespace lwnet::capi;  // NOLINT(google-build-using-namespace)
  return guarded("lwnet_fit", [&] {
    lwnet::Backend& b = *require(backend, "backend").backend;
    const lwnet_config& c = require(config, "config");
    require(out, "out");
    const auto x = float_view(X, "X", b);
    lwnet::Labels y;
    y.y = copy_labels(labels, count, x.rows());
    y.num_classes = num_classes;
    const std::vector<std::string> classes = class_names_of(class_names, num_classes);
    const Progress report{progress, user_data};
    auto model = std::make_unique<lwnet_model>();
    if (c.method == lwnet::net::Method::kme) {
      const lwnet::kme::TrainConfig train = kme_config(c);
      const HostInput x_host(b, x);
      model->model = lwnet::kme::train(b, x_host.view(), y, classes, train, kme_progress(report, train.options.max_layers));
    } else {
      const lwnet::net::NetOptions options = net_options(c, x.cols());
      const HostInput x_host(b, x);
      model->model = lwnet::net::train(b, x_host.view(), y, classes, options, {}, epoch_progress(report, options.epochs),
                                       batch_progress(report, options.epochs));
    }
    *out = model.release();
  });
}
