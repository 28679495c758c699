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

// As make_backend, with all work queued on the caller's `stream` (a cudaStream_t; lwnet/cuda.hpp).
// Throws InvalidArgument for a special or foreign stream.
std::unique_ptr<Backend> make_backend_on_stream(int device_index, void* stream);

// True, with *stream set to its stream, when `backend` is a CudaBackend. Never throws.
bool native_stream(Backend& backend, void** stream) noexcept;

}  // namespace lwnet::cuda
