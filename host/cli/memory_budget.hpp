// --memory-budget: how much backend memory a command may hold at once, and the streaming backend
// a fit switches to when its data need more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lwnet/backend.hpp"

namespace lwnet::cli {

// "auto" (80% of the backend's free memory) or a size such as 512M or 2G (powers of 1024).
// InvalidArgument for anything else, or for auto on a backend that cannot tell its free memory.
std::size_t parse_memory_budget(const std::string& text, const Backend& backend);

// A streamed K.B product (m = n rows, d features, c columns) must move chunks of at least
// kMinChunkRows rows (or all n): each chunk pair has a fixed cost, and a budget of a few bytes
// per row would turn a product into millions of pairs that never finish. InvalidArgument naming
// --memory-budget and a budget that would do, otherwise.
constexpr std::int64_t kMinChunkRows = 32;
void check_chunk_rows(std::int64_t n, std::int64_t d, std::int64_t c, std::size_t budget);

// Keeps `choice` when a fit on n x d data with c classes fits the budget; otherwise replaces its
// backend by a streaming one (data in host memory, products in chunks within the budget) and
// appends why to choice.reason. With "auto" the CPU backend is kept: its data already are in host
// memory.
void stream_fit_when_needed(BackendChoice& choice, const std::string& budget_text, std::int64_t n, std::int64_t d,
                            std::int64_t c);

}  // namespace lwnet::cli
