// lwnet's exceptions as Python exceptions (lwnet.Error and its subclasses), and the way a Python
// error raised inside a callback (while lwnet's C++ code runs) gets back to the caller.
#pragma once

#include <exception>

#include <nanobind/nanobind.h>

namespace lwnet::py {

// Thrown by a callback that left a Python exception set (the error indicator of this thread, set
// with the GIL held): the C++ code unwinds and the binding re-raises that exception unchanged.
class PythonErrorPending : public std::exception {
 public:
  const char* what() const noexcept override { return "a Python exception is pending"; }
};

// Creates lwnet.Error (a RuntimeError), InvalidArgument (also a ValueError), IoError (an OSError),
// OutOfMemory (a MemoryError), Unavailable, NumericalError and CudaError in `m`, and translates
// lwnet's C++ exceptions to them with lwnet's message; lwnet::Cancelled becomes KeyboardInterrupt.
void bind_errors(nanobind::module_& m);

}  // namespace lwnet::py
