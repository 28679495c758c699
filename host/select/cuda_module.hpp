// Opening the CUDA backend module (kernels/, liblwnet_cuda_backend.so) with dlopen, and choosing a
// backend through it. Internal to lwnet::lwnet; the tests use it to load test-double modules.
//
// Where the module is looked for, in order (the first that loads and matches this build wins):
//   1. $LWNET_CUDA_BACKEND, when set: that file only;
//   2. beside the program or shared library holding this code (dladdr), and in ../<libdir> from
//      there (the installed liblwnet.so finds the module beside it in lib/, an installed bin/lwnet
//      in ../lib);
//   3. the build tree's module (lwnet::lwnet in the build tree only; the installed library does
//      not look into the build tree);
//   4. the dynamic linker's search path (the program's run path, LD_LIBRARY_PATH, ld.so.cache);
//   5. the install location configured at build time.
// A module that is missing, fails to load (the CUDA libraries are absent, the address space is
// limited) or comes from another build is not an error: it becomes the probe's reason.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cuda_module_abi.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"

namespace lwnet::detail {

// A module opened with dlopen, or why it is not.
struct CudaModule {
  void* handle = nullptr;
  const CudaModuleEntry* entry = nullptr;
  std::string path;     // the file tried (or found)
  bool missing = false;  // the file does not exist (as opposed to failing to load)
  std::string failure;  // why it is not loaded; empty when it is

  bool loaded() const { return entry != nullptr; }
};

// Opens `path` (a file, or a bare name for the dynamic linker's search) and checks that its entry
// comes from this build. Never throws.
CudaModule open_cuda_module(const std::string& path);

// Unloads the module. Nothing it made (backends, matrices, exceptions) may still be alive.
void close_cuda_module(CudaModule& module);

// The places searched, in order (see above): files, and bare names for the linker's search.
std::vector<std::string> cuda_module_candidates();

// The first candidate that loads, else a module whose failure reads "CUDA backend module not
// found: ..." or "CUDA backend module not loaded: <why>". Never throws.
CudaModule find_cuda_module();

// The module's probe; when it is not loaded, a probe whose reason is the module's failure.
CudaProbe probe_cuda_module(const CudaModule& module);

// select_backend's rule, with the module and its probe given: `cpu` never touches the module;
// `cuda:N` throws Unavailable with the probe's reason when CUDA is unusable; `auto` takes cuda:0
// when usable and falls back to the CPU, with the reason, otherwise.
BackendChoice select_backend_from(Device device, const CudaModule& module, const CudaProbe& probe);

// make_cuda_backend (lwnet/cuda.hpp) with the module and its probe given: the checks of `cuda:N`
// above, then the module's backend on the caller's `stream` (a cudaStream_t).
std::unique_ptr<Backend> make_module_backend_on_stream(const CudaModule& module, const CudaProbe& probe,
                                                       int device_index, void* stream);

// native_stream (lwnet/cuda.hpp): the stream (a cudaStream_t) of a backend the module made. Throws
// InvalidArgument for any other backend.
void* module_backend_stream(const CudaModule& module, Backend& backend);

}  // namespace lwnet::detail
