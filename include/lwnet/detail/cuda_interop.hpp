// The untyped forms of lwnet/cuda.hpp's functions: streams and events as void*, so that
// lwnet::lwnet, which defines them, needs no CUDA header (host/select/backend_factory.cpp).
// Include lwnet/cuda.hpp instead; these are not part of the API.
#pragma once

#include "lwnet/export.h"

#include <memory>

#include "lwnet/backend.hpp"

namespace lwnet::detail {

LWNET_API std::unique_ptr<Backend> make_cuda_backend_on_stream(int device, void* stream);
LWNET_API void* cuda_stream_of(Backend& backend);
LWNET_API void* cuda_event_of(const Event& event);

}  // namespace lwnet::detail
