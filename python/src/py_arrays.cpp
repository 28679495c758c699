#include "py_arrays.hpp"

#include <memory>
#include <string>
#include <utility>

#include "lwnet/error.hpp"

namespace nb = nanobind;

namespace lwnet::py {

namespace {

std::string device_text(int device_type, int device_id) {
  if (device_type == nb::device::cpu::value) return "host";
  if (device_type == nb::device::cuda::value) return "cuda:" + std::to_string(device_id);
  return "device type " + std::to_string(device_type) + " (" + std::to_string(device_id) + ")";
}

template <class Owned>
nb::capsule owner_of(Owned* owned) {
  return nb::capsule(owned, [](void* p) noexcept { delete static_cast<Owned*>(p); });
}

}  // namespace

MatrixView<const float> view_of(const InputArray& array, const char* name, const Backend& backend) {
  const std::int64_t rows = static_cast<std::int64_t>(array.shape(0));
  const std::int64_t cols = static_cast<std::int64_t>(array.shape(1));
  const std::int64_t row_stride = array.stride(0);
  const std::int64_t col_stride = array.stride(1);
  const std::string what = std::string(name) + " (" + std::to_string(rows) + "x" + std::to_string(cols) + ")";
  // A row's values must be adjacent and rows evenly spaced at least a row apart (lwnet's row-major
  // views with a leading dimension); lwnet/_arrays.py copies other layouts before calling here.
  if (cols > 1 && col_stride != 1)
    throw InvalidArgument(what + ": column stride " + std::to_string(col_stride) + " elements; lwnet reads rows "
                          "of adjacent values (use numpy.ascontiguousarray)");
  if (rows > 1 && row_stride < cols)
    throw InvalidArgument(what + ": row stride " + std::to_string(row_stride) + " elements is below the " +
                          std::to_string(cols) + " columns (negative or overlapping rows; use numpy.ascontiguousarray)");
  const std::int64_t ld = rows > 1 ? row_stride : cols;
  const int type = array.device_type();
  const int id = array.device_id();
  const Device on = backend.device();
  if (type == nb::device::cpu::value) {
    return MatrixView<const float>(array.data(), rows, cols, ld, MemorySpace::host, 0);
  }
  if (type == nb::device::cuda::value) {
    if (on.kind != Device::Kind::cuda || on.index != id)
      throw InvalidArgument(what + " is a CUDA array on " + device_text(type, id) + ", but this call runs on " +
                            on.str() + ": pass device='" + device_text(type, id) + "', or copy the array to the host");
    return MatrixView<const float>(array.data(), rows, cols, ld, MemorySpace::cuda, id);
  }
  throw InvalidArgument(what + " lives on " + device_text(type, id) +
                        ", which lwnet cannot read: pass host (numpy) or CUDA arrays");
}

Labels labels_of(const LabelArray& labels, int num_classes, std::int64_t rows, const char* name) {
  Labels out;
  out.y.assign(labels.data(), labels.data() + labels.shape(0));
  out.num_classes = num_classes;
  out.validate(rows, name);
  return out;
}

PlacedInput PlacedInput::on_backend(Backend& backend, MatrixView<const float> caller) {
  PlacedInput in;
  in.view_ = caller;
  if (caller.space() != backend.memory_space()) {
    in.copy_ = backend.allocate<float>(caller.rows(), caller.cols());
    backend.copy(caller, in.copy_.view());
    in.view_ = in.copy_.cview();
  }
  return in;
}

PlacedInput PlacedInput::on_host(Backend& backend, MatrixView<const float> caller) {
  PlacedInput in;
  in.view_ = caller;
  if (caller.space() != MemorySpace::host) {
    in.copy_ = backend.download(caller);
    in.view_ = in.copy_.cview();
  }
  return in;
}

nb::object to_python(Matrix<float>&& matrix) {
  auto* owned = new Matrix<float>(std::move(matrix));
  nb::capsule owner = owner_of(owned);
  const std::size_t shape[2] = {static_cast<std::size_t>(owned->rows()), static_cast<std::size_t>(owned->cols())};
  if (owned->space() == MemorySpace::host)
    return nb::cast(nb::ndarray<nb::numpy, float, nb::ndim<2>>(owned->data(), 2, shape, owner));
  return nb::cast(nb::ndarray<float, nb::ndim<2>>(owned->data(), 2, shape, owner, nullptr, nb::dtype<float>(),
                                                  nb::device::cuda::value, owned->device()));
}

nb::object to_python(std::vector<int>&& values) {
  auto* owned = new std::vector<int>(std::move(values));
  nb::capsule owner = owner_of(owned);
  const std::size_t shape[1] = {owned->size()};
  return nb::cast(nb::ndarray<nb::numpy, int, nb::ndim<1>>(owned->data(), 1, shape, owner));
}

}  // namespace lwnet::py
