// Shared by the trained networks' training, prediction and model files.
#pragma once

#include <cstdint>

#include "lwnet/net.hpp"
#include "nn/network.hpp"

namespace lwnet::net {

// A host copy of X_raw (finite, as many features as the model) with the model's preprocessing.
Matrix<float> preprocess(const NetModel& model, MatrixView<const float> X_raw, const char* op);

// The number of rows whose first maximal output equals the label, in batches of batch_size.
std::int64_t count_correct(Backend& backend, nn::Network<float>& net, MatrixView<const float> X,
                           MatrixView<const std::int32_t> labels, std::int64_t batch_size);

// A network with the model's architecture and trained parameters on `backend`.
nn::Network<float> restore_network(Backend& backend, const NetModel& model);

}  // namespace lwnet::net
