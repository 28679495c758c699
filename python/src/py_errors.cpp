#include "py_errors.hpp"

#include <new>

#include "lwnet/error.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

// The classes, created once per process with the module (never freed: exception classes live as
// long as the interpreter).
struct ErrorClasses {
  PyObject* error = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* io_error = nullptr;
  PyObject* out_of_memory = nullptr;
  PyObject* unavailable = nullptr;
  PyObject* numerical_error = nullptr;
  PyObject* cuda_error = nullptr;
};
ErrorClasses classes;

PyObject* make_class(nb::module_& m, const char* name, PyObject* base, PyObject* python_base, const char* doc) {
  const std::string qualified = std::string("lwnet.") + name;
  nb::object bases = python_base == nullptr ? nb::make_tuple(nb::handle(base))
                                            : nb::make_tuple(nb::handle(base), nb::handle(python_base));
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(cls);
  return cls;
}

void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const PythonErrorPending&) {
    // The callback left its exception set: raise it as it is.
  } catch (const Cancelled& e) {
    PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
  } catch (const InvalidArgument& e) {
    PyErr_SetString(classes.invalid_argument, e.what());
  } catch (const IoError& e) {
    PyErr_SetString(classes.io_error, e.what());
  } catch (const OutOfMemory& e) {
    PyErr_SetString(classes.out_of_memory, e.what());
  } catch (const Unavailable& e) {
    PyErr_SetString(classes.unavailable, e.what());
  } catch (const NumericalError& e) {
    PyErr_SetString(classes.numerical_error, e.what());
  } catch (const CudaError& e) {
    PyErr_SetString(classes.cuda_error, e.what());
  } catch (const Error& e) {
    PyErr_SetString(classes.error, e.what());
  }
  // Anything else falls through to nanobind's own translations (std::bad_alloc: MemoryError, ...).
}

}  // namespace

void bind_errors(nb::module_& m) {
  classes.error = make_class(m, "Error", PyExc_RuntimeError, nullptr, "Base of every error lwnet raises.");
  classes.invalid_argument = make_class(m, "InvalidArgument", classes.error, PyExc_ValueError,
                                        "An argument lwnet refuses: shapes, values, options (also a ValueError).");
  classes.io_error = make_class(m, "IoError", classes.error, PyExc_OSError,
                                "Reading or writing a file failed, or its content is malformed (also an OSError).");
  classes.out_of_memory = make_class(m, "OutOfMemory", classes.error, PyExc_MemoryError,
                                     "Host or GPU memory ran out; the message says how much was asked for "
                                     "(also a MemoryError).");
  classes.unavailable = make_class(m, "Unavailable", classes.error, nullptr,
                                   "A requested facility is not available here (e.g. no usable GPU).");
  classes.numerical_error = make_class(m, "NumericalError", classes.error, nullptr,
                                       "A computation met a numerically impossible case or non-finite values.");
  classes.cuda_error = make_class(m, "CudaError", classes.error, nullptr, "A CUDA, cuBLAS or cuSOLVER call failed.");
  nb::register_exception_translator(translate);
}

}  // namespace lwnet::py
