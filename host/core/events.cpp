// Backend::record_event / wait and Event (lwnet/backend.hpp, "queue and events"). The defaults
// wait on the host, which is right for every backend; a backend with an asynchronous queue (CUDA)
// overrides them to order its queue without blocking.
#include <utility>

#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"

namespace lwnet {

Event::Event(Device device, std::shared_ptr<void> handle, void (*host_wait)(void* handle))
    : device_(device), handle_(std::move(handle)), host_wait_(host_wait) {
  // Without it, synchronize() and the default Backend::wait would return before the work is done.
  if (handle_ != nullptr && host_wait_ == nullptr)
    throw InvalidArgument("Event: a native event needs a host_wait function");
}

void Event::synchronize() const {
  if (handle_ != nullptr && host_wait_ != nullptr) host_wait_(handle_.get());
}

Event Backend::record_event() { return record_event_impl(); }

void Backend::wait(const Event& event) {
  if (!event.empty()) wait_impl(event);
}

Event Backend::record_event_impl() {
  synchronize();
  return Event();
}

void Backend::wait_impl(const Event& event) { event.synchronize(); }

}  // namespace lwnet
