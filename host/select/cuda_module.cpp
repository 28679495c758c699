// Finding, opening and checking the CUDA backend module (cuda_module.hpp has the search order).
// RTLD_NOW makes a module with an unresolvable symbol fail here rather than at its first call;
// RTLD_LOCAL keeps its symbols (its private copy of lwnet_core, the CUDA libraries') out of the
// program's global scope.
#include "cuda_module.hpp"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lwnet/error.hpp"
#include "lwnet/version.hpp"
#include "lwnet_module_interface.hpp"

#ifndef LWNET_CUDA_MODULE_BUILD_PATH
#define LWNET_CUDA_MODULE_BUILD_PATH ""
#endif

namespace lwnet::detail {

namespace {

constexpr const char* kFileName = LWNET_CUDA_MODULE_FILE_NAME;
constexpr const char* kEnvironmentVariable = "LWNET_CUDA_BACKEND";

bool names_a_file(const std::string& path) { return path.find('/') != std::string::npos; }

std::string real_path(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : std::string();
}

// The folder of the executable or shared library this code was linked into. dladdr names the
// main program by argv[0], which may be relative or a bare name: use /proc/self/exe for it.
std::string own_directory() {
  static const char anchor = 0;
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(&anchor, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0) return {};
  const bool main_program = map == nullptr || map->l_name == nullptr || map->l_name[0] == '\0';
  const std::string file = real_path(main_program ? std::string("/proc/self/exe") : std::string(map->l_name));
  const std::size_t slash = file.rfind('/');
  return slash == std::string::npos ? std::string() : file.substr(0, slash);
}

std::string entry_identity(std::uint32_t abi, const char* version, const char* interface_id) {
  return "lwnet " + std::string(version != nullptr ? version : "?") + ", interface " +
         (interface_id != nullptr ? interface_id : "?") + ", entry ABI " + std::to_string(abi);
}

}  // namespace

CudaModule open_cuda_module(const std::string& path) {
  CudaModule module;
  module.path = path;
  if (names_a_file(path) && access(path.c_str(), F_OK) != 0) {
    module.missing = true;
    module.failure = path + ": no such file";
    return module;
  }
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    module.failure = why != nullptr ? why : path + ": dlopen failed";
    // A bare name the linker's search did not find (not one of its dependencies).
    module.missing = !names_a_file(path) && module.failure.rfind(path + ": cannot open shared object file", 0) == 0;
    return module;
  }
  const auto entry_function = reinterpret_cast<CudaModuleEntryFunction>(dlsym(handle, kCudaModuleEntrySymbol));
  const CudaModuleEntry* entry = entry_function != nullptr ? entry_function() : nullptr;
  if (entry == nullptr) {
    module.failure = path + " is not an lwnet CUDA backend module (no " + kCudaModuleEntrySymbol + ")";
    dlclose(handle);
    return module;
  }
  const std::string this_version = version();
  if (entry->abi_version != kCudaModuleAbiVersion || entry->lwnet_version == nullptr ||
      entry->interface_id == nullptr || this_version != entry->lwnet_version ||
      std::strcmp(entry->interface_id, LWNET_MODULE_INTERFACE_ID) != 0) {
    module.failure = path + " comes from another build of lwnet (" +
                     entry_identity(entry->abi_version, entry->lwnet_version, entry->interface_id) +
                     "; this program: " +
                     entry_identity(kCudaModuleAbiVersion, this_version.c_str(), LWNET_MODULE_INTERFACE_ID) +
                     "): rebuild it, or set " + kEnvironmentVariable + " to the module built with this lwnet";
    dlclose(handle);
    return module;
  }
  module.handle = handle;
  module.entry = entry;
  return module;
}

void close_cuda_module(CudaModule& module) {
  if (module.handle != nullptr) dlclose(module.handle);
  module.handle = nullptr;
  module.entry = nullptr;
}

std::vector<std::string> cuda_module_candidates() {
  const char* forced = std::getenv(kEnvironmentVariable);
  if (forced != nullptr && forced[0] != '\0') return {forced};

  std::vector<std::string> candidates;
  const std::string own = own_directory();
  if (!own.empty()) {
    candidates.push_back(own + "/" + kFileName);
    candidates.push_back(own + "/../" + LWNET_CUDA_MODULE_LIBDIR + "/" + kFileName);
  }
  if (LWNET_CUDA_MODULE_BUILD_PATH[0] != '\0') candidates.push_back(LWNET_CUDA_MODULE_BUILD_PATH);
  candidates.push_back(kFileName);
  candidates.push_back(LWNET_CUDA_MODULE_INSTALL_PATH);
  return candidates;
}

CudaModule find_cuda_module() {
  std::vector<std::string> tried_files;  // real paths, so a file reached twice is opened once
  std::string searched;
  std::string failures;
  for (const std::string& candidate : cuda_module_candidates()) {
    const std::string resolved = names_a_file(candidate) ? real_path(candidate) : candidate;
    if (!resolved.empty() && names_a_file(resolved)) {
      bool seen = false;
      for (const std::string& file : tried_files) seen = seen || file == resolved;
      if (seen) continue;
      tried_files.push_back(resolved);
    }
    CudaModule module = open_cuda_module(resolved.empty() ? candidate : resolved);
    if (module.loaded()) return module;
    if (module.missing) {
      searched += (searched.empty() ? "" : ", ") +
                  (names_a_file(candidate) ? candidate : "the dynamic linker's search path for " + candidate);
    } else {
      failures += (failures.empty() ? "" : "; ") + module.failure;
    }
  }
  CudaModule none;
  none.missing = failures.empty();
  none.failure = none.missing ? "CUDA backend module not found (tried " + searched + "; set " + kEnvironmentVariable +
                                    " to its path)"
                              : "CUDA backend module not loaded: " + failures;
  return none;
}

CudaProbe probe_cuda_module(const CudaModule& module) {
  CudaProbe probe;
  if (module.loaded()) {
    module.entry->probe(&probe);
  } else {
    probe.compiled = true;
    probe.reason = module.failure;
  }
  return probe;
}

namespace {

std::unique_ptr<Backend> make_module_backend(const CudaModule& module, int device_index) {
  if (!module.loaded()) throw Unavailable("cannot use cuda:" + std::to_string(device_index) + ": " + module.failure);
  std::unique_ptr<Backend> backend(module.entry->make_backend(device_index));
  if (backend == nullptr) throw Unavailable(module.path + " returned no backend for cuda:" + std::to_string(device_index));
  return backend;
}

std::string not_cuda(const char* op, const Backend& backend) {
  return std::string(op) + ": the " + backend.description() + " backend is not a CUDA backend";
}

}  // namespace

std::unique_ptr<Backend> make_module_backend_on_stream(const CudaModule& module, const CudaProbe& probe,
                                                       int device_index, void* stream) {
  const std::string device = "cuda:" + std::to_string(device_index);
  if (device_index < 0) throw InvalidArgument("make_cuda_backend: device index " + std::to_string(device_index) + " is negative");
  if (!probe.usable()) throw Unavailable("cannot use " + device + ": " + probe.reason);
  if (device_index >= probe.device_count)
    throw Unavailable("cannot use " + device + ": only " + std::to_string(probe.device_count) +
                      " CUDA device(s) visible");
  if (!module.loaded()) throw Unavailable("cannot use " + device + ": " + module.failure);
  if (module.entry->make_backend_on_stream == nullptr)
    throw Unavailable(module.path + " cannot make a backend on the caller's stream");
  std::unique_ptr<Backend> backend(module.entry->make_backend_on_stream(device_index, stream));
  if (backend == nullptr) throw Unavailable(module.path + " returned no backend for " + device);
  return backend;
}

void* module_backend_stream(const CudaModule& module, Backend& backend) {
  // Only the module can tell its backends from others: ask it only about CUDA-memory backends.
  if (backend.memory_space() != MemorySpace::cuda || !module.loaded() || module.entry->native_stream == nullptr)
    throw InvalidArgument(not_cuda("native_stream", backend));
  void* stream = nullptr;
  if (!module.entry->native_stream(&backend, &stream)) throw InvalidArgument(not_cuda("native_stream", backend));
  return stream;
}

BackendChoice select_backend_from(Device device, const CudaModule& module, const CudaProbe& probe) {
  if (device.kind == Device::Kind::cpu) return {make_cpu_backend(), "cpu requested"};

  if (device.kind == Device::Kind::cuda) {
    if (!probe.usable()) throw Unavailable("cannot use " + device.str() + ": " + probe.reason);
    if (device.index >= probe.device_count)
      throw Unavailable("cannot use " + device.str() + ": only " + std::to_string(probe.device_count) +
                        " CUDA device(s) visible");
    return {make_module_backend(module, device.index), device.str() + " requested"};
  }

  // auto
  if (probe.usable()) {
    try {
      return {make_module_backend(module, 0), "auto: CUDA device 0 is usable (" + probe.names.front() + ")"};
    } catch (const Error& e) {
      return {make_cpu_backend(), std::string("auto: CUDA device 0 failed to start (") + e.what() + "); using the CPU"};
    }
  }
  return {make_cpu_backend(), "auto: no usable CUDA device (" + probe.reason + "); using the CPU"};
}

}  // namespace lwnet::detail
