// _lwnet: lwnet's C++ API for Python (the package python/lwnet wraps it; call that, not this).
#include <nanobind/nanobind.h>

#include "py_backend.hpp"
#include "py_bindings.hpp"
#include "py_errors.hpp"

NB_MODULE(_lwnet, m) {
  m.doc() = "lwnet's C++ API (internal: use the lwnet package)";
  lwnet::py::bind_errors(m);
  lwnet::py::bind_backend(m);
  lwnet::py::bind_kernels(m);
  lwnet::py::bind_kme(m);
  lwnet::py::bind_net(m);
  lwnet::py::bind_align(m);
}
