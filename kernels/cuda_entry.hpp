// The CUDA backend's entry points, as plain C++ (no CUDA types): all the host side needs to
// create the backend and probe the machine. Implemented in kernels/, used by host/select/.
#pragma once

#include <memory>

#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"

namespace lwnet::cuda {

// Never throws: every runtime error becomes the probe's reason.
CudaProbe probe();

// Throws Unavailable (with the runtime's reason) when the device cannot be used.
std::unique_ptr<Backend> make_backend(int device_index);

}  // namespace lwnet::cuda
