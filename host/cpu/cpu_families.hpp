// The CPU backend's operation families (lwnet/blas.hpp, solver.hpp, nn_ops.hpp), each in its own
// files: cpu_blas.cpp, cpu_solver.cpp, cpu_nn_*.cpp. Work is spread over the backend's pool with
// a split fixed by the shapes, so results do not depend on the thread count.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <memory>

#include "cpu/thread_pool.hpp"
#include "lwnet/blas.hpp"
#include "lwnet/nn_ops.hpp"
#include "lwnet/solver.hpp"

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

std::unique_ptr<Blas> make_cpu_blas(ThreadPool& pool);
std::unique_ptr<Solver> make_cpu_solver();
std::unique_ptr<NnOps> make_cpu_nn_ops(ThreadPool& pool);

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
