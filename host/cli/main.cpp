// lwnet command-line entry point. Exit codes: 0 success; 2 bad input (options, files, data);
// 3 the requested device is unavailable; 130 stopped by Ctrl-C or SIGTERM; 1 any other failure.
#include <CLI/CLI.hpp>

#include <iostream>
#include <new>

#include "cli/commands.hpp"
#include "lwnet/error.hpp"
#include "lwnet/version.hpp"

namespace {

int exit_code(const std::exception& e) {
  if (dynamic_cast<const lwnet::InvalidArgument*>(&e) || dynamic_cast<const lwnet::IoError*>(&e)) return 2;
  if (dynamic_cast<const lwnet::Unavailable*>(&e)) return 3;
  if (dynamic_cast<const lwnet::Cancelled*>(&e)) return 130;  // the shell's code for a SIGINT
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lwnet " + lwnet::version() +
               ": layer-wise neural networks (closed-form kernel-mean-embedding layers) on GPU and CPU"};
  app.set_version_flag("--version", lwnet::version());
  app.require_subcommand(1);
  lwnet::cli::add_train_command(app);
  lwnet::cli::add_predict_command(app);
  lwnet::cli::add_eval_command(app);
  lwnet::cli::add_cv_command(app);
  lwnet::cli::add_hsic_command(app);
  lwnet::cli::add_info_command(app);
  lwnet::cli::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "lwnet: error: out of host memory; use less data (or --memory-budget for the device's share) "
                 "or a machine with more memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "lwnet: error: " << e.what() << "\n";
    return exit_code(e);
  }
  return 0;
}
