// `lwnet info`: the build, the devices, and why CUDA is or is not used.
#include <iostream>

#include "cli/commands.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/version.hpp"

namespace lwnet::cli {

namespace {

void run_info() {
  const CudaProbe probe = probe_cuda();
  std::cout << "lwnet " << version() << "\n";
  std::cout << "cpu backend:  " << make_cpu_backend()->description() << "\n";
  if (!probe.compiled) {
    std::cout << "cuda backend: not built (" << probe.reason << ")\n";
  } else {
    std::cout << "cuda backend: built for " << cuda_architectures() << ", CUDA runtime "
              << (probe.runtime_version.empty() ? "unknown" : probe.runtime_version) << "\n";
    if (probe.usable()) {
      for (std::size_t i = 0; i < probe.names.size(); ++i)
        std::cout << "  cuda:" << i << "  " << probe.names[i] << "\n";
    } else {
      std::cout << "  no usable GPU: " << probe.reason << "\n";
    }
  }
  const BackendChoice choice = select_backend(Device::automatic());
  std::cout << "--device auto: " << choice.backend->description() << "\n  " << choice.reason << "\n";
}

}  // namespace

void add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info", "Show the build, the devices, and why CUDA is or is not used");
  cmd->callback(run_info);
}

}  // namespace lwnet::cli
