// Training configurations of the C API (lwnet_config): the options of `lwnet train` set by name,
// and the checks that need the whole configuration or the data, made when a fit starts.
#pragma once

#include <cstdint>

#include "capi/capi_handles.hpp"

namespace lwnet::capi {

// The closed-form fit's configuration, validated as a whole (InvalidArgument).
kme::TrainConfig kme_config(const lwnet_config& config);

// A trained network's options for data of `features` columns: momentum only with sgd, the image
// shape (key "image") against the features (a conv net needs one; a dense net flattens rows),
// validated as a whole (InvalidArgument naming the key).
net::NetOptions net_options(const lwnet_config& config, std::int64_t features);

}  // namespace lwnet::capi
