// The CUDA backend module's entry surface: the only thing lwnet::lwnet (host/select/) and the
// module (kernels/, liblwnet_cuda_backend.so) share besides the public headers. The module is
// opened with dlopen only when a GPU is asked for or probed, so a CPU-only run never maps the
// CUDA libraries (~1 GB of address space). Plain C++: no CUDA types.
//
// The module exports one C symbol, kCudaModuleEntrySymbol, returning a CudaModuleEntry. Its
// first three fields never change place: the loader reads them before trusting the rest, and
// refuses a module whose ABI version, lwnet version or interface id (a hash of the headers whose
// types cross the boundary, generated at build time) differs from its own: such a module comes
// from another build, and calling into it could crash.
#pragma once

#include <cstdint>

#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"

namespace lwnet {

// Bump when CudaModuleEntry changes shape or meaning.
inline constexpr std::uint32_t kCudaModuleAbiVersion = 2;
inline constexpr const char* kCudaModuleEntrySymbol = "lwnet_cuda_module_entry";

struct CudaModuleEntry {
  std::uint32_t abi_version;   // kCudaModuleAbiVersion of the module's build
  const char* lwnet_version;   // lwnet::version() of the module's build, e.g. "0.1.0"
  const char* interface_id;    // LWNET_MODULE_INTERFACE_ID of the module's build
  // Fills *out; never throws (every failure becomes out->reason).
  void (*probe)(CudaProbe* out);
  // A new backend on the device; the caller owns it. Throws lwnet::Unavailable with the reason.
  Backend* (*make_backend)(int device_index);
  // Since ABI 2 (lwnet/cuda.hpp): streams travel as void* (a cudaStream_t), so that this header
  // stays free of CUDA types. Events need no entry: a CUDA backend's Event holds its cudaEvent_t.
  // A new backend on the device whose work is all queued on the caller's `stream`; the caller
  // owns it. Throws lwnet::InvalidArgument for an unusable stream, lwnet::Unavailable otherwise.
  Backend* (*make_backend_on_stream)(int device_index, void* stream);
  // True, with *stream set to the stream it queues on, when `backend` is one of this module's
  // backends; false otherwise. Never throws.
  bool (*native_stream)(Backend* backend, void** stream);
};

using CudaModuleEntryFunction = const CudaModuleEntry* (*)();

}  // namespace lwnet

// Marks the module's one exported function (the module is built with hidden visibility).
#define LWNET_CUDA_MODULE_EXPORT extern "C" __attribute__((visibility("default")))
