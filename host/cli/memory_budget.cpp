#include "cli/memory_budget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

#include "lwnet/error.hpp"
#include "lwnet/stream.hpp"

namespace lwnet::cli {

std::size_t parse_memory_budget(const std::string& text, const Backend& backend) {
  if (text == "auto") {
    const std::size_t budget = default_memory_budget(backend);
    if (budget == 0)
      throw InvalidArgument("--memory-budget auto: " + backend.description() + " does not report its free memory; give a size");
    return budget;
  }
  std::size_t pos = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  double scale = 1.0;
  const std::string suffix = text.substr(pos);
  if (suffix == "K" || suffix == "KiB") scale = 1024.0;
  else if (suffix == "M" || suffix == "MiB") scale = 1024.0 * 1024.0;
  else if (suffix == "G" || suffix == "GiB") scale = 1024.0 * 1024.0 * 1024.0;
  else if (!suffix.empty()) pos = 0;
  if (pos == 0 || !(value >= 1.0) || !std::isfinite(value) || value * scale > 9.0e18)
    throw InvalidArgument("--memory-budget: expected auto or a positive size such as 512M or 2G, got '" + text + "'");
  return static_cast<std::size_t>(value * scale);
}

void check_chunk_rows(std::int64_t n, std::int64_t d, std::int64_t c, std::size_t budget) {
  const std::int64_t wanted = std::min(n, kMinChunkRows);
  const StreamPlan plan = plan_streamed_kernel_matmul(n, n, d, c, budget, true);
  if (plan.z_rows >= wanted) return;
  // The smallest budget that holds `wanted` rows: double past it, then bisect.
  std::size_t too_small = budget;
  std::size_t enough = budget * 2;
  while (plan_streamed_kernel_matmul(n, n, d, c, enough, true).z_rows < wanted) too_small = enough, enough *= 2;
  while (enough - too_small > 1) {
    const std::size_t middle = too_small + (enough - too_small) / 2;
    (plan_streamed_kernel_matmul(n, n, d, c, middle, true).z_rows < wanted ? too_small : enough) = middle;
  }
  throw InvalidArgument("--memory-budget " + format_bytes(budget) + " allows chunks of only " +
                        std::to_string(plan.z_rows) + " row" + (plan.z_rows == 1 ? "" : "s") + " (" +
                        std::to_string(plan.z_chunks * plan.x_chunks) +
                        " chunk pairs per product, each with a fixed cost): give at least " + std::to_string(enough) +
                        " bytes (" + format_bytes(enough) + "), which hold " + std::to_string(wanted) + " rows");
}

void stream_fit_when_needed(BackendChoice& choice, const std::string& budget_text, std::int64_t n, std::int64_t d,
                            std::int64_t c) {
  const bool automatic = budget_text == "auto";
  if (automatic && choice.backend->memory_space() == MemorySpace::host) return;
  const std::size_t budget = parse_memory_budget(budget_text, *choice.backend);
  const std::size_t needed = resident_fit_bytes(n, d, c);
  if (needed <= budget) return;
  // The widest product of a fit: a layer input of max(d, 2c) columns times 2c weight columns.
  check_chunk_rows(n, std::max(d, 2 * c), 2 * c, budget);
  choice.reason += "; the fit needs up to " + format_bytes(needed) + " of " + choice.backend->device().str() +
                   " memory, more than the " + (automatic ? "default " : "") + "--memory-budget of " +
                   format_bytes(budget) + ": the data stay in host memory and stream through it in chunks";
  choice.backend = make_streaming_backend(std::move(choice.backend), budget);
}

}  // namespace lwnet::cli
