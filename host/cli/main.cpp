// lwnet command-line entry point. Exit codes: 0 success; 2 bad input (options, files, data);
// 3 the requested device is unavailable; 1 any other failure.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "lwnet/error.hpp"
#include "lwnet/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"lwnet " + lwnet::version() +
               ": layer-wise neural networks (closed-form kernel-mean-embedding layers) on GPU and CPU"};
  app.set_version_flag("--version", lwnet::version());
  app.require_subcommand(1);
  lwnet::cli::add_info_command(app);
  lwnet::cli::add_hsic_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const lwnet::InvalidArgument& e) {
    std::cerr << "lwnet: error: " << e.what() << "\n";
    return 2;
  } catch (const lwnet::IoError& e) {
    std::cerr << "lwnet: error: " << e.what() << "\n";
    return 2;
  } catch (const lwnet::Unavailable& e) {
    std::cerr << "lwnet: error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "lwnet: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
