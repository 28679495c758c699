// Loading a labelled dataset for the CLI: files given on the command line, or the UCI Wine data
// embedded in the binary.
#pragma once

#include <string>
#include <string_view>

#include "lwnet/io.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::cli {

extern const std::string_view kWineCsv;
extern const std::string_view kWineLabels;

struct Dataset {
  std::string name;  // "UCI Wine (embedded)" or the feature file's path
  Matrix<float> X;   // (n, d) host
  LabelEncoding labels;
};

// Both paths empty: the embedded wine data. Throws IoError / InvalidArgument naming the file.
Dataset load_dataset(const std::string& features_path, const std::string& labels_path);

}  // namespace lwnet::cli
