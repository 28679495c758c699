// Where computation runs: the CPU, a CUDA device, or "auto" (CUDA when usable, else CPU).
#pragma once

#include "lwnet/export.h"

#include <string>
#include <string_view>
#include <vector>

#include "lwnet/matrix.hpp"

namespace lwnet {

struct LWNET_API Device {
  enum class Kind { cpu, cuda, automatic };

  Kind kind = Kind::automatic;
  int index = 0;  // CUDA ordinal; 0 for cpu/auto

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int index = 0) { return {Kind::cuda, index}; }
  static Device automatic() { return {Kind::automatic, 0}; }

  // Accepts "cpu", "cuda", "cuda:N", "gpu", "gpu:N" and "auto" (case-insensitive).
  // Throws InvalidArgument naming the text otherwise.
  static Device parse(std::string_view text);

  // "cpu", "cuda:0" or "auto".
  std::string str() const;
  MemorySpace memory_space() const { return kind == Kind::cuda ? MemorySpace::cuda : MemorySpace::host; }

  friend bool operator==(const Device& a, const Device& b) {
    return a.kind == b.kind && a.index == b.index;
  }
  friend bool operator!=(const Device& a, const Device& b) { return !(a == b); }
};

// What the CUDA runtime says about this machine. Any runtime error while asking means "no GPU";
// the error text is kept as the reason.
struct LWNET_API CudaProbe {
  bool compiled = false;           // this build of lwnet includes the CUDA backend
  int device_count = 0;            // usable CUDA devices
  std::vector<std::string> names;  // one per device, e.g. "NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)"
  std::string runtime_version;     // e.g. "13.0"; empty when unknown
  std::string reason;              // why CUDA is not usable; empty when it is

  bool usable() const { return compiled && device_count > 0; }
};

// Asks the CUDA runtime (never throws). Provided by lwnet::lwnet.
LWNET_API CudaProbe probe_cuda();

}  // namespace lwnet
