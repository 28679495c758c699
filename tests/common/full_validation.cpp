// The test binaries run every Backend call at Validation::full (value scans, pointer queries), as a
// debug build does, unless LWNET_VALIDATION is set explicitly: the bad-input tests exercise the
// value checks. Runs before main(), so before any backend reads the default.
#include <cstdlib>

namespace {
const bool kFullValidation = [] {
  setenv("LWNET_VALIDATION", "full", /*overwrite=*/0);
  return true;
}();
}  // namespace
