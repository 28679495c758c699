// The variants' results: one row per variant, printed as a table and saved as JSON with the
// device name and the command line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "accuracy.hpp"
#include "model.hpp"
#include "variant.hpp"

namespace lwnet::bench {

struct RunInfo {
  std::string device;   // the probe's name for device 0
  std::string command;  // the command line, as given
  Shape shape;
  TileSizes tiles;
  std::int64_t check_rows = 0;  // Z rows validated
  std::uint64_t seed = 0;
};

struct ResultRow {
  std::string variant;
  std::string status = "error";  // "ok", "FAILED" (outside its error bound: not timed) or "error"
  std::string message;           // the worst entry, or the exception's text
  Prediction prediction;
  CeilingKind ceiling_kind = CeilingKind::cuda_cores;
  double ceiling_entries_per_s = 0.0;
  bool validated = false;  // a comparison was made (accuracy holds it)
  Comparison accuracy;
  std::vector<double> run_ms;  // each timed run; the best is reported

  bool timed() const { return !run_ms.empty(); }
  double best_ms() const;
};

void print_table(std::FILE* out, const RunInfo& info, const std::vector<ResultRow>& rows);
// Throws IoError when the file cannot be written.
void write_json(const std::string& path, const RunInfo& info, const std::vector<ResultRow>& rows);

}  // namespace lwnet::bench
