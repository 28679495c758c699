// lwnet command-line entry point. Exit codes: 0 success; 2 bad input (options, files, data);
// 3 the requested device is unavailable; 130 stopped by Ctrl-C or SIGTERM; 1 any other failure.
// Every failure is one line on stderr, "lwnet: error: ...", CLI11's own parse errors included.
#include <CLI/CLI.hpp>

#include <iostream>
#include <new>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/usage.hpp"
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
  // First of all, so that a signal during start-up is handled too (exit 130 and a line).
  lwnet::cli::install_signal_handlers();
  CLI::App app{"lwnet " + lwnet::version() +
               ": layer-wise neural networks (closed-form kernel-mean-embedding layers) and trained networks on GPU "
               "and CPU"};
  app.set_version_flag("--version", lwnet::version());  // the bare number, for scripts (as `lwnet version`)
  app.require_subcommand(1);
  lwnet::cli::add_train_command(app);
  lwnet::cli::add_predict_command(app);
  lwnet::cli::add_eval_command(app);
  lwnet::cli::add_cv_command(app);
  lwnet::cli::add_align_score_command(app);
  lwnet::cli::add_hsic_command(app);
  lwnet::cli::add_info_command(app);
  lwnet::cli::add_bench_command(app);
  lwnet::cli::add_version_command(app);
  try {
    lwnet::cli::check_command_name(app, argc, argv);
    app.parse(argc, argv);
    lwnet::cli::stop_if_interrupted("when the command had finished: its output is complete");
    lwnet::cli::check_stdout_written();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    lwnet::cli::print_error(lwnet::cli::parse_error_message(app, argc, argv, e));
    return 2;
  } catch (const std::bad_alloc&) {
    lwnet::cli::print_error("out of host memory; use less data (or --memory-budget for the device's share) "
                            "or a machine with more memory");
    return 1;
  } catch (const std::exception& e) {
    lwnet::cli::print_error(e.what());
    return exit_code(e);
  }
  return 0;
}
