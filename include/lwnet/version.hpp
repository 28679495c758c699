// Build information.
#pragma once

#include <string>

#include "lwnet/version.h"  // LWNET_VERSION_MAJOR, _MINOR, _PATCH: the version compiled against

namespace lwnet {

// "0.1.0"
std::string version();
// The BLAS the CPU backend was linked against ("OpenBLAS" or "generic").
std::string blas_vendor();
// The CUDA architectures the build was configured for (meaningful when the CUDA backend is built).
std::string cuda_architectures();

}  // namespace lwnet
