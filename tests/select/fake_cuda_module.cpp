// A test double of the CUDA backend module, built like kernels/'s module
// (cmake/LwnetBackendModule.cmake: its own hidden copy of lwnet_core, one exported entry) but with
// g++ alone, so the loader, its checks and exceptions crossing the module boundary are tested on
// every machine (test_cuda_module.cpp). Its probe reports three devices named "fake N";
// make_backend(0) returns a CPU backend made by the module's copy of lwnet_core, make_backend(1)
// throws CudaError and make_backend(2) Unavailable; make_backend_on_stream does the same after
// refusing a null stream with InvalidArgument. Built with LWNET_FAKE_MODULE_STALE, its entry
// claims another build's interface, as a module left over from an older lwnet would.
#include <string>

#include "cuda_module_abi.hpp"
#include "lwnet/error.hpp"
#include "lwnet/version.hpp"
#include "lwnet_module_interface.hpp"

#ifdef LWNET_FAKE_MODULE_STALE
#define LWNET_FAKE_INTERFACE_ID "0000000000000000"
#else
#define LWNET_FAKE_INTERFACE_ID LWNET_MODULE_INTERFACE_ID
#endif

namespace {

void fake_probe(lwnet::CudaProbe* out) {
  *out = lwnet::CudaProbe{};
  out->compiled = true;
  out->device_count = 3;
  out->names = {"fake 0", "fake 1", "fake 2"};
  out->runtime_version = "fake";
}

lwnet::Backend* fake_make_backend(int device_index) {
  if (device_index == 1) throw lwnet::CudaError("fake module: cudaMalloc failed on cuda:1");
  if (device_index == 2) throw lwnet::Unavailable("fake module: cuda:2 cannot be initialised");
  return lwnet::make_cpu_backend(1).release();
}

// The caller's-stream factory of ABI 2: as make_backend, after refusing a null stream.
lwnet::Backend* fake_make_backend_on_stream(int device_index, void* stream) {
  if (stream == nullptr) throw lwnet::InvalidArgument("fake module: no stream given");
  return fake_make_backend(device_index);
}

// Its backends are CPU backends: none queues on a CUDA stream.
bool fake_native_stream(lwnet::Backend* /*backend*/, void** /*stream*/) { return false; }

}  // namespace

LWNET_CUDA_MODULE_EXPORT const lwnet::CudaModuleEntry* lwnet_cuda_module_entry() {
  static const std::string version = lwnet::version();
  static const lwnet::CudaModuleEntry entry{lwnet::kCudaModuleAbiVersion, version.c_str(), LWNET_FAKE_INTERFACE_ID,
                                            &fake_probe, &fake_make_backend, &fake_make_backend_on_stream,
                                            &fake_native_stream};
  return &entry;
}
