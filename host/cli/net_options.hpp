// The options of trained networks (`--method backprop`) on `lwnet train` and `lwnet cv`, the check
// that no option of one method is given with another (never silently ignored), and the image
// shape a network sees: an IDX file's own sample dimensions, or --image HxWxC for CSV rows.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "lwnet/net.hpp"

namespace lwnet::cli {

struct TrainOptions;

struct NetCliOptions {
  std::string method = "kme";
  std::string arch = net::NetOptions{}.arch.str();  // dense:256x2
  std::string image;  // empty: not given
  std::string optimizer = "sgd";
  std::string init = "ntk";
  std::string loss = "cross-entropy";
  std::string align_ada_variant = "code";  // the Add task's recurrent net only
  std::string dgl_targets = "centred";
  bool dgl_monitor = false;
  std::string hsic_output = "format";
  // epochs, batch_size, learning_rate, momentum, weight_decay, the dgl and hsic numbers (their defaults)
  net::NetOptions numbers;
};
void add_net_options(CLI::App* cmd, NetCliOptions& opt);

// Whether the command line gave option `name` (its default does not count).
bool option_given(CLI::App* cmd, const std::string& name);

// --method dgl and hsic-bottleneck start from their own defaults (net::defaults_for: optimiser,
// rate, momentum, weight decay, batch size, epochs, init, architecture, batch-norm epsilon): every
// one of those the command line did not give is set to the method's.
void apply_method_defaults(CLI::App* cmd, net::Method method, NetCliOptions& opt);

// --method, read strictly: InvalidArgument naming the option and the accepted names.
net::Method parse_method_option(const NetCliOptions& opt);

// Refuses an option that does not apply to `method`: kme-only ones (--sigma-count, --rho,
// --predict, --select, ..., and `extra_kme_only` such as train's --memory-budget or cv's --preset)
// with a trained network, net-only ones (--arch, --epochs, --lr, --image, ...) with kme,
// --momentum with --optimizer adam, --standardize separate with a network. InvalidArgument
// naming the option and the method.
void check_method_options(CLI::App* cmd, net::Method method, const TrainOptions& train,
                          const std::vector<std::string>& extra_kme_only = {});

// NetOptions from the command line: the architecture, optimiser, init, loss, numbers, seed and
// --standardize (train or none), not yet validated (the image shape comes with the data:
// resolve_image, then NetOptions::validate). InvalidArgument naming the option at fault.
net::NetOptions make_net_options(const TrainOptions& train, net::Method method);

// The image shape of data with `features` columns read from `source`: --image when given (its
// H*W*C must be `features`), else the file's own sample shape (IDX: H x W, or H x W x C), else
// none. A conv architecture without one is an error that says to pass --image; a dense network
// gets an empty shape (it flattens the rows), after --image was checked against the features.
net::ImageShape resolve_image(const NetCliOptions& opt, const net::Architecture& arch, std::int64_t features,
                              const std::vector<std::int64_t>& sample_shape, const std::string& source);

}  // namespace lwnet::cli
