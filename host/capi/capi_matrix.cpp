// Checks of the caller's matrix views and the copies that put them where a call computes.
#include "capi/capi_matrix.hpp"

#include <limits>
#include <string>

#include "lwnet/error.hpp"

namespace lwnet::capi {

namespace {

[[noreturn]] void bad_view(const char* name, const std::string& what) {
  throw InvalidArgument(std::string(name) + ": " + what);
}

std::string memory_name(const lwnet_matrix& m) {
  return m.memory == LWNET_MEMORY_HOST ? std::string("host") : "cuda:" + std::to_string(m.device);
}

}  // namespace

MatrixView<float> float_view(const lwnet_matrix* m, const char* name, const Backend& backend) {
  if (m == nullptr) bad_view(name, "the view is NULL");
  if (m->dtype != LWNET_FLOAT32)
    bad_view(name, m->dtype == LWNET_FLOAT64 ? "float64 given, float32 needed (lwnet computes in float32; convert first)"
             : m->dtype == LWNET_INT32       ? "int32 given, float32 needed"
                                             : "unknown dtype " + std::to_string(static_cast<int>(m->dtype)));
  if (m->rows < 0 || m->cols < 0)
    bad_view(name, "negative size " + std::to_string(m->rows) + "x" + std::to_string(m->cols));
  if (m->ld < m->cols)
    bad_view(name, "leading dimension " + std::to_string(m->ld) + " is less than its " + std::to_string(m->cols) +
                       " columns");
  if (m->data == nullptr) bad_view(name, "data is NULL");
  // The last element, (rows - 1) * ld + cols - 1, and its byte offset must be representable.
  const std::int64_t max_elements = std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(sizeof(float));
  if (m->rows > 1 && m->ld > (max_elements - m->cols) / (m->rows - 1))
    bad_view(name, std::to_string(m->rows) + " rows of leading dimension " + std::to_string(m->ld) +
                       " exceed the address space");
  MemorySpace space = MemorySpace::host;
  if (m->memory == LWNET_MEMORY_CUDA) {
    space = MemorySpace::cuda;
    const Device device = backend.device();
    if (backend.memory_space() != MemorySpace::cuda || device.index != m->device)
      bad_view(name, memory_name(*m) + " memory, which the " + device.str() +
                         " backend cannot use (it takes host memory" +
                         (backend.memory_space() == MemorySpace::cuda ? " or its own device's)" : ")"));
  } else if (m->memory != LWNET_MEMORY_HOST) {
    bad_view(name, "unknown memory " + std::to_string(static_cast<int>(m->memory)));
  } else if (m->device != 0) {
    bad_view(name, "host memory with device " + std::to_string(m->device) + " (0 expected)");
  }
  return MatrixView<float>(static_cast<float*>(m->data), m->rows, m->cols, m->ld, space,
                           space == MemorySpace::cuda ? m->device : 0);
}

bool same_view(const lwnet_matrix* a, const lwnet_matrix* b) {
  return a != nullptr && b != nullptr && a->data == b->data && a->rows == b->rows && a->cols == b->cols &&
         a->ld == b->ld && a->dtype == b->dtype && a->memory == b->memory && a->device == b->device;
}

BackendInput::BackendInput(Backend& backend, MatrixView<const float> caller) : view_(caller) {
  if (caller.space() != backend.memory_space()) {  // a host view for a device backend
    copy_ = backend.upload(caller);
    view_ = copy_.cview();
  }
}

HostInput::HostInput(Backend& backend, MatrixView<const float> caller) : view_(caller) {
  if (caller.space() != MemorySpace::host) {  // the backend's own device (float_view checked it)
    copy_ = backend.download(caller);
    view_ = copy_.cview();
  }
}

BackendOutput::BackendOutput(Backend& backend, MatrixView<float> caller) : backend_(backend), caller_(caller) {
  if (caller.space() != backend.memory_space()) {
    staging_ = backend.allocate<float>(caller.rows(), caller.cols());
    staged_ = true;
  }
}

void BackendOutput::finish() {
  if (staged_) backend_.copy(staging_.cview(), caller_);
  backend_.synchronize();
}

void require_shape(MatrixView<const float> out, const char* name, std::int64_t rows, std::int64_t cols,
                   const char* what) {
  if (out.rows() != rows || out.cols() != cols)
    throw InvalidArgument(std::string(name) + ": must be " + std::to_string(rows) + "x" + std::to_string(cols) + " (" +
                          what + "), got " + std::to_string(out.rows()) + "x" + std::to_string(out.cols()));
}

std::vector<int> copy_labels(const std::int32_t* labels, std::int64_t count, std::int64_t rows) {
  if (labels == nullptr) throw InvalidArgument("labels is NULL");
  if (count != rows)
    throw InvalidArgument("labels: " + std::to_string(count) + " labels for the " + std::to_string(rows) +
                          " rows of X");
  return std::vector<int>(labels, labels + count);
}

}  // namespace lwnet::capi
