// The lwnet subcommands. Each add_* registers its options and a callback on the app; callbacks
// throw lwnet::Error on failure and main() turns that into one line and an exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace lwnet::cli {

void add_train_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_cv_command(CLI::App& app);
void add_align_score_command(CLI::App& app);
void add_hsic_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_version_command(CLI::App& app);

}  // namespace lwnet::cli
