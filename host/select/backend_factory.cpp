// The run-time choice of backend: `auto` takes CUDA device 0 when the runtime reports a usable
// device, else the CPU, and records why. The CUDA backend lives in a module opened on first need
// (cuda_module.hpp): `cpu` never opens it, so a CPU run maps no CUDA library.
#include <string>

#include "cuda_module.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/detail/cuda_interop.hpp"
#include "lwnet/device.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

namespace {

#if LWNET_WITH_CUDA
struct CudaState {
  detail::CudaModule module;
  CudaProbe probe;
};

// Searched, opened and probed once per process. A CUDA runtime that finds no usable device does not
// find one later in the same process, so the probe is kept, and a module that is of no use is closed
// again: its ~1 GB of mappings would otherwise stay, and the CPU backend's OpenBLAS spins when it
// cannot map its buffers under an address-space limit.
const CudaState& cuda_state() {
  static const CudaState state = [] {
    CudaState s;
    s.module = detail::find_cuda_module();
    s.probe = detail::probe_cuda_module(s.module);
    if (s.module.loaded() && !s.probe.usable()) detail::close_cuda_module(s.module);
    return s;
  }();
  return state;
}
#endif

}  // namespace

CudaProbe probe_cuda() {
#if LWNET_WITH_CUDA
  return cuda_state().probe;
#else
  CudaProbe p;
  p.compiled = false;
  p.reason = "this build of lwnet has no CUDA backend (configured with LWNET_ENABLE_CUDA=OFF)";
  return p;
#endif
}

BackendChoice select_backend(Device device) {
  if (device.kind == Device::Kind::cpu) return {make_cpu_backend(), "cpu requested"};
#if LWNET_WITH_CUDA
  const CudaState& state = cuda_state();
  return detail::select_backend_from(device, state.module, state.probe);
#else
  return detail::select_backend_from(device, detail::CudaModule{}, probe_cuda());
#endif
}

std::unique_ptr<Backend> make_backend(Device device) { return select_backend(device).backend; }

// ---- lwnet/cuda.hpp ----------------------------------------------------------------------------

namespace detail {

std::unique_ptr<Backend> make_cuda_backend_on_stream(int device, void* stream) {
#if LWNET_WITH_CUDA
  const CudaState& state = cuda_state();
  return make_module_backend_on_stream(state.module, state.probe, device, stream);
#else
  return make_module_backend_on_stream(CudaModule{}, probe_cuda(), device, stream);
#endif
}

void* cuda_stream_of(Backend& backend) {
#if LWNET_WITH_CUDA
  return module_backend_stream(cuda_state().module, backend);
#else
  return module_backend_stream(CudaModule{}, backend);
#endif
}

void* cuda_event_of(const Event& event) {
  if (event.empty()) return nullptr;
  if (event.device().kind != Device::Kind::cuda)
    throw InvalidArgument("native_event: the event was recorded on " + event.device().str() + ", not on a CUDA device");
  return event.native_handle();
}

}  // namespace detail

}  // namespace lwnet
