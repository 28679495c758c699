// Command-line mistakes as one clear line: an unknown or missing command (with the nearest
// known name), and CLI11's parse errors, whose own text can span lines and ends in a second
// "Run with --help" line.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace lwnet::cli {

// InvalidArgument when argv names no command, or an unknown one ("did you mean 'train'?").
void check_command_name(const CLI::App& app, int argc, const char* const* argv);

// One line for a CLI11 parse error, with where to look for the options.
std::string parse_error_message(const CLI::App& app, int argc, const char* const* argv, const CLI::ParseError& e);

// IoError when what the command printed could not all be written (a full disk behind `>`, a
// closed pipe that ignores SIGPIPE): a result must not be lost with exit code 0.
void check_stdout_written();

// "lwnet: error: TEXT" on stderr, TEXT on one line (line breaks become "; ").
void print_error(const std::string& text);

}  // namespace lwnet::cli
