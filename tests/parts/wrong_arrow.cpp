// Code that belongs to the core part but calls I/O, an arrow docs/DESIGN.md does not have. The
// test parts_wrong_arrow_fails_to_link links it as core's own code is checked (against nothing
// but core's declared parts) and expects the linker to name the missing symbol.
#include "lwnet/io.hpp"

namespace lwnet::detail {

std::size_t core_reads_a_file() { return static_cast<std::size_t>(read_csv("never-read.csv").values.rows()); }

}  // namespace lwnet::detail
