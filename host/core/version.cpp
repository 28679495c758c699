#include "lwnet/version.hpp"

namespace lwnet {

std::string version() { return LWNET_VERSION; }
std::string blas_vendor() { return LWNET_BLAS_VENDOR; }
std::string cuda_architectures() { return LWNET_CUDA_ARCHITECTURES; }

}  // namespace lwnet
