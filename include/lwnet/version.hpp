// Build information.
#pragma once

#include "lwnet/export.h"

#include <string>

#include "lwnet/version.h"  // LWNET_VERSION_MAJOR, _MINOR, _PATCH: the version compiled against

namespace lwnet {

// "0.1.0"
LWNET_API std::string version();
// The BLAS the CPU backend was linked against ("OpenBLAS" or "generic").
LWNET_API std::string blas_vendor();
// The CUDA architectures the build was configured for (meaningful when the CUDA backend is built).
LWNET_API std::string cuda_architectures();

}  // namespace lwnet
