// lwnet_version: the run-time version string (lwnet::version()), kept in static storage.
#include <string>

#include "lwnet/lwnet.h"
#include "lwnet/version.hpp"

extern "C" const char* lwnet_version(void) {
  try {
    static const std::string text = lwnet::version();
    return text.c_str();
  } catch (...) {  // no memory for the copy: a literal rather than an exception into C
    return "unknown";
  }
}
