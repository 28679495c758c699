#include "cli/net_options.hpp"

#include <utility>

#include "cli/options.hpp"
#include "cli/parse.hpp"
#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

// Bounds the CLI reads the numbers within (NetOptions::validate checks them again): wide enough
// for any real run (NTK-parameterised nets take learning rates of 1 and more), and what keeps a
// typo (1e30) from running a fit that can only diverge.
constexpr double kMaxLearningRate = 1e4;
constexpr double kMaxWeightDecay = 1.0;

// Options that only the closed-form fit reads, and only trained networks read.
const std::vector<std::string> kKmeOnly = {"--max-layers",    "--sigma-smallest", "--sigma-count", "--hsic-threshold",
                                           "--noise",         "--rho",            "--extra-columns", "--predict",
                                           "--knn-k",         "--select",         "--validation-fraction"};
const std::vector<std::string> kDglOnly = {"--dgl-sw2", "--dgl-sb2", "--dgl-noise", "--dgl-targets"};
const std::vector<std::string> kReadoutOptions = {"--readout-epochs", "--readout-lr", "--readout-weight-decay",
                                                  "--readout-batch-size"};
const std::vector<std::string> kHsicOnly = {"--hsic-sigma",    "--hsic-beta",  "--hsic-output",          "--readout-epochs",
                                            "--readout-lr",    "--readout-weight-decay", "--readout-batch-size"};
const std::vector<std::string> kNetOnly = {"--arch",     "--epochs",       "--batch-size",   "--lr",
                                           "--optimizer", "--momentum",    "--weight-decay", "--init",
                                           "--loss",     "--image",        "--align-ada-variant", "--dgl-monitor",
                                           "--dgl-sw2",  "--dgl-sb2",      "--dgl-noise",    "--dgl-targets",
                                           "--hsic-sigma", "--hsic-beta",  "--hsic-output", "--readout-epochs", "--readout-lr",
                                           "--readout-weight-decay", "--readout-batch-size"};

// Runs `parse`; an InvalidArgument it throws is given the option's name in front, unless its
// message already starts with it, so that the one error line names what the user typed.
template <class Parse>
auto naming(const std::string& option, Parse&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    if (what.rfind(option, 0) == 0) throw;
    throw InvalidArgument(option + ": " + what);
  }
}

}  // namespace

bool option_given(CLI::App* cmd, const std::string& name) {
  const CLI::Option* option = cmd->get_option_no_throw(name);
  return option != nullptr && option->count() > 0;
}

void add_net_options(CLI::App* cmd, NetCliOptions& opt) {
  cmd->add_option("--method", opt.method,
                  "kme: the closed-form layer-wise network; backprop: a network trained by SGD or Adam "
                  "(--arch, --epochs, ...); align-zero, align-ada, align-prop, fa, dfa, last-layer: the same "
                  "network trained by that learning rule (spec section 2.2; every --method backprop option applies); "
                  "dgl, hsic-bottleneck: each hidden layer trained on a local kernel loss, then a readout (spec "
                  "sections 3-4, docs/DGL.md), with their own defaults for the options not given (dgl: adam lr 0.001, "
                  "batch 64, 30 epochs per layer, init torch; hsic-bottleneck: dense:128x7:bn, sgd lr 0.0001 "
                  "momentum 0, weight decay 0.001, batch 512, 5 epochs, init torch)")
      ->capture_default_str()
      ->check(non_empty());
  cmd->add_option("--arch", opt.arch,
                  "--method backprop: dense:WIDTHxDEPTH (DEPTH hidden layers of WIDTH units) or conv:WIDTH:S1,S2,... "
                  "(3x3 convolutions of WIDTH channels with those strides, then global average pooling), each "
                  "optionally followed by :bn (batch normalisation); rnn:WIDTH: the recurrent net of the generated "
                  "Add task (spec 2.3; backprop, align-zero, align-ada or last-layer)")
      ->capture_default_str()
      ->check(non_empty());
  add_integer_option(cmd, "--epochs", opt.numbers.epochs, 1, net::NetOptions::kMaxEpochs,
                     "--method backprop: passes over the training data");
  add_integer_option(cmd, "--batch-size", opt.numbers.batch_size, 1, net::NetOptions::kMaxBatchSize,
                     "--method backprop: samples per SGD step (and per prediction batch)");
  add_real_option(cmd, "--lr", opt.numbers.learning_rate, {0.0, kMaxLearningRate, true, false},
                  "--method backprop: learning rate (default: 1 for sgd, 0.01 for adam with --init ntk; 0.05 and "
                  "0.001 with --init standard)")
      ->default_str("");  // 0 in NetOptions means "the optimiser's default", which the help names
  cmd->add_option("--optimizer", opt.optimizer, "--method backprop: sgd (with --momentum) | adam")
      ->capture_default_str()
      ->check(non_empty());
  add_real_option(cmd, "--momentum", opt.numbers.momentum, {0.0, 1.0, false, true},
                  "--method backprop, --optimizer sgd: momentum");
  add_real_option(cmd, "--weight-decay", opt.numbers.weight_decay, {0.0, kMaxWeightDecay},
                  "--method backprop: L2 weight decay");
  cmd->add_option("--init", opt.init,
                  "--method backprop: ntk (W ~ N(0, 1), each layer scaled by 1/sqrt(fan-in)) | standard "
                  "(W ~ N(0, 1/fan-in)) | torch (PyTorch's nn.Linear: W, b ~ U(+-1/sqrt(fan-in)); the default of dgl "
                  "and hsic-bottleneck)")
      ->capture_default_str()
      ->check(non_empty());
  cmd->add_option("--loss", opt.loss, "--method backprop: cross-entropy | mse (on one-hot targets)")
      ->capture_default_str()
      ->check(non_empty());
  cmd->add_option("--align-ada-variant", opt.align_ada_variant,
                  "--arch rnn:WIDTH --method align-ada: code (the reference code's: a state gets only what its "
                  "frozen copy received through the next step) | full (also the same step's readout term)")
      ->capture_default_str()
      ->check(non_empty());
  add_real_option(cmd, "--dgl-sw2", opt.numbers.dgl.sw2, {0.0, 1e6, true, false},
                  "--method dgl (and --dgl-monitor): weight variance sw^2 of the NNGP layers above a layer");
  add_real_option(cmd, "--dgl-sb2", opt.numbers.dgl.sb2, {0.0, 1e6}, "--method dgl: bias variance sb^2");
  add_real_option(cmd, "--dgl-noise", opt.numbers.dgl.noise, {0.0, 1e6, true, false},
                  "--method dgl: the GP's noise s2 added to the kernel's diagonal");
  cmd->add_option("--dgl-targets", opt.dgl_targets,
                  "--method dgl: centred (one-hot minus the batch's class frequencies) | one-hot")
      ->capture_default_str()
      ->check(non_empty());
  cmd->add_flag("--dgl-monitor", opt.dgl_monitor,
                "--method backprop: report DGL_l of every hidden layer after each epoch (the mean over the first "
                "10 batches of the training set)");
  add_real_option(cmd, "--hsic-sigma", opt.numbers.hsic.sigma, {0.0, 1e6, true, false},
                  "--method hsic-bottleneck: kernel width (times sqrt of each argument's dimension)");
  add_real_option(cmd, "--hsic-beta", opt.numbers.hsic.beta, {0.0, 1e9},
                  "--method hsic-bottleneck: weight of nHSIC(Z, Y) in each block's loss");
  cmd->add_option("--hsic-output", opt.hsic_output,
                  "--method hsic-bottleneck: format (a readout trained by cross-entropy on the frozen network) | "
                  "unformatted (the last block has one unit per class, read through the units' class assignment on "
                  "the training set)")
      ->capture_default_str()
      ->check(non_empty());
  add_integer_option(cmd, "--readout-epochs", opt.numbers.hsic.readout_epochs, 0, net::NetOptions::kMaxEpochs,
                     "--method hsic-bottleneck: epochs of the format readout (cross-entropy on the frozen network)");
  add_real_option(cmd, "--readout-lr", opt.numbers.hsic.readout_learning_rate, {0.0, kMaxLearningRate, true, false},
                  "--method hsic-bottleneck: the readout's SGD learning rate");
  add_real_option(cmd, "--readout-weight-decay", opt.numbers.hsic.readout_weight_decay, {0.0, kMaxWeightDecay},
                  "--method hsic-bottleneck: the readout's weight decay");
  add_integer_option(cmd, "--readout-batch-size", opt.numbers.hsic.readout_batch_size, 1,
                     net::NetOptions::kMaxBatchSize, "--method hsic-bottleneck: the readout's batch size");
  cmd->add_option("--image", opt.image,
                  "--method backprop: each row is an HxWxC image (HWC order), as conv nets need for CSV data; "
                  "IDX files keep their own HxW (or HxWxC)")
      ->check(non_empty());
}

void apply_method_defaults(CLI::App* cmd, net::Method method, NetCliOptions& opt) {
  if (method != net::Method::dgl && method != net::Method::hsic_bottleneck) return;
  const net::NetOptions d = net::defaults_for(method);
  net::NetOptions& n = opt.numbers;
  if (!option_given(cmd, "--arch")) opt.arch = d.arch.str();
  if (!option_given(cmd, "--optimizer")) opt.optimizer = net::to_string(d.optimizer);
  if (!option_given(cmd, "--init")) opt.init = net::to_string(d.init);
  if (!option_given(cmd, "--epochs")) n.epochs = d.epochs;
  if (!option_given(cmd, "--batch-size")) n.batch_size = d.batch_size;
  if (!option_given(cmd, "--lr")) n.learning_rate = d.learning_rate;
  if (!option_given(cmd, "--momentum")) n.momentum = d.momentum;
  if (!option_given(cmd, "--weight-decay")) n.weight_decay = d.weight_decay;
  n.bn_epsilon = d.bn_epsilon;
}

net::Method parse_method_option(const NetCliOptions& opt) {
  return naming("--method", [&] { return net::parse_method(opt.method); });
}

void check_method_options(CLI::App* cmd, net::Method method, const TrainOptions& train,
                          const std::vector<std::string>& extra_kme_only) {
  const bool method_given = option_given(cmd, "--method");
  const std::string method_text =
      std::string("--method ") + net::to_string(method) + (method_given ? "" : " (the default)");
  if (method == net::Method::kme) {
    for (const std::string& name : kNetOnly)
      if (option_given(cmd, name))
        throw InvalidArgument(name + " applies to --method backprop (a trained network), not " + method_text);
    return;
  }
  std::vector<std::string> kme_only = kKmeOnly;
  kme_only.insert(kme_only.end(), extra_kme_only.begin(), extra_kme_only.end());
  for (const std::string& name : kme_only)
    if (option_given(cmd, name)) throw InvalidArgument(name + " applies to --method kme, not " + method_text);
  if (naming("--standardize", [&] { return parse_standardize_mode(train.standardize); }) == StandardizeMode::separate)
    throw InvalidArgument("--standardize separate applies to --method kme, not " + method_text +
                          ": a network standardises every batch with the training statistics (train) or not at all "
                          "(none)");
  for (const std::string& name : kDglOnly)
    if (option_given(cmd, name) && method != net::Method::dgl && !train.net.dgl_monitor)
      throw InvalidArgument(name + " applies to --method dgl (or --dgl-monitor), not " + method_text);
  for (const std::string& name : kHsicOnly)
    if (option_given(cmd, name) && method != net::Method::hsic_bottleneck)
      throw InvalidArgument(name + " applies to --method hsic-bottleneck, not " + method_text);
  if (train.net.hsic_output == "unformatted")
    for (const std::string& name : kReadoutOptions)
      if (option_given(cmd, name))
        throw InvalidArgument(name + " applies to --hsic-output format: the unformatted variant trains no readout");
  if (train.net.dgl_monitor && method != net::Method::backprop)
    throw InvalidArgument("--dgl-monitor reports DGL_l of a --method backprop run, not " + method_text);
  if ((method == net::Method::dgl || method == net::Method::hsic_bottleneck) && option_given(cmd, "--loss"))
    throw InvalidArgument(std::string("--loss applies to end-to-end training: ") + method_text +
                          " trains each layer on its own kernel loss");
  if (option_given(cmd, "--align-ada-variant") && train.net.arch.rfind("rnn:", 0) != 0)
    throw InvalidArgument("--align-ada-variant applies to the Add task's recurrent net (--arch rnn:WIDTH), not --arch " +
                          train.net.arch);
  const net::OptimizerKind optimizer = naming("--optimizer", [&] { return net::parse_optimizer(train.net.optimizer); });
  if (optimizer != net::OptimizerKind::sgd && option_given(cmd, "--momentum"))
    throw InvalidArgument(std::string("--momentum applies to --optimizer sgd, not --optimizer ") +
                          net::to_string(optimizer));
}

net::NetOptions make_net_options(const TrainOptions& train, net::Method method) {
  const NetCliOptions& cli = train.net;
  net::NetOptions o = cli.numbers;
  o.method = method;
  o.arch = naming("--arch", [&] { return net::Architecture::parse(cli.arch); });
  o.optimizer = naming("--optimizer", [&] { return net::parse_optimizer(cli.optimizer); });
  o.init = naming("--init", [&] { return net::parse_init(cli.init); });
  o.loss = naming("--loss", [&] { return net::parse_loss(cli.loss); });
  o.seed = train.seed;
  o.standardize = naming("--standardize", [&] { return parse_standardize_mode(train.standardize); });
  if (cli.dgl_targets != "centred" && cli.dgl_targets != "one-hot")
    throw InvalidArgument("--dgl-targets '" + cli.dgl_targets + "': expected centred or one-hot");
  o.dgl.center_targets = cli.dgl_targets == "centred";
  o.dgl.monitor = cli.dgl_monitor;
  if (cli.hsic_output != "format" && cli.hsic_output != "unformatted")
    throw InvalidArgument("--hsic-output '" + cli.hsic_output + "': expected format or unformatted");
  o.hsic.unformatted = cli.hsic_output == "unformatted";
  o.image = {};
  return o;
}

net::ImageShape resolve_image(const NetCliOptions& opt, const net::Architecture& arch, std::int64_t features,
                              const std::vector<std::int64_t>& sample_shape, const std::string& source) {
  const bool conv = arch.kind == net::Architecture::Kind::conv;
  net::ImageShape image;
  if (!opt.image.empty()) {
    image = naming("--image", [&] { return net::ImageShape::parse(opt.image); });
    if (image.features() != features)
      throw InvalidArgument("--image " + opt.image + " is " + std::to_string(image.features()) +
                            " values per sample, but " + source + " has " + std::to_string(features) + " features");
  } else if (sample_shape.size() == 2 || sample_shape.size() == 3) {
    image.height = sample_shape[0];
    image.width = sample_shape[1];
    image.channels = sample_shape.size() == 3 ? sample_shape[2] : 1;
  } else if (conv) {
    throw InvalidArgument("--arch " + opt.arch + " needs each sample as an image: pass --image HxWxC with H*W*C = " +
                          std::to_string(features) + ", the features of " + source +
                          " (IDX files of H x W or H x W x C samples give it themselves)");
  }
  return conv ? image : net::ImageShape{};  // a dense net flattens each row, whatever its shape
}

}  // namespace lwnet::cli
