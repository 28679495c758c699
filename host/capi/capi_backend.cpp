// Backends for the C API: lwnet's run-time choice of device (select_backend) behind a handle.
#include <memory>
#include <string>

#include "capi/capi_errors.hpp"
#include "capi/capi_handles.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/detail/cuda_interop.hpp"
#include "lwnet/device.hpp"

using lwnet::capi::guarded;
using lwnet::capi::require;

extern "C" {

lwnet_status lwnet_backend_create(const char* device, lwnet_backend** out) {
  return guarded("lwnet_backend_create", [&] {
    require(device, "device");
    require(out, "out");
    lwnet::BackendChoice choice = lwnet::select_backend(lwnet::Device::parse(device));
    auto handle = std::make_unique<lwnet_backend>();
    handle->description = choice.backend->description();
    handle->reason = std::move(choice.reason);
    handle->backend = std::move(choice.backend);
    *out = handle.release();
  });
}

lwnet_status lwnet_backend_create_on_stream(int32_t device, void* stream, lwnet_backend** out) {
  return guarded("lwnet_backend_create_on_stream", [&] {
    require(out, "out");
    auto handle = std::make_unique<lwnet_backend>();
    handle->backend = lwnet::detail::make_cuda_backend_on_stream(device, stream);
    handle->description = handle->backend->description();
    handle->reason = "cuda:" + std::to_string(device) + " on the caller's stream";
    *out = handle.release();
  });
}

lwnet_status lwnet_backend_stream(lwnet_backend* backend, void** stream) {
  return guarded("lwnet_backend_stream", [&] {
    lwnet::Backend& b = *require(backend, "backend").backend;
    require(stream, "stream") = lwnet::detail::cuda_stream_of(b);
  });
}

void lwnet_backend_free(lwnet_backend* backend) { delete backend; }

lwnet_status lwnet_backend_description(const lwnet_backend* backend, const char** out) {
  return guarded("lwnet_backend_description",
                 [&] { require(out, "out") = require(backend, "backend").description.c_str(); });
}

lwnet_status lwnet_backend_reason(const lwnet_backend* backend, const char** out) {
  return guarded("lwnet_backend_reason", [&] { require(out, "out") = require(backend, "backend").reason.c_str(); });
}

lwnet_status lwnet_backend_memory(const lwnet_backend* backend, lwnet_memory* memory, int32_t* device) {
  return guarded("lwnet_backend_memory", [&] {
    const lwnet::Backend& b = *require(backend, "backend").backend;
    require(memory, "memory");
    require(device, "device");
    const bool cuda = b.memory_space() == lwnet::MemorySpace::cuda;
    *memory = cuda ? LWNET_MEMORY_CUDA : LWNET_MEMORY_HOST;
    *device = cuda ? b.device().index : 0;
  });
}

}  // extern "C"
