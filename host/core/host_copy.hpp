// A checked dense host copy of a caller's matrix: what the trainers take in before they work.
#pragma once

#include "lwnet/matrix.hpp"

namespace lwnet::detail {

// A dense host copy of X (host, non-empty, every value finite); InvalidArgument naming `op` and
// the first bad entry otherwise.
Matrix<float> checked_host_copy(MatrixView<const float> X, const char* op);

}  // namespace lwnet::detail
