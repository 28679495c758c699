// The CUDA backend's entry points, as plain C++ (no CUDA types): all that is needed to create
// the backend and probe the machine. Implemented in probe.cu; inside the module they are reached
// only through module_entry.cpp's table (cuda_module_abi.hpp), which is what host/select/ opens.
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
