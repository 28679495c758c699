// lwnet_config: the options of `lwnet train` by name (without the dashes), each value read
// strictly — a whole decimal number (no "0x10", "nan", "1e400" or trailing text) or a name — and
// range-checked by the library's own validate() on the defaults with that one option changed, so
// that the order of lwnet_config_set calls cannot matter and the bounds are the library's. The
// checks that involve several options or the data wait for lwnet_fit (capi_fit.cpp).
#include "capi/capi_config.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "capi/capi_errors.hpp"
#include "lwnet/error.hpp"

namespace lwnet::capi {

namespace {

// Who reads a key: every method, kme, every trained network, dgl (and backprop's monitor), or
// hsic-bottleneck.
enum class Applies { both, kme, backprop, dgl, hsic };

bool applies_to(Applies applies, net::Method method) {
  switch (applies) {
    case Applies::both: return true;
    case Applies::kme: return method == net::Method::kme;
    case Applies::backprop: return method != net::Method::kme;
    case Applies::dgl: return method == net::Method::dgl || method == net::Method::backprop;
    case Applies::hsic: return method == net::Method::hsic_bottleneck;
  }
  return false;
}

const char* applies_name(Applies applies) {
  switch (applies) {
    case Applies::kme: return "kme";
    case Applies::dgl: return "dgl (or backprop's dgl-monitor)";
    case Applies::hsic: return "hsic-bottleneck";
    default: return "backprop";
  }
}

struct Key {
  Applies applies;
  void (*set)(lwnet_config& config, const std::string& value);
};

std::int64_t parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
  if (error != std::errc() || stop != end) throw InvalidArgument("expected an integer");
  return value;
}

int parse_int(const std::string& text) {
  const std::int64_t value = parse_integer(text);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    throw InvalidArgument("out of range");
  return static_cast<int>(value);
}

std::uint64_t parse_unsigned(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);  // refuses a sign: "-1" never wraps
  if (error != std::errc() || stop != end) throw InvalidArgument("expected an integer in [0, 2^64 - 1]");
  return value;
}

double parse_real(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) throw InvalidArgument("expected a number");
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) throw InvalidArgument("expected a finite number");
  return value;
}

// Sets options.*field after checking it alone against the library's bounds: validate() on the
// defaults with that one field changed.
template <class Field, class Value>
void set_kme(lwnet_config& c, Field kme::KmeOptions::*field, Value value) {
  kme::KmeOptions probe;
  probe.*field = value;
  probe.validate();
  c.kme.options.*field = value;
}

template <class Field, class Value>
void set_net(lwnet_config& c, Field net::NetOptions::*field, Value value) {
  net::NetOptions probe;
  probe.*field = value;
  probe.validate();
  c.net.*field = value;
}

// The same for a field of the dgl or hsic-bottleneck options.
template <class Field, class Value>
void set_dgl(lwnet_config& c, Field net::DglOptions::*field, Value value) {
  net::NetOptions probe;
  probe.dgl.*field = value;
  probe.validate();
  c.net.dgl.*field = value;
}
template <class Field, class Value>
void set_hsic(lwnet_config& c, Field net::HsicBottleneckOptions::*field, Value value) {
  net::NetOptions probe = net::defaults_for(net::Method::hsic_bottleneck);
  probe.hsic.*field = value;
  probe.validate();
  c.net.hsic.*field = value;
}

bool parse_switch(const std::string& text, const char* on, const char* off) {
  if (text != on && text != off) throw InvalidArgument(std::string("expected ") + on + " or " + off);
  return text == on;
}

const std::map<std::string, Key>& keys() {
  static const std::map<std::string, Key> table = {
      {"seed", {Applies::both, [](lwnet_config& c, const std::string& v) {
                  c.kme.options.seed = c.net.seed = parse_unsigned(v);
                }}},
      {"standardize", {Applies::both, [](lwnet_config& c, const std::string& v) {
                         const StandardizeMode mode = parse_standardize_mode(v);
                         if (c.method == net::Method::kme) {
                           c.kme.standardize = mode;
                         } else {
                           set_net(c, &net::NetOptions::standardize, mode);
                         }
                       }}},
      // The closed-form network.
      {"max-layers", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                        set_kme(c, &kme::KmeOptions::max_layers, parse_int(v));
                      }}},
      {"sigma-smallest", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                            set_kme(c, &kme::KmeOptions::sigma_smallest, parse_real(v));
                          }}},
      {"sigma-count", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                         set_kme(c, &kme::KmeOptions::sigma_count, parse_int(v));
                       }}},
      {"hsic-threshold", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                            set_kme(c, &kme::KmeOptions::hsic_threshold, parse_real(v));
                          }}},
      {"noise", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                   const double noise = parse_real(v);
                   if (noise < 0.0) throw InvalidArgument("expected a number >= 0");
                   c.kme.noise = noise;
                 }}},
      {"rho", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                 set_kme(c, &kme::KmeOptions::rho, kme::parse_rho_method(v));
               }}},
      {"extra-columns", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                           if (v != "on" && v != "off") throw InvalidArgument("expected on or off");
                           c.kme.options.extra_columns = v == "on";
                         }}},
      {"predict", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                     set_kme(c, &kme::KmeOptions::predictor, kme::parse_predictor(v));
                   }}},
      {"knn-k", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                   set_kme(c, &kme::KmeOptions::knn_k, parse_int(v));
                 }}},
      {"select", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                    set_kme(c, &kme::KmeOptions::selection, kme::parse_selection(v));
                  }}},
      {"validation-fraction", {Applies::kme, [](lwnet_config& c, const std::string& v) {
                                 set_kme(c, &kme::KmeOptions::validation_fraction, parse_real(v));
                               }}},
      // Trained networks.
      {"arch", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                  set_net(c, &net::NetOptions::arch, net::Architecture::parse(v));
                }}},
      {"epochs", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                    set_net(c, &net::NetOptions::epochs, parse_int(v));
                  }}},
      {"batch-size", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                        set_net(c, &net::NetOptions::batch_size, parse_integer(v));
                      }}},
      {"lr", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                set_net(c, &net::NetOptions::learning_rate, parse_real(v));
              }}},
      {"optimizer", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                       c.net.optimizer = net::parse_optimizer(v);
                     }}},
      {"momentum", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                      set_net(c, &net::NetOptions::momentum, parse_real(v));
                      c.momentum_given = true;
                    }}},
      {"weight-decay", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                          set_net(c, &net::NetOptions::weight_decay, parse_real(v));
                        }}},
      {"init", {Applies::backprop, [](lwnet_config& c, const std::string& v) { c.net.init = net::parse_init(v); }}},
      {"loss", {Applies::backprop, [](lwnet_config& c, const std::string& v) { c.net.loss = net::parse_loss(v); }}},
      // The local kernel losses (spec sections 3 and 4).
      {"dgl-sw2", {Applies::dgl, [](lwnet_config& c, const std::string& v) {
                     set_dgl(c, &net::DglOptions::sw2, parse_real(v));
                   }}},
      {"dgl-sb2", {Applies::dgl, [](lwnet_config& c, const std::string& v) {
                     set_dgl(c, &net::DglOptions::sb2, parse_real(v));
                   }}},
      {"dgl-noise", {Applies::dgl, [](lwnet_config& c, const std::string& v) {
                       set_dgl(c, &net::DglOptions::noise, parse_real(v));
                     }}},
      {"dgl-targets", {Applies::dgl, [](lwnet_config& c, const std::string& v) {
                         c.net.dgl.center_targets = parse_switch(v, "centred", "one-hot");
                       }}},
      {"dgl-monitor", {Applies::dgl, [](lwnet_config& c, const std::string& v) {
                         c.net.dgl.monitor = parse_switch(v, "on", "off");
                       }}},
      {"hsic-sigma", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                        set_hsic(c, &net::HsicBottleneckOptions::sigma, parse_real(v));
                      }}},
      {"hsic-beta", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                       set_hsic(c, &net::HsicBottleneckOptions::beta, parse_real(v));
                     }}},
      {"hsic-output", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                         c.net.hsic.unformatted = parse_switch(v, "unformatted", "format");
                       }}},
      {"readout-epochs", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                            set_hsic(c, &net::HsicBottleneckOptions::readout_epochs, parse_int(v));
                          }}},
      {"readout-lr", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                        set_hsic(c, &net::HsicBottleneckOptions::readout_learning_rate, parse_real(v));
                      }}},
      {"readout-weight-decay", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                                  set_hsic(c, &net::HsicBottleneckOptions::readout_weight_decay, parse_real(v));
                                }}},
      {"readout-batch-size", {Applies::hsic, [](lwnet_config& c, const std::string& v) {
                                set_hsic(c, &net::HsicBottleneckOptions::readout_batch_size, parse_integer(v));
                              }}},
      {"image", {Applies::backprop, [](lwnet_config& c, const std::string& v) {
                   (void)net::ImageShape::parse(v);  // checked now, resolved against the data's features at fit
                   c.image = v;
                 }}},
  };
  return table;
}

std::string key_list(net::Method method) {
  std::string list;
  for (const auto& [name, key] : keys()) {
    if (applies_to(key.applies, method)) list += (list.empty() ? "" : ", ") + name;
  }
  return list;
}

}  // namespace

kme::TrainConfig kme_config(const lwnet_config& config) {
  config.kme.options.validate();
  return config.kme;
}

net::NetOptions net_options(const lwnet_config& config, std::int64_t features) {
  net::NetOptions o = config.net;
  if (config.momentum_given && o.optimizer != net::OptimizerKind::sgd)
    throw InvalidArgument(std::string("config: momentum applies to optimizer sgd, not ") + net::to_string(o.optimizer));
  const bool conv = o.arch.kind == net::Architecture::Kind::conv;
  o.image = {};
  if (!config.image.empty()) {
    const net::ImageShape image = net::ImageShape::parse(config.image);
    if (image.features() != features)
      throw InvalidArgument("config: image " + config.image + " is " + std::to_string(image.features()) +
                            " values per sample, but X has " + std::to_string(features) + " columns");
    if (conv) o.image = image;  // a dense net flattens each row, whatever its shape
  } else if (conv) {
    throw InvalidArgument("config: arch " + o.arch.str() + " needs each row as an image: set image to HxWxC with " +
                          "H*W*C = " + std::to_string(features) + ", the columns of X");
  }
  o.validate();
  return o;
}

}  // namespace lwnet::capi

using lwnet::capi::guarded;
using lwnet::capi::require;

extern "C" {

lwnet_status lwnet_config_create(const char* method, lwnet_config** out) {
  return guarded("lwnet_config_create", [&] {
    require(method, "method");
    require(out, "out");
    auto config = std::make_unique<lwnet_config>();
    config->method = lwnet::net::parse_method(method);
    config->net = lwnet::net::defaults_for(config->method);  // dgl and hsic-bottleneck have their own
    *out = config.release();
  });
}

void lwnet_config_free(lwnet_config* config) { delete config; }

lwnet_status lwnet_config_set(lwnet_config* config, const char* key, const char* value) {
  return guarded("lwnet_config_set", [&] {
    lwnet_config& c = require(config, "config");
    require(key, "key");
    const std::string name(key);
    require(value, "value");
    const auto it = lwnet::capi::keys().find(name);
    const char* method = lwnet::net::to_string(c.method);
    if (it == lwnet::capi::keys().end())
      throw lwnet::InvalidArgument("unknown key '" + name + "' (the keys of method " + method + ": " +
                                   lwnet::capi::key_list(c.method) + ")");
    const lwnet::capi::Applies applies = it->second.applies;
    if (!lwnet::capi::applies_to(applies, c.method))
      throw lwnet::InvalidArgument("key '" + name + "' applies to method " + lwnet::capi::applies_name(applies) +
                                   ", not " + method);
    lwnet_config updated = c;  // the configuration is unchanged when the value is refused
    try {
      it->second.set(updated, value);
    } catch (const lwnet::InvalidArgument& e) {
      throw lwnet::InvalidArgument("key '" + name + "', value '" + value + "': " + e.what());
    }
    c = std::move(updated);
  });
}

lwnet_status lwnet_config_method(const lwnet_config* config, const char** out) {
  return guarded("lwnet_config_method",
                 [&] { require(out, "out") = lwnet::net::to_string(require(config, "config").method); });
}

}  // extern "C"
