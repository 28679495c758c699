#include "nn/learning_rule.hpp"

#include "lwnet/error.hpp"

namespace lwnet::nn {

template <class T>
std::unique_ptr<LearningRule<T>> make_learning_rule(net::Method method) {
  switch (method) {
    case net::Method::backprop: return std::make_unique<Backprop<T>>();
    case net::Method::kme: break;
  }
  throw InvalidArgument(std::string("method ") + net::to_string(method) + " is not trained by a learning rule");
}

template std::unique_ptr<LearningRule<float>> make_learning_rule<float>(net::Method);
template std::unique_ptr<LearningRule<double>> make_learning_rule<double>(net::Method);

}  // namespace lwnet::nn
