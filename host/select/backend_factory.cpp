// The run-time choice of backend: `auto` takes CUDA device 0 when the runtime reports a usable
// device, else the CPU, and records why.
#include <string>

#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/error.hpp"

#if LWNET_WITH_CUDA
#include "cuda_entry.hpp"
#endif

namespace lwnet {

CudaProbe probe_cuda() {
#if LWNET_WITH_CUDA
  return cuda::probe();
#else
  CudaProbe p;
  p.compiled = false;
  p.reason = "this build of lwnet has no CUDA backend (configured with LWNET_ENABLE_CUDA=OFF)";
  return p;
#endif
}

BackendChoice select_backend(Device device) {
  if (device.kind == Device::Kind::cpu) return {make_cpu_backend(), "cpu requested"};

  const CudaProbe probe = probe_cuda();
  if (device.kind == Device::Kind::cuda) {
    if (!probe.usable()) throw Unavailable("cannot use " + device.str() + ": " + probe.reason);
    if (device.index >= probe.device_count)
      throw Unavailable("cannot use " + device.str() + ": only " + std::to_string(probe.device_count) +
                        " CUDA device(s) visible");
#if LWNET_WITH_CUDA
    return {cuda::make_backend(device.index), device.str() + " requested"};
#endif
  }

  // auto
  if (probe.usable()) {
#if LWNET_WITH_CUDA
    try {
      return {cuda::make_backend(0), "auto: CUDA device 0 is usable (" + probe.names.front() + ")"};
    } catch (const Error& e) {
      return {make_cpu_backend(), std::string("auto: CUDA device 0 failed to start (") + e.what() + "); using the CPU"};
    }
#endif
  }
  return {make_cpu_backend(), "auto: no usable CUDA device (" + probe.reason + "); using the CPU"};
}

std::unique_ptr<Backend> make_backend(Device device) { return select_backend(device).backend; }

}  // namespace lwnet
