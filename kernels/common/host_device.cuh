// Compiles the plain-C++ helpers of include/lwnet/detail/ (kernel constants, the counter-based
// generator) as host and device functions: a CUDA translation unit includes this before them.
// The installed headers never test __CUDACC__; they default LWNET_HD to `inline`.
#pragma once

#ifdef LWNET_HD
#error "common/host_device.cuh must be included before any lwnet/detail/ header"
#endif
#define LWNET_HD __host__ __device__ __forceinline__
