// The learning rules of the Add task's recurrent net (spec 2.3), as the reference code builds
// them: backprop through time; Align-zero (BPTT through a frozen copy theta_0 at the live error);
// Align-ada (the readout live; each live state h_t gets the frozen BPTT's signal through step
// t + 1, s W_hh0 delta0_{t+1}, and, in the full variant only, the same step's s w_ho0 e_t); and
// readout-only. Both copies start each batch from the live initial state h_0, as the code's do
// (its frozen graph is seeded with the live h_0), and h_0 is trained by every rule (the code's
// readout-only run trains it too, with its BPTT gradient).
#pragma once

#include <memory>
#include <vector>

#include "lwnet/add_task.hpp"
#include "nn/recurrent_net.hpp"

namespace lwnet::nn {

template <class T>
class RecurrentRule {
 public:
  virtual ~RecurrentRule() = default;
  // Called once per batch after net.forward(X): writes the grad of every parameter
  // trained_parameters() names, from the output error e = dL/do (N x T).
  virtual void compute_gradients(RecurrentNet<T>& net, MatrixView<const T> X, MatrixView<const T> output_error) = 0;
  virtual std::vector<Parameter<T>*> trained_parameters(RecurrentNet<T>& net) { return net.parameters(); }
};

// The rule of options.method for `net`, just initialised (theta_0); InvalidArgument for a method
// the Add task does not offer.
template <class T>
std::unique_ptr<RecurrentRule<T>> make_recurrent_rule(Backend& backend, const net::AddTaskOptions& options,
                                                      RecurrentNet<T>& net);

}  // namespace lwnet::nn
