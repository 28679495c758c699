// Working with the caller's own CUDA code: a CUDA backend that queues its work on the caller's
// stream, and the CUDA stream and events behind lwnet's queues (lwnet/backend.hpp, "queue and
// events").
//
// The one lwnet header that includes <cuda_runtime.h>: lwnet/lwnet.hpp does not include it, so
// code that does not use it needs no CUDA header. Put the CUDA toolkit's headers on the include
// path (CMake: find_package(CUDAToolkit), and CUDA::cudart for your own CUDA calls). The
// functions are in lwnet::lwnet, which links no CUDA library: they reach the CUDA backend module
// it opens at run time; in a build without CUDA they throw Unavailable.
#pragma once

#include <cuda_runtime.h>

#include <memory>

#include "lwnet/backend.hpp"
#include "lwnet/detail/cuda_interop.hpp"

namespace lwnet {

// A CUDA backend on device `device` that queues all its work on the caller's `stream`: its
// primitives, its families (blas(), solver(), nn(), with cuBLAS and cuSOLVER handles of its own
// bound to `stream`), its copies (upload, download, copy), record_event and wait, and the
// allocation and release of its matrices and scratch memory (stream-ordered, cudaMallocAsync and
// cudaFreeAsync on `stream`). What differs: make_transfer_queue()'s copies run on a stream the
// queue creates and owns, ordered against `stream` with events, so that they overlap compute.
// Calls that return a host value (reductions, scalars, copies into host memory) synchronise
// `stream`, which also waits for the caller's work queued on it before.
//
// lwnet never destroys `stream`. It must stay valid until the backend, its transfer queues and
// every matrix the backend allocated are destroyed: their memory is freed on `stream`, and the
// backend's last owner synchronises `stream` before destroying the library handles bound to it.
// `stream` must be a stream the caller created on `device`: the special handles 0 (the legacy
// default stream), cudaStreamLegacy and cudaStreamPerThread mean different streams to different
// threads and builds, and are refused. Throws InvalidArgument for such a stream or one of another
// device, and Unavailable (with the probe's reason) when the device cannot be used.
inline std::unique_ptr<Backend> make_cuda_backend(int device, cudaStream_t stream) {
  return detail::make_cuda_backend_on_stream(device, static_cast<void*>(stream));
}

// The stream a CUDA backend queues its work on: the caller's for make_cuda_backend, else lwnet's
// stream of the device (shared by every backend make_backend gives for that device). Throws
// InvalidArgument for any other backend (the CPU backend, make_streaming_backend's).
inline cudaStream_t native_stream(Backend& backend) {
  return static_cast<cudaStream_t>(detail::cuda_stream_of(backend));
}

// The CUDA event behind `event`, for cudaStreamWaitEvent, cudaEventQuery or cudaEventSynchronize
// in the caller's code. `event` and its copies own it: it is valid while one of them lives, and
// must not be recorded again or destroyed by the caller. nullptr for an empty event (its work is
// complete: nothing to wait for). Throws InvalidArgument for an event of another device kind.
inline cudaEvent_t native_event(const Event& event) {
  return static_cast<cudaEvent_t>(detail::cuda_event_of(event));
}

}  // namespace lwnet
