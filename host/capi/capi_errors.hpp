// The C API's boundary (include/lwnet/lwnet.h): every entry point runs its body through guarded(),
// the one place where lwnet's exceptions become status codes and the thread's last-error message,
// so that no exception crosses into C (std::bad_alloc and foreign exceptions included).
#pragma once

#include <string>
#include <utility>

#include "lwnet/lwnet.h"

namespace lwnet::capi {

// Records the calling thread's message (what lwnet_last_error returns): "" for LWNET_OK. Never
// throws: when even the message cannot be stored, a fixed text stands in for it.
void set_last_error(const std::string& message) noexcept;
void clear_last_error() noexcept;

// The status of the exception being handled (call inside a catch block), with its message
// prefixed by `function`, recorded as the thread's last error.
lwnet_status translate_current_exception(const char* function) noexcept;

// Runs `body` (which returns nothing): LWNET_OK and an empty message when it returns, the
// translated status when it throws.
template <class Body>
lwnet_status guarded(const char* function, Body&& body) noexcept {
  try {
    std::forward<Body>(body)();
  } catch (...) {
    return translate_current_exception(function);
  }
  clear_last_error();
  return LWNET_OK;
}

// `pointer`, or InvalidArgument "<name> is NULL".
template <class T>
T& require(T* pointer, const char* name);

}  // namespace lwnet::capi

#include "lwnet/error.hpp"

namespace lwnet::capi {

template <class T>
T& require(T* pointer, const char* name) {
  if (pointer == nullptr) throw InvalidArgument(std::string(name) + " is NULL");
  return *pointer;
}

}  // namespace lwnet::capi
