// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes,
// a type code, the number of dimensions, each dimension as a big-endian 32-bit integer, then the
// values, big-endian.
#pragma once

#include <string>
#include <vector>

#include "lwnet/io.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::io {

// Two zero bytes, a known type code and a plausible header: CSV text never starts like this.
bool looks_like_idx(const std::string& bytes);
// (dim0, product of the other dims) as float32; IoError naming `source` when malformed.
Matrix<float> read_idx_matrix(const std::string& bytes, const std::string& source);
// The same as a Table whose sample_shape is the dimensions after the first.
Table read_idx_table(const std::string& bytes, const std::string& source);
// A one-dimensional integer IDX array as label text.
std::vector<std::string> read_idx_labels(const std::string& bytes, const std::string& source);

}  // namespace lwnet::io
