// `lwnet info`: the build, the devices, why CUDA is or is not used, and the training methods (text or JSON).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/version.hpp"

namespace lwnet::cli {

namespace {

void run_info(bool json) {
  const CudaProbe probe = probe_cuda();
  const std::string cpu = make_cpu_backend()->description();
  const BackendChoice choice = select_backend(Device::automatic());
  if (json) {
    nlohmann::json cuda = {{"built", probe.compiled}, {"usable", probe.usable()}, {"devices", probe.names}};
    if (probe.compiled) {
      cuda["architectures"] = cuda_architectures();
      cuda["runtime_version"] = probe.runtime_version;
    }
    if (!probe.usable()) cuda["reason"] = probe.reason;
    std::cout << nlohmann::json{{"version", version()},
                                {"cpu_backend", cpu},
                                {"methods", nlohmann::json::array({"kme", "backprop", "align-zero", "align-ada", "align-prop", "fa", "dfa", "last-layer"})},
                                {"cuda", cuda},
                                {"auto", {{"device", choice.backend->device().str()},
                                          {"description", choice.backend->description()},
                                          {"reason", choice.reason}}}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << "lwnet " << version() << "\n";
  std::cout << "cpu backend:  " << cpu << "\n";
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
  std::cout << "--device auto: " << choice.backend->description() << "\n  " << choice.reason << "\n";
  std::cout << "methods:      kme (the closed-form layer-wise network, the default), backprop (dense or conv "
               "networks: lwnet train --method backprop --arch dense:WIDTHxDEPTH|conv:WIDTH:STRIDES[:bn]), and the "
               "same networks by the rules align-zero, align-ada, align-prop, fa, dfa, last-layer\n";
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("info", "Show the build, the devices, and why CUDA is or is not used");
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->callback([json] { run_info(*json); });
}

void add_version_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version number (as lwnet --version does)");
  cmd->callback([] { std::cout << version() << "\n"; });
}

}  // namespace lwnet::cli
