// Table and JSON output of the variants harness.
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "lwnet/error.hpp"

namespace lwnet::bench {

double ResultRow::best_ms() const { return run_ms.empty() ? NAN : *std::min_element(run_ms.begin(), run_ms.end()); }

namespace {

double entries_per_s(const RunInfo& info, const ResultRow& row) {
  return row.timed() ? info.shape.entries() / (row.best_ms() * 1e-3) : NAN;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// JSON has no NaN or infinity: those become null.
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

// A table cell: printf-formatted, or "-" for a value that was not measured.
std::string cell(const char* format, double v) {
  if (std::isnan(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

}  // namespace

void print_table(std::FILE* out, const RunInfo& info, const std::vector<ResultRow>& rows) {
  const Shape& s = info.shape;
  std::fprintf(out, "\nout = K(Z, X) B  m=%lld n=%lld d=%lld c=%lld sigma=%.6g  on %s\n",
               static_cast<long long>(s.m), static_cast<long long>(s.n), static_cast<long long>(s.d),
               static_cast<long long>(s.c), s.sigma, info.device.c_str());
  std::fprintf(out, "ceilings: CUDA cores %.3g entries/s, TF32 bound %.3g entries/s; %lld Z rows validated\n\n",
               cuda_core_ceiling(s), tf32_bound(s), static_cast<long long>(info.check_rows));
  std::fprintf(out, "%-22s %-7s %12s %12s %9s %10s %-10s %8s %10s %10s\n", "variant", "status", "predicted ms",
               "measured ms", "meas/pred", "entries/s", "ceiling", "of ceil", "max |err|", "err bound");
  for (const ResultRow& r : rows) {
    const double best = r.best_ms();
    const double pred_ms = r.prediction.seconds * 1e3;
    const double rate = entries_per_s(info, r);
    std::fprintf(out, "%-22s %-7s %12s %12s %9s %10s %-10s %8s %10s %10s\n", r.variant.c_str(), r.status.c_str(),
                 cell("%.3f", pred_ms).c_str(), cell("%.3f", best).c_str(), cell("%.2f", best / pred_ms).c_str(),
                 cell("%.3g", rate).c_str(), to_string(r.ceiling_kind),
                 cell("%.1f%%", 100.0 * rate / r.ceiling_entries_per_s).c_str(),
                 cell("%.3g", r.validated ? r.accuracy.max_abs_error : NAN).c_str(),
                 cell("%.3g", r.validated ? r.accuracy.max_bound : NAN).c_str());
  }
  std::fprintf(out, "\n");
  for (const ResultRow& r : rows) {
    std::fprintf(out, "%s: predicted limit: %s", r.variant.c_str(), r.prediction.limit.c_str());
    if (!r.message.empty()) std::fprintf(out, "; %s: %s", r.status == "ok" ? "worst entry" : r.status.c_str(),
                                         r.message.c_str());
    std::fprintf(out, "\n");
  }
}

void write_json(const std::string& path, const RunInfo& info, const std::vector<ResultRow>& rows) {
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  const Shape& s = info.shape;
  f << "{\n  \"device\": " << json_string(info.device) << ",\n  \"command\": " << json_string(info.command)
    << ",\n  \"shape\": {\"m\": " << s.m << ", \"n\": " << s.n << ", \"d\": " << s.d << ", \"c\": " << s.c
    << ", \"sigma\": " << json_number(s.sigma) << "},\n  \"tiles\": {\"z_chunk\": " << info.tiles.z_chunk
    << ", \"x_tile\": " << info.tiles.x_tile << "},\n  \"check_rows\": " << info.check_rows
    << ",\n  \"seed\": " << info.seed << ",\n  \"ceilings_entries_per_s\": {\"cuda_cores\": "
    << json_number(cuda_core_ceiling(s)) << ", \"tf32\": " << json_number(tf32_bound(s)) << "},\n  \"rows\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ResultRow& r = rows[i];
    const double best = r.best_ms();
    const double pred_ms = r.prediction.seconds * 1e3;
    const double rate = entries_per_s(info, r);
    f << (i ? ",\n" : "\n") << "    {\"variant\": " << json_string(r.variant)
      << ", \"status\": " << json_string(r.status)
      << ", \"message\": " << json_string(r.message) << ", \"predicted_ms\": " << json_number(pred_ms)
      << ", \"predicted_limit\": " << json_string(r.prediction.limit) << ", \"measured_ms\": " << json_number(best)
      << ", \"measured_over_predicted\": " << json_number(best / pred_ms) << ", \"runs_ms\": [";
    for (std::size_t k = 0; k < r.run_ms.size(); ++k) f << (k ? ", " : "") << json_number(r.run_ms[k]);
    f << "], \"entries_per_s\": " << json_number(rate) << ", \"ceiling\": " << json_string(to_string(r.ceiling_kind))
      << ", \"ceiling_entries_per_s\": " << json_number(r.ceiling_entries_per_s)
      << ", \"fraction_of_ceiling\": " << json_number(rate / r.ceiling_entries_per_s)
      << ", \"validated\": " << (r.validated ? "true" : "false")
      << ", \"max_abs_error\": " << json_number(r.validated ? r.accuracy.max_abs_error : NAN)
      << ", \"max_error_bound\": " << json_number(r.validated ? r.accuracy.max_bound : NAN)
      << ", \"worst_error_over_bound\": " << json_number(r.validated ? r.accuracy.worst_ratio : NAN) << "}";
  }
  f << "\n  ]\n}\n";
  if (!f) throw IoError("writing " + path + " failed");
}

}  // namespace lwnet::bench
