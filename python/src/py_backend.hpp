// A backend as Python sees it: the backend lwnet chose for a device, why, and the lock that keeps
// it to one thread at a time (lwnet's rule, backend.hpp) while calls run without the GIL.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nanobind/nanobind.h>

#include "lwnet/backend.hpp"

namespace lwnet::py {

class PyBackend {
 public:
  explicit PyBackend(BackendChoice choice);
  // A backend on a stream of its own (the caller's CUDA stream): a lock of its own too.
  PyBackend(std::unique_ptr<Backend> backend, std::string reason);
  Backend& backend() { return *backend_; }
  const std::string& reason() const { return reason_; }
  // Held for the whole of each call. CUDA backends of one device share lwnet's stream, so they
  // share one lock; each CPU backend, and each backend on a caller's stream, has its own.
  std::mutex& queue_lock() { return *queue_lock_; }

 private:
  std::unique_ptr<Backend> backend_;
  std::string reason_;
  std::shared_ptr<std::mutex> queue_lock_;
};

// Releases the GIL, then takes the backend's lock (in this order: a thread waiting for the lock
// never holds the GIL another thread's callback needs).
class BackendCall {
 public:
  explicit BackendCall(PyBackend& backend) : lock_(backend.queue_lock()) {}

 private:
  nanobind::gil_scoped_release release_;
  std::lock_guard<std::mutex> lock_;
};

void bind_backend(nanobind::module_& m);

}  // namespace lwnet::py
