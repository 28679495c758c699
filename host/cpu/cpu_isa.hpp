// The CPU backend is compiled once per x86-64 level (cmake/LwnetCpuLevels.cmake): the baseline
// x86-64 that every x86-64 CPU runs, x86-64-v3 (AVX2, FMA: Haswell, Zen and later) and x86-64-v4
// (AVX-512). make_cpu_backend picks the highest level the CPU supports at run time, so an
// installed library runs on any x86-64 CPU at the speed of the one it runs on.
//
// Each level's copy of lwnet::cpu lives in an inline namespace named after it (LWNET_CPU_ISA_NS,
// set per level by the build; isa_baseline otherwise), so the copies never share a symbol; the
// build then keeps each level's object code to itself but for its entry, make_backend_<ns>.
//
// The levels compute the same bits: every sum has one order (fixed lanes, fixed blocks, a
// multiply then an add; -ffp-contract=off), and where an instruction differs between levels
// (FMA, square root) it rounds the same. tests/cpu/test_cpu_levels.cpp compares them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lwnet/backend.hpp"

#ifndef LWNET_CPU_ISA_NS
#define LWNET_CPU_ISA_NS isa_baseline
#endif
#ifndef LWNET_CPU_ISA_NAME
#define LWNET_CPU_ISA_NAME "x86-64"
#endif
#define LWNET_CPU_ISA_NAMESPACE_BEGIN inline namespace LWNET_CPU_ISA_NS {
#define LWNET_CPU_ISA_NAMESPACE_END }

namespace lwnet::cpu {

enum class CpuLevel { baseline, x86_64_v3, x86_64_v4 };

// "x86-64", "x86-64-v3", "x86-64-v4": the names of -march and of LWNET_CPU_ISA.
const char* to_string(CpuLevel level);

// The levels built into this library, lowest first (the baseline always).
std::vector<CpuLevel> compiled_levels();

// Whether this CPU (and its operating system: AVX state saved) runs a level's code.
bool cpu_supports(CpuLevel level);

// The level make_cpu_backend uses: the environment's LWNET_CPU_ISA when set (InvalidArgument for
// an unknown name, Unavailable for a level not built in or not supported by this CPU), else the
// highest level both built and supported.
CpuLevel chosen_level();

// A CPU backend running one level's code (Unavailable when it is not built in or not supported).
std::unique_ptr<Backend> make_cpu_backend_at(CpuLevel level, int threads);

// Each level's entry (cpu_backend.cpp), outside the levels' inline namespaces.
std::unique_ptr<Backend> make_backend_isa_baseline(int threads);
std::unique_ptr<Backend> make_backend_isa_x86_64_v3(int threads);
std::unique_ptr<Backend> make_backend_isa_x86_64_v4(int threads);

}  // namespace lwnet::cpu
