// Which level of the CPU backend runs (cpu_isa.hpp): compiled once, at the baseline, beside the
// levels' copies. LWNET_CPU_LEVELS_V3 / _V4 say which copies the build holds.
#include <cstdlib>
#include <string>

#include "cpu/cpu_isa.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

std::unique_ptr<Backend> make_cpu_backend(int threads) { return cpu::make_cpu_backend_at(cpu::chosen_level(), threads); }

namespace cpu {

namespace {

constexpr const char* kEnvironmentVariable = "LWNET_CPU_ISA";

bool compiled(CpuLevel level) {
  switch (level) {
    case CpuLevel::baseline: return true;
    case CpuLevel::x86_64_v3: return LWNET_CPU_LEVELS_V3 != 0;
    case CpuLevel::x86_64_v4: return LWNET_CPU_LEVELS_V4 != 0;
  }
  return false;
}

// What the CPU lacks for a level, in words.
const char* requirement(CpuLevel level) {
  return level == CpuLevel::x86_64_v4 ? "AVX-512 (F, BW, CD, DQ, VL)" : "AVX2, FMA, BMI1 and BMI2";
}

}  // namespace

const char* to_string(CpuLevel level) {
  switch (level) {
    case CpuLevel::baseline: return "x86-64";
    case CpuLevel::x86_64_v3: return "x86-64-v3";
    case CpuLevel::x86_64_v4: return "x86-64-v4";
  }
  return "?";
}

std::vector<CpuLevel> compiled_levels() {
  std::vector<CpuLevel> levels;
  for (CpuLevel level : {CpuLevel::baseline, CpuLevel::x86_64_v3, CpuLevel::x86_64_v4})
    if (compiled(level)) levels.push_back(level);
  return levels;
}

// libgcc's CPU model also checks that the operating system saves the AVX and AVX-512 registers.
bool cpu_supports(CpuLevel level) {
#if defined(__x86_64__)
  switch (level) {
    case CpuLevel::baseline: return true;
    case CpuLevel::x86_64_v3:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2");
    case CpuLevel::x86_64_v4:
      return cpu_supports(CpuLevel::x86_64_v3) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return level == CpuLevel::baseline;
#endif
}

CpuLevel chosen_level() {
  const char* forced = std::getenv(kEnvironmentVariable);
  if (forced != nullptr && forced[0] != '\0') {
    for (CpuLevel level : {CpuLevel::baseline, CpuLevel::x86_64_v3, CpuLevel::x86_64_v4})
      if (std::string(forced) == to_string(level)) return level;
    throw InvalidArgument(std::string(kEnvironmentVariable) + "=" + forced +
                          ": not a CPU level (x86-64, x86-64-v3 or x86-64-v4)");
  }
  CpuLevel best = CpuLevel::baseline;
  for (CpuLevel level : compiled_levels())
    if (cpu_supports(level)) best = level;
  return best;
}

std::unique_ptr<Backend> make_cpu_backend_at(CpuLevel level, int threads) {
  if (!compiled(level))
    throw Unavailable(std::string("the CPU backend's ") + to_string(level) +
                      " code is not built into this lwnet (configured with LWNET_CPU_LEVELS=OFF, or not x86-64)");
  if (!cpu_supports(level))
    throw Unavailable(std::string("this CPU cannot run the CPU backend's ") + to_string(level) + " code: it needs " +
                      requirement(level));
  switch (level) {
#if LWNET_CPU_LEVELS_V4
    case CpuLevel::x86_64_v4: return make_backend_isa_x86_64_v4(threads);
#endif
#if LWNET_CPU_LEVELS_V3
    case CpuLevel::x86_64_v3: return make_backend_isa_x86_64_v3(threads);
#endif
    default: return make_backend_isa_baseline(threads);
  }
}

}  // namespace cpu
}  // namespace lwnet
