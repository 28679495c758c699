// Status codes and the per-thread last error of the C API. Each lwnet exception type has its
// status (lwnet.h documents the table). lwnet::Error itself, which lwnet throws for faults of its
// own (a LAPACK argument rejected), is LWNET_INTERNAL_ERROR; so, for now, is the CPU backend's
// "allocate: out of host memory", which is thrown as a plain lwnet::Error too.
#include "capi/capi_errors.hpp"

#include <exception>
#include <new>

#include "lwnet/error.hpp"

namespace lwnet::capi {

namespace {

thread_local std::string t_message;
thread_local const char* t_current = "";

// The message could not be stored (no memory for the string itself).
constexpr const char* kUnrecordable = "lwnet: out of host memory while recording the error message";

lwnet_status fail(lwnet_status status, const char* function, const char* what) noexcept {
  try {
    set_last_error(std::string(function) + ": " + what);
  } catch (...) {
    t_current = kUnrecordable;
  }
  return status;
}

}  // namespace

void set_last_error(const std::string& message) noexcept {
  try {
    t_message = message;
    t_current = t_message.c_str();
  } catch (...) {
    t_current = kUnrecordable;
  }
}

void clear_last_error() noexcept {
  t_message.clear();  // keeps the capacity: no allocation, cannot throw
  t_current = "";
}

lwnet_status translate_current_exception(const char* function) noexcept {
  try {
    throw;
  } catch (const InvalidArgument& e) {
    return fail(LWNET_INVALID_ARGUMENT, function, e.what());
  } catch (const IoError& e) {
    return fail(LWNET_IO_ERROR, function, e.what());
  } catch (const NumericalError& e) {
    return fail(LWNET_NUMERICAL_ERROR, function, e.what());
  } catch (const CudaError& e) {
    return fail(LWNET_CUDA_ERROR, function, e.what());
  } catch (const Unavailable& e) {
    return fail(LWNET_UNAVAILABLE, function, e.what());
  } catch (const Cancelled& e) {
    return fail(LWNET_CANCELLED, function, e.what());
  } catch (const OutOfMemory& e) {
    return fail(LWNET_OUT_OF_MEMORY, function, e.what());
  } catch (const Error& e) {
    return fail(LWNET_INTERNAL_ERROR, function, e.what());
  } catch (const std::bad_alloc&) {
    return fail(LWNET_OUT_OF_MEMORY, function, "out of host memory");
  } catch (const std::exception& e) {
    return fail(LWNET_INTERNAL_ERROR, function, e.what());
  } catch (...) {
    return fail(LWNET_INTERNAL_ERROR, function, "an exception that is not a std::exception");
  }
}

}  // namespace lwnet::capi

extern "C" {

const char* lwnet_last_error(void) { return lwnet::capi::t_current; }

const char* lwnet_status_string(lwnet_status status) {
  switch (status) {
    case LWNET_OK: return "LWNET_OK";
    case LWNET_INVALID_ARGUMENT: return "LWNET_INVALID_ARGUMENT";
    case LWNET_IO_ERROR: return "LWNET_IO_ERROR";
    case LWNET_NUMERICAL_ERROR: return "LWNET_NUMERICAL_ERROR";
    case LWNET_CUDA_ERROR: return "LWNET_CUDA_ERROR";
    case LWNET_UNAVAILABLE: return "LWNET_UNAVAILABLE";
    case LWNET_CANCELLED: return "LWNET_CANCELLED";
    case LWNET_OUT_OF_MEMORY: return "LWNET_OUT_OF_MEMORY";
    case LWNET_INTERNAL_ERROR: return "LWNET_INTERNAL_ERROR";
  }
  return "unknown status";
}

}  // extern "C"
