// Parsing and validation of the trained networks' options (lwnet/net.hpp): the description a
// Network is built from, so it lives with the modules (train/ and io/ use it too).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/net.hpp"

namespace lwnet::net {

namespace {

// A positive decimal integer at most `max`, or nullopt-like -1.
std::int64_t parse_count(const std::string& text, std::int64_t max) {
  if (text.empty() || text.size() > 18) return -1;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v >= 1 && v <= max ? v : -1;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (true) {
    const auto end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

[[noreturn]] void bad_arch(const std::string& text, const std::string& why) {
  throw InvalidArgument("--arch '" + text + "': " + why +
                        " (expected dense:WIDTHxDEPTH or conv:WIDTH:S1,S2,..., optionally followed by :bn)");
}

}  // namespace

Architecture Architecture::parse(const std::string& text) {
  std::vector<std::string> parts = split(text, ':');
  Architecture arch;
  if (parts.size() >= 2 && parts.back() == "bn") {
    arch.batch_norm = true;
    parts.pop_back();
  }
  if (parts[0] == "dense") {
    if (parts.size() != 2) bad_arch(text, "a dense net has one field, WIDTHxDEPTH");
    const auto x = parts[1].find('x');
    if (x == std::string::npos) bad_arch(text, "the dense field is WIDTHxDEPTH, e.g. 256x2");
    arch.kind = Kind::dense;
    arch.width = parse_count(parts[1].substr(0, x), kMaxWidth);
    const std::string depth = parts[1].substr(x + 1);
    const std::int64_t d = depth == "0" ? 0 : parse_count(depth, kMaxDepth);
    if (arch.width < 1) bad_arch(text, "WIDTH must be an integer in [1, " + std::to_string(kMaxWidth) + "]");
    if (d < 0) bad_arch(text, "DEPTH must be an integer in [0, " + std::to_string(kMaxDepth) + "]");
    arch.depth = static_cast<int>(d);
    if (arch.batch_norm && arch.depth == 0) bad_arch(text, ":bn needs at least one hidden layer");
    return arch;
  }
  if (parts[0] == "conv") {
    if (parts.size() != 3) bad_arch(text, "a conv net has two fields, WIDTH and the strides");
    arch.kind = Kind::conv;
    arch.width = parse_count(parts[1], kMaxWidth);
    if (arch.width < 1) bad_arch(text, "WIDTH must be an integer in [1, " + std::to_string(kMaxWidth) + "]");
    for (const std::string& s : split(parts[2], ',')) {
      const std::int64_t stride = parse_count(s, 64);
      if (stride < 1) bad_arch(text, "each stride must be an integer in [1, 64]");
      arch.strides.push_back(static_cast<int>(stride));
    }
    if (static_cast<int>(arch.strides.size()) > kMaxDepth) bad_arch(text, "too many layers");
    arch.depth = static_cast<int>(arch.strides.size());
    return arch;
  }
  bad_arch(text, "unknown kind '" + parts[0] + "'");
}

std::string Architecture::str() const {
  std::string s;
  if (kind == Kind::dense) {
    s = "dense:" + std::to_string(width) + "x" + std::to_string(depth);
  } else {
    s = "conv:" + std::to_string(width) + ":";
    for (std::size_t i = 0; i < strides.size(); ++i) s += (i ? "," : "") + std::to_string(strides[i]);
  }
  return batch_norm ? s + ":bn" : s;
}

ImageShape ImageShape::parse(const std::string& text) {
  const std::vector<std::string> parts = split(text, 'x');
  const std::int64_t kMaxSide = 1 << 20;
  ImageShape shape;
  if (parts.size() == 3) {
    shape.height = parse_count(parts[0], kMaxSide);
    shape.width = parse_count(parts[1], kMaxSide);
    shape.channels = parse_count(parts[2], kMaxSide);
  }
  if (parts.size() != 3 || shape.height < 1 || shape.width < 1 || shape.channels < 1)
    throw InvalidArgument("--image '" + text + "': expected HEIGHTxWIDTHxCHANNELS with positive integers, e.g. 28x28x1");
  return shape;
}

std::string ImageShape::str() const {
  return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
}

namespace {

struct MethodName {
  Method method;
  const char* name;
};
constexpr MethodName kMethodNames[] = {
    {Method::kme, "kme"},           {Method::backprop, "backprop"}, {Method::align_zero, "align-zero"},
    {Method::align_ada, "align-ada"}, {Method::align_prop, "align-prop"}, {Method::fa, "fa"},
    {Method::dfa, "dfa"},           {Method::last_layer, "last-layer"}, {Method::dgl, "dgl"},
    {Method::hsic_bottleneck, "hsic-bottleneck"}};

}  // namespace

const char* to_string(Method m) {
  for (const MethodName& entry : kMethodNames)
    if (entry.method == m) return entry.name;
  return "?";
}
const char* to_string(Init i) {
  switch (i) {
    case Init::ntk: return "ntk";
    case Init::standard: return "standard";
    case Init::torch: return "torch";
  }
  return "?";
}
const char* to_string(LossKind l) { return l == LossKind::cross_entropy ? "cross-entropy" : "mse"; }
const char* to_string(OptimizerKind o) { return o == OptimizerKind::sgd ? "sgd" : "adam"; }

Method parse_method(const std::string& text) {
  std::string expected;
  for (const MethodName& entry : kMethodNames) {
    if (text == entry.name) return entry.method;
    expected += std::string(expected.empty() ? "" : ", ") + entry.name;
  }
  throw InvalidArgument("--method '" + text + "': expected one of " + expected);
}
Init parse_init(const std::string& text) {
  if (text == "ntk") return Init::ntk;
  if (text == "standard") return Init::standard;
  if (text == "torch") return Init::torch;
  throw InvalidArgument("--init '" + text + "': expected ntk, standard or torch");
}
LossKind parse_loss(const std::string& text) {
  if (text == "cross-entropy") return LossKind::cross_entropy;
  if (text == "mse") return LossKind::mse;
  throw InvalidArgument("--loss '" + text + "': expected cross-entropy or mse");
}
OptimizerKind parse_optimizer(const std::string& text) {
  if (text == "sgd") return OptimizerKind::sgd;
  if (text == "adam") return OptimizerKind::adam;
  throw InvalidArgument("--optimizer '" + text + "': expected sgd or adam");
}

double default_learning_rate(OptimizerKind optimizer, Init init) {
  if (optimizer == OptimizerKind::sgd) return init == Init::ntk ? 1.0 : 0.05;
  return init == Init::ntk ? 0.01 : 0.001;
}

NetOptions defaults_for(Method method) {
  NetOptions o;
  o.method = method;
  if (method == Method::dgl) {
    o.optimizer = OptimizerKind::adam;
    o.learning_rate = 1e-3;
    o.batch_size = 64;
    o.epochs = 30;
    o.init = Init::torch;
  } else if (method == Method::hsic_bottleneck) {
    o.optimizer = OptimizerKind::sgd;
    o.learning_rate = 1e-4;
    o.momentum = 0.0;  // the code recreates its optimiser every step: the momentum never builds up
    o.weight_decay = 1e-3;
    o.batch_size = 512;
    o.epochs = 5;
    o.init = Init::torch;
    o.bn_epsilon = 1e-5;
    o.arch = Architecture::parse("dense:128x7:bn");
  }
  return o;
}

int reported_epochs(const NetOptions& options) {
  if (options.method == Method::dgl) return options.epochs * std::max(options.arch.hidden_layers(), 1);
  if (options.method == Method::hsic_bottleneck)
    return options.epochs + (options.hsic.unformatted ? 0 : options.hsic.readout_epochs);
  return options.epochs;
}

double NetOptions::effective_learning_rate() const {
  return learning_rate > 0.0 ? learning_rate : default_learning_rate(optimizer, init);
}

void NetOptions::validate() const {
  auto in = [](double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  if (method == Method::kme) throw InvalidArgument("NetOptions: method kme is the closed-form network (lwnet::kme::train)");
  if (epochs < 1 || epochs > kMaxEpochs)
    throw InvalidArgument("--epochs must be in [1, " + std::to_string(kMaxEpochs) + "]");
  if (batch_size < 1 || batch_size > kMaxBatchSize)
    throw InvalidArgument("--batch-size must be in [1, " + std::to_string(kMaxBatchSize) + "]");
  if (!in(learning_rate, 0.0, 1e6))
    throw InvalidArgument("--lr must be a positive finite number (at most 1e6), or 0 for the optimiser's default");
  if (!in(momentum, 0.0, 1.0) || momentum >= 1.0) throw InvalidArgument("--momentum must be in [0, 1)");
  if (!in(weight_decay, 0.0, 1e6)) throw InvalidArgument("--weight-decay must be a finite number >= 0");
  if (!in(adam_beta1, 0.0, 1.0) || adam_beta1 >= 1.0 || !in(adam_beta2, 0.0, 1.0) || adam_beta2 >= 1.0)
    throw InvalidArgument("Adam's betas must be in [0, 1)");
  if (!in(adam_epsilon, 0.0, 1.0) || adam_epsilon == 0.0) throw InvalidArgument("Adam's epsilon must be in (0, 1]");
  if (!in(bn_epsilon, 0.0, 1.0) || bn_epsilon == 0.0)
    throw InvalidArgument("the batch-norm epsilon must be in (0, 1]");
  if (arch.width < 1 || arch.width > Architecture::kMaxWidth) throw InvalidArgument("--arch: width out of range");
  if (arch.kind == Architecture::Kind::conv) {
    if (arch.strides.empty() || static_cast<int>(arch.strides.size()) > Architecture::kMaxDepth)
      throw InvalidArgument("--arch: a conv net needs 1 to " + std::to_string(Architecture::kMaxDepth) + " strides");
    for (int stride : arch.strides)
      if (stride < 1 || stride > 64) throw InvalidArgument("--arch: each stride must be in [1, 64]");
  } else if (arch.depth < 0 || arch.depth > Architecture::kMaxDepth) {
    throw InvalidArgument("--arch: the depth must be in [0, " + std::to_string(Architecture::kMaxDepth) + "]");
  } else if (arch.batch_norm && arch.depth == 0) {
    throw InvalidArgument("--arch: :bn needs at least one hidden layer");
  }
  const bool layer_wise = method == Method::dgl || method == Method::hsic_bottleneck;
  if (layer_wise && arch.hidden_layers() == 0)
    throw InvalidArgument(std::string("--method ") + to_string(method) + " trains hidden layers: --arch needs at least one");
  if (!in(dgl.sw2, 0.0, 1e6) || dgl.sw2 == 0.0) throw InvalidArgument("--dgl-sw2 must be a positive finite number");
  if (!in(dgl.sb2, 0.0, 1e6)) throw InvalidArgument("--dgl-sb2 must be a finite number >= 0");
  if (!in(dgl.noise, 0.0, 1e6) || dgl.noise == 0.0) throw InvalidArgument("--dgl-noise must be a positive finite number");
  if (dgl.monitor && method != Method::backprop)
    throw InvalidArgument(std::string("--dgl-monitor reports DGL_l of a --method backprop run, not --method ") +
                          to_string(method));
  if (hsic.unformatted && (method != Method::hsic_bottleneck || arch.kind != Architecture::Kind::dense))
    throw InvalidArgument("--hsic-output unformatted applies to --method hsic-bottleneck with a dense --arch");
  if (!in(hsic.sigma, 0.0, 1e6) || hsic.sigma == 0.0) throw InvalidArgument("--hsic-sigma must be a positive finite number");
  if (!in(hsic.beta, 0.0, 1e9)) throw InvalidArgument("--hsic-beta must be a finite number >= 0");
  if (!in(hsic.epsilon, 0.0, 1.0) || hsic.epsilon == 0.0) throw InvalidArgument("--hsic-epsilon must be in (0, 1]");
  if (hsic.readout_epochs < 0 || hsic.readout_epochs > kMaxEpochs)
    throw InvalidArgument("--readout-epochs must be in [0, " + std::to_string(kMaxEpochs) + "]");
  if (!in(hsic.readout_learning_rate, 0.0, 1e6) || hsic.readout_learning_rate == 0.0)
    throw InvalidArgument("--readout-lr must be a positive finite number");
  if (!in(hsic.readout_weight_decay, 0.0, 1e6)) throw InvalidArgument("--readout-weight-decay must be a finite number >= 0");
  if (hsic.readout_batch_size < 1 || hsic.readout_batch_size > kMaxBatchSize)
    throw InvalidArgument("--readout-batch-size must be in [1, " + std::to_string(kMaxBatchSize) + "]");
  if (standardize == StandardizeMode::separate)
    throw InvalidArgument("--standardize separate is for the closed-form network; trained nets use train or none");
}

}  // namespace lwnet::net
