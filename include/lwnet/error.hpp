// lwnet exception hierarchy. The library reports every failure by throwing one of these;
// it never prints, exits or aborts. The CLI and the C API turn them into exit/status codes.
#pragma once

#include "lwnet/export.h"

#include <stdexcept>
#include <string>

namespace lwnet {

// Base of every lwnet error.
class LWNET_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller passed something invalid: wrong shapes, empty or non-finite data, a bad option.
class LWNET_API InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A computation produced non-finite values or met a numerically impossible case
// (e.g. a Cholesky factor of a matrix that is not positive definite).
class LWNET_API NumericalError : public Error {
 public:
  using Error::Error;
};

// A CUDA, cuBLAS or cuSOLVER call failed.
class LWNET_API CudaError : public Error {
 public:
  using Error::Error;
};

// Memory ran out: a host allocation, or the GPU's memory (the message says which, how much was
// asked for and what to lower).
class LWNET_API OutOfMemory : public Error {
 public:
  using Error::Error;
};

// A requested facility is not available here (no GPU, CUDA not compiled in, ...).
class LWNET_API Unavailable : public Error {
 public:
  using Error::Error;
};

// The caller stopped the work (e.g. a progress callback threw it on Ctrl-C). Nothing half-done is
// left behind: no model is returned and no file is written.
class LWNET_API Cancelled : public Error {
 public:
  using Error::Error;
};

// Reading or writing a file failed, or a file's content is malformed.
class LWNET_API IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace lwnet
