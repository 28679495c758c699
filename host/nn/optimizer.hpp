// SGD (momentum, weight decay) and Adam over a network's parameters, as PyTorch defines them
// (nn_ops.hpp), with their state in backend memory.
#pragma once

#include <cstdint>
#include <vector>

#include "lwnet/net.hpp"
#include "nn/module.hpp"

namespace lwnet::nn {

template <class T>
class Optimizer {
 public:
  Optimizer(Backend& backend, const net::NetOptions& options, std::vector<Parameter<T>*> parameters);
  // One update of every parameter from its grad.
  void step();
  std::int64_t steps() const { return steps_; }

 private:
  Backend& backend_;
  net::OptimizerKind kind_;
  SgdParams sgd_;
  AdamParams adam_;
  std::vector<Parameter<T>*> parameters_;
  std::vector<Matrix<T>> first_;   // SGD velocity (when momentum > 0) or Adam's m
  std::vector<Matrix<T>> second_;  // Adam's v
  std::int64_t steps_ = 0;
};

}  // namespace lwnet::nn
