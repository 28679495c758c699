// Argument checks shared by the Backend front end and the ops. Each failure throws
// InvalidArgument with a message that names the operation, the argument and the shapes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "lwnet/error.hpp"
#include "lwnet/matrix.hpp"

namespace lwnet::detail {

// A named view, for messages: {"Z", describe(Z)}.
struct NamedShape {
  const char* name;
  std::string shape;
};

template <class T>
NamedShape named(const char* name, const MatrixView<T>& m) {
  return {name, describe(m)};
}

// "(Z 3x2, X 6x2, out 3x6)"
std::string shapes_suffix(std::initializer_list<NamedShape> shapes);

[[noreturn]] void fail(const char* op, const std::string& what,
                       std::initializer_list<NamedShape> shapes = {});

// Structural checks on one view: one matrix (not a batch), non-null data, ld >= cols,
// non-negative sizes. Every operation's per-view check starts here, so an operation that takes
// one matrix refuses a batched view (MatrixView::batched) instead of reading its first entry only;
// the batched operations check each entry with m.batch(0).
template <class T>
void check_layout(const char* op, const char* name, const MatrixView<T>& m) {
  if (m.batch_count() != 1)
    fail(op,
         std::string(name) + " is a batch of " + std::to_string(m.batch_count()) +
             " matrices but this operation takes one matrix (pass one entry, " + name + ".batch(b))",
         {named(name, m)});
  if (m.rows() < 0 || m.cols() < 0) fail(op, std::string(name) + " has a negative extent", {named(name, m)});
  if (m.ld() < m.cols() && m.rows() > 1)
    fail(op, std::string(name) + " has leading dimension " + std::to_string(m.ld()) + " < cols " +
                 std::to_string(m.cols()),
         {named(name, m)});
  if (!m.empty() && m.data() == nullptr) fail(op, std::string(name) + " has no data", {named(name, m)});
}

template <class T>
void check_nonempty(const char* op, const char* name, const MatrixView<T>& m) {
  check_layout(op, name, m);
  if (m.empty()) fail(op, std::string(name) + " is empty", {named(name, m)});
}

// Elements from a view's first element to its last, inclusive, of one batch entry: (rows - 1) * ld + cols.
template <class T>
std::int64_t element_extent(const MatrixView<T>& m) {
  return m.empty() ? 0 : (m.rows() - 1) * m.ld() + m.cols();
}

// The byte range [first, last) a view touches; of a batch, from its first entry's first element to
// its last entry's last (the caller has checked count >= 1, stride >= 0 and that this span fits
// in 64 bits, as the batched operations do before comparing ranges).
template <class T>
std::pair<std::uintptr_t, std::uintptr_t> byte_range(const MatrixView<T>& m) {
  const auto first = reinterpret_cast<std::uintptr_t>(m.data());
  if (m.empty()) return {first, first};
  const auto elems = (m.batch_count() - 1) * m.batch_stride() + element_extent(m);
  return {first, first + static_cast<std::uintptr_t>(elems) * sizeof(T)};
}

// Outputs must not share memory with inputs (conservative: compares the address ranges, so two
// interleaved batches count as overlapping).
template <class T, class U>
void check_no_overlap(const char* op, const char* out_name, const MatrixView<T>& out,
                      const char* in_name, const MatrixView<U>& in) {
  if (out.empty() || in.empty() || out.space() != in.space()) return;
  const auto a = byte_range(out);
  const auto b = byte_range(in);
  if (a.first < b.second && b.first < a.second)
    fail(op, std::string(out_name) + " overlaps " + in_name, {named(out_name, out), named(in_name, in)});
}

}  // namespace lwnet::detail
