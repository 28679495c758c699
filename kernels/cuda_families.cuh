// The CUDA backend's operation families (lwnet/blas.hpp, solver.hpp, nn_ops.hpp): cuBLAS in
// blas/, cuSOLVER in linalg/, custom kernels in nn/. Every call queues work on the context's
// stream and returns without waiting, except where a host value is part of the result (potrf's
// positive-definiteness verdict).
#pragma once

#include <memory>

#include "common/cuda_context.cuh"
#include "lwnet/blas.hpp"
#include "lwnet/nn_ops.hpp"
#include "lwnet/solver.hpp"

namespace lwnet::cuda {

std::unique_ptr<Blas> make_cuda_blas(std::shared_ptr<CudaContext> context);
std::unique_ptr<Solver> make_cuda_solver(std::shared_ptr<CudaContext> context);
std::unique_ptr<NnOps> make_cuda_nn_ops(std::shared_ptr<CudaContext> context);

}  // namespace lwnet::cuda
