#include "py_backend.hpp"

#include <cstdint>
#include <map>
#include <utility>

#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "lwnet/detail/cuda_interop.hpp"
#include "lwnet/device.hpp"
#include "lwnet/version.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

std::shared_ptr<std::mutex> lock_for(const Device& device) {
  if (device.kind != Device::Kind::cuda) return std::make_shared<std::mutex>();
  static std::mutex table_lock;
  static std::map<int, std::shared_ptr<std::mutex>> cuda_locks;
  const std::lock_guard<std::mutex> guard(table_lock);
  std::shared_ptr<std::mutex>& lock = cuda_locks[device.index];
  if (!lock) lock = std::make_shared<std::mutex>();
  return lock;
}

nb::dict probe_dict() {
  CudaProbe probe;
  {
    const nb::gil_scoped_release release;  // may open the CUDA module and initialise the driver
    probe = probe_cuda();
  }
  nb::dict d;
  d["compiled"] = probe.compiled;
  d["usable"] = probe.usable();
  d["device_count"] = probe.device_count;
  d["names"] = probe.names;
  d["runtime_version"] = probe.runtime_version;
  d["reason"] = probe.reason;
  return d;
}

}  // namespace

PyBackend::PyBackend(BackendChoice choice)
    : backend_(std::move(choice.backend)), reason_(std::move(choice.reason)),
      queue_lock_(lock_for(backend_->device())) {}

PyBackend::PyBackend(std::unique_ptr<Backend> backend, std::string reason)
    : backend_(std::move(backend)), reason_(std::move(reason)), queue_lock_(std::make_shared<std::mutex>()) {}

void bind_backend(nb::module_& m) {
  nb::class_<PyBackend>(m, "Backend", "The device a computation runs on (lwnet.backend(device) makes one).")
      .def_prop_ro("device", [](PyBackend& b) { return b.backend().device().str(); })
      .def_prop_ro("description", [](PyBackend& b) { return b.backend().description(); })
      .def_prop_ro("reason", &PyBackend::reason, "Why this device was chosen (for 'auto').")
      .def_prop_ro(
          "stream",
          [](PyBackend& b) { return reinterpret_cast<std::uintptr_t>(detail::cuda_stream_of(b.backend())); },
          "The CUDA stream (cudaStream_t as an int) a CUDA backend queues its work on.")
      .def("__repr__", [](PyBackend& b) { return "<lwnet.Backend " + b.backend().description() + ">"; });

  m.def(
      "select_backend",
      [](const std::string& device) {
        const Device parsed = Device::parse(device);
        BackendChoice choice;
        {
          const nb::gil_scoped_release release;
          choice = select_backend(parsed);
        }
        return std::make_unique<PyBackend>(std::move(choice));
      },
      nb::arg("device"));
  m.def(
      "cuda_backend_on_stream",
      [](int device, std::uintptr_t stream) {
        std::unique_ptr<Backend> b;
        {
          const nb::gil_scoped_release release;
          b = detail::make_cuda_backend_on_stream(device, reinterpret_cast<void*>(stream));
        }
        return std::make_unique<PyBackend>(std::move(b), "cuda:" + std::to_string(device) + " on the caller's stream");
      },
      nb::arg("device"), nb::arg("stream"));
  m.def("probe_cuda", &probe_dict);
  m.def("version", &version);
  m.def("blas_vendor", &blas_vendor);
}

}  // namespace lwnet::py
