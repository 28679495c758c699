#include "cli/usage.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "lwnet/error.hpp"

namespace lwnet::cli {

namespace {

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// Levenshtein distance: the number of single-letter edits from a to b.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The command argv names, when its first argument is one (options of lwnet itself come first).
std::string command_of(const CLI::App& app, int argc, const char* const* argv) {
  const std::vector<std::string> names = command_names(app);
  for (int i = 1; i < argc; ++i)
    if (std::find(names.begin(), names.end(), argv[i]) != names.end()) return argv[i];
  return "";
}

}  // namespace

void check_command_name(const CLI::App& app, int argc, const char* const* argv) {
  const std::vector<std::string> names = command_names(app);
  if (argc < 2)
    throw InvalidArgument("no command given: expected one of " + joined(names) + " (lwnet --help describes them)");
  const std::string first = argv[1];
  if (first.empty() || first[0] == '-') return;  // --help, --version, or an option CLI11 reports
  if (std::find(names.begin(), names.end(), first) != names.end()) return;
  std::string nearest;
  std::size_t best = first.size();  // a suggestion must share something with what was typed
  for (const std::string& name : names) {
    const std::size_t distance = edit_distance(first, name);
    if (distance < best && distance <= std::max<std::size_t>(2, name.size() / 3)) best = distance, nearest = name;
  }
  throw InvalidArgument("unknown command '" + first + "'" + (nearest.empty() ? "" : "; did you mean '" + nearest + "'?") +
                        " (commands: " + joined(names) + "; lwnet --help describes them)");
}

std::string parse_error_message(const CLI::App& app, int argc, const char* const* argv, const CLI::ParseError& e) {
  std::string text = e.what();
  if (text.empty()) text = e.get_name();
  const std::string command = command_of(app, argc, argv);
  if (command.empty()) return text + " (lwnet --help lists the commands)";
  return command + ": " + text + " (lwnet " + command + " --help lists its options)";
}

void check_stdout_written() {
  errno = 0;  // before the first flush: a failing write sets it there
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  if (!flushed || std::ferror(stdout) || !std::cout)
    throw IoError(std::string("standard output: the results could not all be written (") +
                  (errno != 0 ? std::strerror(errno) : "a write failed: a full disk?") + ")");
}

void print_error(const std::string& text) {
  std::string line;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] != '\n') {
      line += text[i];
    } else if (i + 1 < text.size()) {
      line += "; ";
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr, "lwnet: error: %s\n", line.c_str());
}

}  // namespace lwnet::cli
