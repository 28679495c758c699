// What the C API's opaque handles hold (include/lwnet/lwnet.h declares them incomplete).
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "lwnet/backend.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/lwnet.h"
#include "lwnet/net.hpp"

struct lwnet_backend {
  std::unique_ptr<lwnet::Backend> backend;
  std::string description;  // kept so that the C string outlives the call that returned it
  std::string reason;
};

// A training configuration: the method and the options of `lwnet train` for it.
struct lwnet_config {
  lwnet::net::Method method = lwnet::net::Method::kme;
  lwnet::kme::TrainConfig kme;  // method kme
  lwnet::net::NetOptions net;   // method backprop
  std::string image;            // backprop: "image" as given (empty: not given), checked against the data at fit
  bool momentum_given = false;  // backprop: "momentum" was set (refused with adam at fit)
};

struct lwnet_model {
  std::variant<lwnet::kme::KmeModel, lwnet::net::NetModel> model;
};
