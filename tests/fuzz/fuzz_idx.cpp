// Fuzz target: IDX files (MNIST format), raw or gzip-compressed, read as a table and as labels
// through the file reader that detects both. A matrix that loads has as many values as its
// header's dimensions say, all finite.
#include <cmath>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = lwnet::fuzz::write_scratch(data, size);
  try {
    const lwnet::Table t = lwnet::read_table(path);
    for (std::int64_t i = 0; i < t.X.size(); ++i)
      if (!std::isfinite(t.X.data()[i])) std::abort();
  } catch (const lwnet::Error&) {
  }
  try {
    lwnet::read_labels(path);
  } catch (const lwnet::Error&) {
  }
  return 0;
}
