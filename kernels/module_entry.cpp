// The module's one exported symbol (cuda_module_abi.hpp): a table holding the probe and the
// backend factories of kernels/probe.cu, and the identity of the build that made it.
#include <exception>
#include <string>

#include "cuda_entry.hpp"
#include "cuda_module_abi.hpp"
#include "lwnet/version.hpp"
#include "lwnet_module_interface.hpp"

namespace lwnet::cuda {
namespace {

void probe_entry(CudaProbe* out) {
  try {
    *out = probe();
  } catch (const std::exception& e) {  // e.g. std::bad_alloc while naming the devices
    *out = CudaProbe{};
    out->compiled = true;
    out->reason = std::string("the CUDA probe failed: ") + e.what();
  }
}

Backend* make_backend_entry(int device_index) { return make_backend(device_index).release(); }

Backend* make_backend_on_stream_entry(int device_index, void* stream) {
  return make_backend_on_stream(device_index, stream).release();
}

bool native_stream_entry(Backend* backend, void** stream) noexcept {
  return backend != nullptr && native_stream(*backend, stream);
}

}  // namespace
}  // namespace lwnet::cuda

LWNET_CUDA_MODULE_EXPORT const lwnet::CudaModuleEntry* lwnet_cuda_module_entry() {
  static const std::string version = lwnet::version();
  static const lwnet::CudaModuleEntry entry{lwnet::kCudaModuleAbiVersion, version.c_str(),
                                            LWNET_MODULE_INTERFACE_ID, &lwnet::cuda::probe_entry,
                                            &lwnet::cuda::make_backend_entry,
                                            &lwnet::cuda::make_backend_on_stream_entry,
                                            &lwnet::cuda::native_stream_entry};
  return &entry;
}
