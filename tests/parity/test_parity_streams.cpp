// Backends on the caller's CUDA stream and events between queues (lwnet/cuda.hpp, lwnet/backend.hpp
// "queue and events"): a backend on a caller-created stream computes what lwnet's default one does
// (kernel primitives, Blas, Solver, NnOps, copies); native_stream gives the caller's stream back;
// record_event + wait order work across two backends on two streams, checked deterministically
// with a gate that holds the writer's stream until the test opens it; native_event hands the same
// ordering to the caller's CUDA code; and the caller's stream outlives the backend, whose matrices
// stay usable after it is gone. The GPU tests skip with the probe's reason without a GPU; the
// refusals that need none (a CPU backend has no stream, an empty event no CUDA event, no GPU means
// Unavailable) run everywhere.
#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/cuda.hpp"
#include "lwnet/error.hpp"
#include "parity_fixture.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

void check_cuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

// A non-blocking stream the test creates and destroys, as a caller of lwnet would.
class CallerStream {
 public:
  explicit CallerStream(int device) {
    check_cuda(cudaSetDevice(device), "cudaSetDevice");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  }
  ~CallerStream() { static_cast<void>(cudaStreamDestroy(stream_)); }
  CallerStream(const CallerStream&) = delete;
  CallerStream& operator=(const CallerStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// Holds back all work queued on `stream` after it until open() is called: a host function the
// runtime runs in stream order, spinning until the flag is set. It gives up after a minute, so a
// mistake turns into a failed check rather than a hung test. Work queued behind a gate must not
// make the host wait (no copies to host memory) until the gate is open.
class StreamGate {
 public:
  explicit StreamGate(cudaStream_t stream) : stream_(stream) {
    check_cuda(cudaLaunchHostFunc(stream, &StreamGate::hold, &open_), "cudaLaunchHostFunc");
  }
  ~StreamGate() {
    open();
    static_cast<void>(cudaStreamSynchronize(stream_));  // the host function has returned
  }
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;
  void open() { open_.store(true); }

 private:
  static void CUDART_CB hold(void* flag) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!static_cast<std::atomic<bool>*>(flag)->load() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::yield();
  }
  cudaStream_t stream_;
  std::atomic<bool> open_{false};
};

class CudaStreams : public CudaParityTest {
 protected:
  int device_index() const { return Device::parse(GetParam()).index; }
};

TEST_P(CudaStreams, CallerStreamBackendComputesWhatTheDefaultOneDoes) {
  const CallerStream stream(device_index());
  const std::unique_ptr<Backend> own = make_cuda_backend(device_index(), stream.get());
  EXPECT_EQ(own->device(), gpu().device());
  ASSERT_TRUE(own->supports(OpFamily::blas) && own->supports(OpFamily::solver) && own->supports(OpFamily::nn));

  TestRandom rng(test_seed());
  const Matrix<float> X = rng.uniform_matrix(300, 8);
  const Matrix<float> B = rng.uniform_matrix(300, 3);
  const GramParams params = GramParams::gaussian(0.9);
  const Matrix<double> spd = [&] {
    const Matrix<double> M = rng.uniform_matrix_f64(40, 40);
    Matrix<double> S = Matrix<double>::host(40, 40);
    for (std::int64_t i = 0; i < 40; ++i)
      for (std::int64_t j = 0; j < 40; ++j) {
        double sum = i == j ? 40.0 : 0.0;
        for (std::int64_t k = 0; k < 40; ++k) sum += M(i, k) * M(j, k);
        S(i, j) = sum;
      }
    return S;
  }();

  struct Results {
    Matrix<double> kb, chol;
    Matrix<float> ab, relu;
    std::vector<double> sums;
  };
  const auto run = [&](Backend& backend) {
    const Matrix<float> x = backend.upload(X.cview());
    const Matrix<float> b = backend.upload(B.cview());
    Matrix<double> kb = backend.allocate<double>(300, 3);
    backend.kernel_matmul(x.cview(), x.cview(), b.cview(), params, kb.view());
    Matrix<float> ab = backend.allocate<float>(8, 3);
    backend.blas().gemm(Transpose::yes, Transpose::no, 1.0f, x.cview(), b.cview(), 0.0f, ab.view());
    Matrix<double> chol = backend.upload(spd.cview());
    backend.solver().potrf(chol.view());
    Matrix<float> relu = backend.allocate<float>(300, 8);
    backend.nn().activation_forward(Activation::relu, x.cview(), relu.view());
    return Results{backend.download(kb.cview()), backend.download(chol.cview()), backend.download(ab.cview()),
                   backend.download(relu.cview()), backend.column_sums(x.cview())};
  };
  const Results expected = run(gpu());
  const Results got = run(*own);
  // The same code on the same device: equal, or (should cuBLAS or cuSOLVER pick another algorithm
  // for another handle) within rounding; work run out of order would give NaN or stale values.
  EXPECT_TRUE(expect_close(got.kb.cview(), expected.kb.cview(), 1e-12, 1e-9));
  EXPECT_TRUE(expect_close(got.ab.cview(), expected.ab.cview(), 2e-4, 1e-5));
  EXPECT_TRUE(expect_close(got.chol.cview(), expected.chol.cview(), 1e-9, 1e-8));
  EXPECT_TRUE(expect_close(got.relu.cview(), expected.relu.cview(), 0.0, 0.0));
  EXPECT_TRUE(expect_close(got.sums, expected.sums, 1e-12, 1e-9));
}

TEST_P(CudaStreams, NativeStreamIsTheCallersStream) {
  const CallerStream stream(device_index());
  const std::unique_ptr<Backend> own = make_cuda_backend(device_index(), stream.get());
  EXPECT_EQ(native_stream(*own), stream.get());
  // The default backends queue on lwnet's stream of the device, one for all of them.
  const cudaStream_t shared = native_stream(gpu());
  EXPECT_NE(shared, stream.get());
  EXPECT_NE(shared, nullptr);
  EXPECT_EQ(native_stream(*make_backend(Device::parse(GetParam()))), shared);
}

// The writer's stream is held by a gate while the reader, on another stream, waits for the
// writer's event and queues its read: the read cannot have run (its stream is not idle, the event
// not reached); once the gate opens, the reader sees everything the writer wrote.
TEST_P(CudaStreams, EventOrdersWorkAcrossTwoBackends) {
  const CallerStream writer_stream(device_index());
  const CallerStream reader_stream(device_index());
  const std::unique_ptr<Backend> writer = make_cuda_backend(device_index(), writer_stream.get());
  const std::unique_ptr<Backend> reader = make_cuda_backend(device_index(), reader_stream.get());

  TestRandom rng(test_seed());
  const Matrix<float> values = rng.uniform_matrix(64, 33);
  Matrix<float> nan = Matrix<float>::host(64, 33);
  for (std::int64_t k = 0; k < nan.rows() * nan.cols(); ++k) nan.data()[k] = std::numeric_limits<float>::quiet_NaN();
  const Matrix<float> source = writer->upload(values.cview());
  Matrix<float> written = writer->upload(nan.cview());  // NaN until the writer's copy lands
  Matrix<float> read = reader->upload(nan.cview());
  writer->synchronize();
  reader->synchronize();

  Event done;
  {
    StreamGate gate(writer_stream.get());
    writer->copy(source.cview(), written.view());  // device to device: queued behind the gate
    done = writer->record_event();
    ASSERT_FALSE(done.empty());
    EXPECT_EQ(done.device(), writer->device());
    reader->wait(done);
    reader->copy(written.cview(), read.view());
    EXPECT_EQ(cudaStreamQuery(reader_stream.get()), cudaErrorNotReady) << "the reader did not wait for the event";
    EXPECT_EQ(cudaEventQuery(native_event(done)), cudaErrorNotReady);
    gate.open();
  }
  const Matrix<float> seen = reader->download(read.cview());
  EXPECT_TRUE(expect_close(seen.cview(), values.cview(), 0.0, 0.0));
  EXPECT_EQ(cudaEventQuery(native_event(done)), cudaSuccess);
  // `written` was allocated on the writer's stream and read on the reader's, which has finished
  // (download waited for it): it may now be freed.
}

// The caller's CUDA code waits for an lwnet event on its own stream, and lwnet's default backend
// waits for an event the caller's stream reached.
TEST_P(CudaStreams, NativeEventOrdersTheCallersCode) {
  const CallerStream stream(device_index());
  const CallerStream callers_other(device_index());
  const std::unique_ptr<Backend> own = make_cuda_backend(device_index(), stream.get());
  Event done;
  {
    StreamGate gate(stream.get());
    done = own->record_event();
    const cudaEvent_t native = native_event(done);
    ASSERT_NE(native, nullptr);
    ASSERT_EQ(cudaStreamWaitEvent(callers_other.get(), native, 0), cudaSuccess);
    EXPECT_EQ(cudaStreamQuery(callers_other.get()), cudaErrorNotReady);
    gate.open();
  }
  EXPECT_EQ(cudaStreamSynchronize(callers_other.get()), cudaSuccess);
  gpu().wait(done);  // across backends on the same device, from lwnet's own stream
  gpu().synchronize();
}

TEST_P(CudaStreams, CallersStreamAndMatricesOutliveTheBackend) {
  const CallerStream stream(device_index());
  TestRandom rng(test_seed());
  const Matrix<float> values = rng.uniform_matrix(17, 5);
  Matrix<float> kept;
  {
    const std::unique_ptr<Backend> own = make_cuda_backend(device_index(), stream.get());
    kept = own->upload(values.cview());
    own->blas().scal(2.0f, kept.view());
  }
  // The stream is the caller's still: usable, and lwnet's queued work on it completes.
  ASSERT_EQ(cudaStreamSynchronize(stream.get()), cudaSuccess);
  float* scratch = nullptr;
  ASSERT_EQ(cudaMallocAsync(reinterpret_cast<void**>(&scratch), 64, stream.get()), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(scratch, 0, 64, stream.get()), cudaSuccess);
  ASSERT_EQ(cudaFreeAsync(scratch, stream.get()), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream.get()), cudaSuccess);
  // The matrix outlives its backend and is read through another backend of the device.
  const Matrix<float> back = gpu().download(kept.cview());
  for (std::int64_t i = 0; i < values.rows(); ++i)
    for (std::int64_t j = 0; j < values.cols(); ++j) EXPECT_EQ(back(i, j), 2.0f * values(i, j)) << i << "," << j;
  kept = Matrix<float>();  // freed on the caller's stream, which is still alive
  EXPECT_EQ(cudaStreamSynchronize(stream.get()), cudaSuccess);
}

TEST_P(CudaStreams, DefaultStreamHandlesAreRefused) {
  for (const cudaStream_t special : {cudaStream_t{nullptr}, cudaStreamLegacy, cudaStreamPerThread})
    EXPECT_THROW(make_cuda_backend(device_index(), special), InvalidArgument);
}

LWNET_INSTANTIATE_CUDA_SUITE(CudaStreams);

// ---- without a GPU -------------------------------------------------------------------------------

TEST(CudaStreamRefusals, CpuBackendHasNoStream) {
  const std::unique_ptr<Backend> cpu = make_cpu_backend(1);
  EXPECT_THROW(native_stream(*cpu), InvalidArgument);
}

TEST(CudaStreamRefusals, EmptyEventHasNoCudaEvent) {
  EXPECT_EQ(native_event(Event()), nullptr);
  EXPECT_EQ(native_event(make_cpu_backend(1)->record_event()), nullptr);
}

TEST(CudaStreamRefusals, NoUsableGpuIsUnavailableWithTheProbesReason) {
  const CudaProbe probe = probe_cuda();
  if (probe.usable()) GTEST_SKIP() << "a CUDA device is usable";
  try {
    make_cuda_backend(0, reinterpret_cast<cudaStream_t>(std::uintptr_t{0x1000}));
    ADD_FAILURE() << "make_cuda_backend did not throw";
  } catch (const Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find(probe.reason), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lwnet::test
